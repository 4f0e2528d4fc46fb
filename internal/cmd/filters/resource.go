// What the filters commands have in common: the
// resource's path, its table columns, its flags and their completion.

package filters

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/endpoints"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Resource is /api/v1/event-filters.
var Resource = resource.Resource{Kind: "filter", Path: "/api/v1/event-filters"}

// Filter is an event filter as the gateway sent it.
type Filter = resource.Raw[proto.EventFilter]

func join(vs []string) string { return strings.Join(vs, ",") }

// Columns is the table of `filters list`. An empty list column means no
// constraint on that attribute.
var Columns = []cmdutil.Column[Filter]{
	cmdutil.Col("ID", func(f Filter) string { return f.V.ID }),
	cmdutil.Col("NAME", func(f Filter) string { return f.V.Name }),
	cmdutil.Col("ENDPOINT", func(f Filter) string { return f.V.EndpointID }),
	cmdutil.Col("DEVICES", func(f Filter) string { return join(f.V.DeviceIDs) }),
	cmdutil.Col("AGENTS", func(f Filter) string { return join(f.V.AgentIDs) }),
	cmdutil.Col("WATCHLISTS", func(f Filter) string { return join(f.V.WatchlistIDs) }),
	cmdutil.Col("EVENT TYPES", func(f Filter) string { return join(f.V.EventTypes) }),
	cmdutil.TimeCol("CREATED", func(f Filter) time.Time { return f.V.CreatedAt }),
}

// DetailColumns is the table of get, create and update.
var DetailColumns = append(append([]cmdutil.Column[Filter](nil), Columns...),
	cmdutil.Col("OWNER", func(f Filter) string { return f.V.Owner }),
	cmdutil.Col("WHERE", func(f Filter) string { return f.V.Where }),
	cmdutil.TimeCol("UPDATED", func(f Filter) time.Time { return f.V.UpdatedAt }),
)

// Fields are the flags of create and update and the API fields they set: a
// list field takes a repeatable singular flag (docs/contract.md#cli-commands).
var Fields = []resource.Field{
	{Flag: "name", JSON: "name"},
	{Flag: "endpoint", JSON: "endpoint_id"},
	{Flag: "device-id", JSON: "device_ids"},
	{Flag: "agent-id", JSON: "agent_ids"},
	{Flag: "watchlist-id", JSON: "watchlist_ids"},
	{Flag: "event-type", JSON: "event_types"},
	{Flag: "where", JSON: "where"},
}

// AddFieldFlags defines the flags of Fields on cmd.
func AddFieldFlags(cmd *cobra.Command, f *cmdutil.Factory) {
	fl := cmd.Flags()
	fl.String("name", "", "name of the filter")
	fl.String("endpoint", "", "id of the endpoint the filter belongs to")
	fl.StringArray("device-id", nil, "pass events of this device (repeatable; any of them)")
	fl.StringArray("agent-id", nil, "pass events of this agent/edge box (repeatable)")
	fl.StringArray("watchlist-id", nil, "pass identifications matching this watchlist (repeatable)")
	fl.StringArray("event-type", nil, "pass events of this type: label_id, analysis_result, identification type, composite (repeatable)")
	fl.String("where", "", "pass only events for which this CEL condition over event, family and type holds, e.g. 'event.confidence >= 0.8' ('' removes it)")
	_ = cmd.RegisterFlagCompletionFunc("endpoint", resource.IDs(f, endpoints.Resource.Path))
	_ = cmd.RegisterFlagCompletionFunc("event-type", resource.Enum(append([]string{"analysis_result", "composite"}, proto.OperationalTypes()...)...))
}

// ListHelp explains the list flags' semantics, shared by create and update.
const ListHelp = "Within one list any value matches; across lists all must match; an empty list\n" +
	"is no constraint. In an update, a list flag replaces the whole list, and\n" +
	"--device-id '' (one empty value) clears it."
