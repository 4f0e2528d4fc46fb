package keys

import "github.com/evtctl/evtctl/internal/cmd/resource"

// getCmd is `evtctl keys get`.
var getCmd = resource.GetCmd[Key]{
	Resource: Resource,
	Short:    "Show one API key",
	Long:     "Show one API key (never its token). Exit code 3 if there is no such key.",
	Columns:  Columns,
}
