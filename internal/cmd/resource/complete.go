package resource

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// CompletionFunc is cobra's flag and argument completion signature.
type CompletionFunc = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective)

// Enum completes a flag or argument from a fixed list.
func Enum(values ...string) CompletionFunc {
	return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
}

// Families completes an event family (docs/contract.md#families).
func Families() CompletionFunc {
	var names []string
	for _, f := range proto.Families() {
		names = append(names, string(f))
	}
	return Enum(names...)
}

// completionTimeout bounds the API call behind a Tab press: a shell that
// hangs is worse than no suggestions.
const completionTimeout = 3 * time.Second

// completionLimit caps how many ids are offered.
const completionLimit = 500

// IDs completes resource ids by listing the collection at path on the
// configured gateway (--server/--token, environment, config file; cobra has
// parsed the global flags by the time this runs). Each candidate is
// "id<TAB>name", which shells show as the id with the name as description.
// Any failure (no server, no token) just offers nothing.
func IDs(f *cmdutil.Factory, path string) CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return listIDs(f, path), cobra.ShellCompDirectiveNoFileComp
	}
}

// FirstArgIDs is IDs for a command's positional ids: every argument is an
// id, so each position completes the same way, skipping ids already given.
func FirstArgIDs(f *cmdutil.Factory, path string, many bool) CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 && !many {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		given := map[string]bool{}
		for _, a := range args {
			given[a] = true
		}
		var out []string
		for _, c := range listIDs(f, path) {
			if !given[idOf(c)] {
				out = append(out, c)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func idOf(candidate string) string {
	for i := 0; i < len(candidate); i++ {
		if candidate[i] == '\t' {
			return candidate[:i]
		}
	}
	return candidate
}

type named struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func listIDs(f *cmdutil.Factory, path string) []string {
	c, err := f.APIClient()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
	defer cancel()
	items, err := apiclient.ListAll[named](ctx, c, path, nil, completionLimit)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if name := strings.Join(strings.Fields(it.Name), " "); name != "" {
			out = append(out, it.ID+"\t"+name)
		} else {
			out = append(out, it.ID)
		}
	}
	return out
}
