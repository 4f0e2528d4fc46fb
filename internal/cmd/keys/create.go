package keys

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// createOptions are the inputs of `evtctl keys create`.
type createOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	Body      resource.Body // name, owner, scopes as given
	ExpiresIn time.Duration // --expires-in, 0 = not given
	ExpiresAt time.Time     // --expires-at, zero = not given
}

var fields = []resource.Field{
	{Flag: "name", JSON: "name"},
	{Flag: "owner", JSON: "owner"},
	{Flag: "scope", JSON: "scopes"},
}

// newCmdCreate builds `evtctl keys create`.
func newCmdCreate(f *cmdutil.Factory) *cobra.Command {
	opts := &createOptions{Factory: f, Client: f.APIClient}
	var expiresIn, expiresAt string
	cmd := &cobra.Command{
		Use:   "create --name NAME --scope SCOPE... [--owner TENANT] [--expires-in 720h | --expires-at TIME]",
		Short: "Create an API key and print its token once",
		Long: "Create an API key. The token is in the answer and never shown again: the gateway\n" +
			"keeps only its hash. Scopes: admin (everything, every tenant), events:write (ingest),\n" +
			"events:read (query, composite stream), device:read and analytics:read (SSE analysis).\n" +
			"In a script, -o json (or -o yaml) gives the token as the \"token\" field; -q gives the id.",
		Example: "  evtctl keys create --name edge-01 --owner acme --scope events:write --expires-in 90d\n" +
			"  evtctl keys create --name dashboard --scope events:read --scope analytics:read -o json",
		Args: resource.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if err := resource.Require(fl, "name", "scope"); err != nil {
				return err
			}
			scopes, _ := fl.GetStringArray("scope")
			for _, s := range scopes {
				if err := resource.OneOf("scope", s, proto.Scopes()); err != nil {
					return err
				}
			}
			if fl.Changed("expires-in") && fl.Changed("expires-at") {
				return cmdutil.FlagErrorf("give --expires-in or --expires-at, not both")
			}
			if fl.Changed("expires-in") {
				d, err := resource.ParseDuration(expiresIn)
				if err != nil || d <= 0 {
					return cmdutil.FlagErrorf("invalid value %q for --expires-in: want a positive duration such as 720h or 30d", expiresIn)
				}
				opts.ExpiresIn = d
			}
			if fl.Changed("expires-at") {
				t, err := proto.ParseTime(expiresAt)
				if err != nil {
					return cmdutil.FlagErrorf("invalid value %q for --expires-at: want an RFC 3339 time such as 2027-01-01T00:00:00Z", expiresAt)
				}
				opts.ExpiresAt = t
			}
			body, err := resource.BodyFromFlags(fl, fields)
			if err != nil {
				return err
			}
			opts.Body = body
			return createRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.String("name", "", "what the key is for")
	fl.String("owner", "", "tenant of the key (default: the creating key's owner)")
	fl.StringArray("scope", nil, "scope granted (repeatable): "+fmt.Sprint(proto.Scopes()))
	fl.StringVar(&expiresIn, "expires-in", "", "lifetime from now, e.g. 720h or 30d (default: never expires)")
	fl.StringVar(&expiresAt, "expires-at", "", "expiry time, RFC 3339")
	_ = cmd.RegisterFlagCompletionFunc("scope", resource.Enum(proto.Scopes()...))
	_ = cmd.RegisterFlagCompletionFunc("expires-in", resource.Enum("24h", "7d", "30d", "90d", "365d"))
	return cmd
}

func createRun(ctx context.Context, opts *createOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	body := resource.Body{}
	for k, v := range opts.Body {
		body[k] = v
	}
	switch {
	case opts.ExpiresIn > 0:
		body["expires_at"] = time.Now().Add(opts.ExpiresIn).UTC().Format(time.RFC3339)
	case !opts.ExpiresAt.IsZero():
		body["expires_at"] = opts.ExpiresAt.UTC().Format(time.RFC3339Nano)
	}
	var key Key
	if err := Resource.Create(ctx, c, body, &key); err != nil {
		return err
	}
	if err := cmdutil.PrintOne(opts.Factory, key, CreatedColumns); err != nil {
		return err
	}
	ios := opts.Factory.IOStreams
	if ios.IsStdoutTTY() && key.V.Token != "" {
		fmt.Fprintln(ios.ErrOut, "Save the token now: it is not shown again.")
	}
	return nil
}
