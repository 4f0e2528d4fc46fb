package resource

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// DeleteCmd describes the `delete` command of a resource; the commands
// differ only in their help and, for keys, the verb.
type DeleteCmd struct {
	Resource             Resource
	Verb                 string   // "delete" (default) or "revoke"
	Aliases              []string // default: rm
	Short, Long, Example string
}

// New builds the command: it deletes the resources (see DeleteIDs).
func (d DeleteCmd) New(f *cmdutil.Factory) *cobra.Command {
	verb := d.Verb
	if verb == "" {
		verb = "delete"
	}
	aliases := d.Aliases
	if aliases == nil {
		aliases = []string{"rm"}
	}
	var yes bool // --yes: do not ask, even on a terminal
	cmd := &cobra.Command{
		Use:               verb + " ID...",
		Aliases:           aliases,
		Short:             d.Short,
		Long:              d.Long,
		Example:           d.Example,
		Args:              IDArgs(d.Resource.Kind, true),
		ValidArgsFunction: FirstArgIDs(f, d.Resource.Path, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.APIClient()
			if err != nil {
				return err
			}
			return DeleteIDs(cmd.Context(), f, c, d.Resource, args, yes, verb)
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// DeleteIDs deletes the resources one by one, after confirming on a
// terminal (see Confirm). verb is "delete" or "revoke". It stops at the
// first failure, whose error names the id (a missing id: exit code 3); the
// ones before it are gone. On a terminal each deletion is reported on
// stdout; with -o id the deleted ids are printed, for scripts; with -o json
// or yaml a list of {"id", "deleted"/"revoked": true}; otherwise nothing is
// printed.
func DeleteIDs(ctx context.Context, f *cmdutil.Factory, c *apiclient.Client, r Resource, ids []string, yes bool, verb string) error {
	ios := f.IOStreams
	what := r.Kind + " " + ids[0]
	if len(ids) > 1 {
		what = fmt.Sprintf("%d %ss (%s)", len(ids), r.Kind, strings.Join(ids, ", "))
	}
	if err := Confirm(ios, yes, capitalize(verb)+" "+what+"?"); err != nil {
		return err
	}
	idOutput := f.Globals != nil && (f.Globals.Quiet || f.Globals.Output == cmdutil.OutputID)
	// -o json|yaml: the list of what was done, [{"id": …, "deleted": true}],
	// printed at the end, also when a later deletion failed.
	structured := f.Globals != nil && !idOutput && (f.Globals.Output == cmdutil.OutputJSON || f.Globals.Output == cmdutil.OutputYAML)
	past := verb + "d" // delete, revoke
	var done []deleted
	for i, id := range ids {
		if err := r.Delete(ctx, c, id); err != nil {
			if structured && i > 0 {
				_ = cmdutil.Print(f, done, nil)
			}
			if i > 0 {
				return fmt.Errorf("%w\nThe %d %s(s) before %s were %s.", err, i, r.Kind, id, past)
			}
			return err
		}
		switch {
		case idOutput:
			fmt.Fprintln(ios.Out, id)
		case structured:
			done = append(done, deleted{ID: id, Deleted: verb == "delete", Revoked: verb == "revoke"})
		case ios.IsStdoutTTY():
			fmt.Fprintf(ios.Out, "%s %s %s.\n", capitalize(past), r.Kind, id)
		}
	}
	if structured {
		return cmdutil.Print(f, done, nil)
	}
	return nil
}

// deleted is one line of delete's (revoke's) -o json.
type deleted struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted,omitempty"`
	Revoked bool   `json:"revoked,omitempty"`
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
