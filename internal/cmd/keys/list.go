package keys

import "github.com/evtctl/evtctl/internal/cmd/resource"

// listCmd is `evtctl keys list`.
var listCmd = resource.ListCmd[Key]{
	Resource: Resource,
	Use:      "list [--owner TENANT]",
	Short:    "List API keys (never their tokens)",
	Example:  "  evtctl keys list --owner acme\n  evtctl keys list --owner acme -q | xargs evtctl keys revoke",
	Columns:  Columns,
}
