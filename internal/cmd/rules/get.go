package rules

import "github.com/evtctl/evtctl/internal/cmd/resource"

// getCmd is `evtctl rules get`.
var getCmd = resource.GetCmd[Rule]{
	Resource: Resource,
	Short:    "Show one composite rule",
	Long:     "Show one composite rule. Exit code 3 if there is no such rule.",
	Columns:  DetailColumns,
}
