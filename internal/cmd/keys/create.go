package keys

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// createCmd is `evtctl keys create`.
var createCmd = resource.CreateCmd[Key]{
	Resource: Resource,
	Use:      "create --name NAME --scope SCOPE... [--owner TENANT] [--expires-in 720h | --expires-at TIME]",
	Short:    "Create an API key and print its token once",
	Long: "Create an API key. The token is in the answer and never shown again: the gateway\n" +
		"keeps only its hash. Scopes: admin (everything, every tenant), events:write (ingest),\n" +
		"events:read (query, composite stream), device:read and analytics:read (SSE analysis).\n" +
		"In a script, -o json (or -o yaml) gives the token as the \"token\" field; -q gives the id.",
	Example: "  evtctl keys create --name edge-01 --owner acme --scope events:write --expires-in 90d\n" +
		"  evtctl keys create --name dashboard --scope events:read --scope analytics:read -o json",
	Fields: []resource.Field{
		{Flag: "name", JSON: "name"},
		{Flag: "owner", JSON: "owner"},
		{Flag: "scope", JSON: "scopes"},
	},
	Required: []string{"name", "scope"},
	AddFlags: addCreateFlags,
	Check:    checkCreate,
	Columns:  CreatedColumns,
	Notice: func(k Key) string {
		if k.V.Token == "" {
			return ""
		}
		return "Save the token now: it is not shown again."
	},
}

func addCreateFlags(cmd *cobra.Command, _ *cmdutil.Factory) {
	fl := cmd.Flags()
	fl.String("name", "", "what the key is for")
	fl.String("owner", "", "tenant of the key (default: the creating key's owner)")
	fl.StringArray("scope", nil, "scope granted (repeatable): "+fmt.Sprint(proto.Scopes()))
	fl.String("expires-in", "", "lifetime from now, e.g. 720h or 30d (default: never expires)")
	fl.String("expires-at", "", "expiry time, RFC 3339")
	_ = cmd.RegisterFlagCompletionFunc("scope", resource.Enum(proto.Scopes()...))
	_ = cmd.RegisterFlagCompletionFunc("expires-in", resource.Enum("24h", "7d", "30d", "90d", "365d"))
}

// checkCreate checks the scopes and sets expires_at from --expires-in or
// --expires-at.
func checkCreate(fl *pflag.FlagSet, body resource.Body) error {
	scopes, _ := fl.GetStringArray("scope")
	for _, s := range scopes {
		if err := resource.OneOf("scope", s, proto.Scopes()); err != nil {
			return err
		}
	}
	expiresIn, _ := fl.GetString("expires-in")
	expiresAt, _ := fl.GetString("expires-at")
	switch {
	case fl.Changed("expires-in") && fl.Changed("expires-at"):
		return cmdutil.FlagErrorf("give --expires-in or --expires-at, not both")
	case fl.Changed("expires-in"):
		d, err := resource.ParseDuration(expiresIn)
		if err != nil || d <= 0 {
			return cmdutil.FlagErrorf("invalid value %q for --expires-in: want a positive duration such as 720h or 30d", expiresIn)
		}
		body["expires_at"] = time.Now().Add(d).UTC().Format(time.RFC3339)
	case fl.Changed("expires-at"):
		t, err := proto.ParseTime(expiresAt)
		if err != nil {
			return cmdutil.FlagErrorf("invalid value %q for --expires-at: want an RFC 3339 time such as 2027-01-01T00:00:00Z", expiresAt)
		}
		body["expires_at"] = t.UTC().Format(time.RFC3339Nano)
	}
	return nil
}
