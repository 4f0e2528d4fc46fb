package filters

import "github.com/evtctl/evtctl/internal/cmd/resource"

// getCmd is `evtctl filters get`.
var getCmd = resource.GetCmd[Filter]{
	Resource: Resource,
	Short:    "Show one event filter",
	Long:     "Show one event filter. Exit code 3 if there is no such filter.",
	Columns:  DetailColumns,
}
