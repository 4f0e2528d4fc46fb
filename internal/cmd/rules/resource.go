// What the rules commands have in common: the
// resource's path, its table columns, its flags and their completion.

package rules

import (
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Resource is /api/v1/rules.
var Resource = resource.Resource{Kind: "rule", Path: "/api/v1/rules"}

// Rule is a composite rule as the gateway sent it.
type Rule = resource.Raw[proto.Rule]

// GroupBys are the values of --group-by.
var GroupBys = []string{proto.GroupByLabel, proto.GroupByMic, proto.GroupByEdge}

func join(vs []string) string { return strings.Join(vs, ",") }

// Columns is the table of `rules list`.
var Columns = []cmdutil.Column[Rule]{
	cmdutil.Col("ID", func(r Rule) string { return r.V.ID }),
	cmdutil.Col("NAME", func(r Rule) string { return r.V.Name }),
	cmdutil.Col("ENABLED", func(r Rule) string { return strconv.FormatBool(r.V.Enabled) }),
	cmdutil.Col("WINDOW", func(r Rule) string { return strconv.Itoa(r.V.WindowSeconds) + "s" }),
	cmdutil.Col("MIN EVENTS", func(r Rule) string { return strconv.Itoa(r.V.MinEvents) }),
	cmdutil.Col("GROUP BY", func(r Rule) string { return r.V.GroupBy }),
	cmdutil.Col("LABELS", func(r Rule) string { return join(r.V.IncludeLabelIDs) }),
	cmdutil.Col("MICS", func(r Rule) string { return join(r.V.IncludeMicIDs) }),
	cmdutil.TimeCol("CREATED", func(r Rule) time.Time { return r.V.CreatedAt }),
}

// DetailColumns is the table of get, create and update.
var DetailColumns = append(append([]cmdutil.Column[Rule](nil), Columns...),
	cmdutil.Col("COOLDOWN", func(r Rule) string { return strconv.Itoa(r.V.CooldownSeconds) + "s" }),
	cmdutil.Col("DESCRIPTION", func(r Rule) string { return r.V.Description }),
	cmdutil.Col("OWNER", func(r Rule) string { return r.V.Owner }),
	cmdutil.TimeCol("UPDATED", func(r Rule) time.Time { return r.V.UpdatedAt }),
)

// Fields are the flags of create and update and the API fields they set
// (the rule object of docs/sources.md#rule-object).
var Fields = []resource.Field{
	{Flag: "name", JSON: "name"},
	{Flag: "description", JSON: "description"},
	{Flag: "window-seconds", JSON: "window_seconds"},
	{Flag: "min-events", JSON: "min_events"},
	{Flag: "enabled", JSON: "enabled"},
	{Flag: "group-by", JSON: "group_by"},
	{Flag: "include-label-id", JSON: "include_label_ids"},
	{Flag: "include-mic-id", JSON: "include_mic_ids"},
	{Flag: "cooldown-seconds", JSON: "cooldown_seconds"},
}

// AddFieldFlags defines the flags of Fields on cmd.
func AddFieldFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.String("name", "", "name of the rule")
	fl.String("description", "", "what the rule detects")
	fl.Int("window-seconds", 0, "length of the window in which events are counted")
	fl.Int("min-events", 0, "events within one window that make a composite event")
	fl.Bool("enabled", true, "evaluate the rule (--enabled=false to pause it)")
	fl.String("group-by", "", "count separately per label_id, mic_id or edge_id")
	fl.StringArray("include-label-id", nil, "count only sound events of this label (repeatable; none = all)")
	fl.StringArray("include-mic-id", nil, "count only sound events of this microphone (repeatable; none = all)")
	fl.Int("cooldown-seconds", 0, "after a composite, wait this long before the same group can fire again")
	_ = cmd.RegisterFlagCompletionFunc("group-by", resource.Enum(GroupBys...))
}

// CheckFlags rejects values no gateway would accept, as usage errors.
func CheckFlags(fl *pflag.FlagSet) error {
	g, _ := fl.GetString("group-by")
	if err := resource.OneOf("group-by", g, GroupBys); err != nil {
		return err
	}
	for _, c := range []struct {
		flag string
		min  int
	}{{"window-seconds", 1}, {"min-events", 1}, {"cooldown-seconds", 0}} {
		if !fl.Changed(c.flag) {
			continue
		}
		if v, _ := fl.GetInt(c.flag); v < c.min {
			return cmdutil.FlagErrorf("--%s must be at least %d, got %d", c.flag, c.min, v)
		}
	}
	return nil
}

// ListHelp explains the list flags in an update.
const ListHelp = "A list flag replaces the whole list; --include-label-id '' (one empty value) clears it."
