package keys

import "github.com/evtctl/evtctl/internal/cmd/resource"

// revokeCmd is `evtctl keys revoke`.
var revokeCmd = resource.DeleteCmd{
	Resource: Resource,
	Verb:     "revoke",
	Aliases:  []string{"delete", "rm"},
	Short:    "Revoke API keys",
	Long: "Revoke API keys: requests with their tokens fail from now on and their open\n" +
		"streams close within a second on every node. On a terminal this asks first\n" +
		"unless --yes is given; in a script it does not ask.",
	Example: "  evtctl keys revoke abc123def456\n  evtctl keys list --owner old-tenant -q | xargs evtctl keys revoke",
}
