package keys

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/pkg/proto"
)

// TokenOptions are the inputs of `evtctl keys token`.
type TokenOptions struct {
	Owner      string
	Scopes     []string
	Devices    []string
	TTL        time.Duration
	Config     string
	SecretFile string
	Getenv     func(string) string
	Now        func() time.Time
}

// NewCmdToken builds `evtctl keys token`.
func NewCmdToken(f *cmdutil.Factory) *cobra.Command {
	opts := &TokenOptions{Getenv: os.Getenv, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "token --owner OWNER --scope SCOPE [flags]",
		Short: "Mint a short-lived JWT from the gateway's HMAC secret (development)",
		Long: "Mint a JWT signed with the first HMAC secret of the gateway's auth.jwt section\n" +
			"(from --config and the EVTCTL_AUTH_JWT_* environment, or --secret-file), with\n" +
			"the claims the gateway maps to a caller: the owner, the scopes, the devices it\n" +
			"may stream, exp (now + --ttl), iat, a random jti, and iss and aud when the\n" +
			"configuration checks them. The token is printed on standard output. It talks\n" +
			"to no gateway: an application's backend mints tokens the same way\n" +
			"(docs/security.md#jwt); this is for development and tests.",
		Example: "  evtctl keys token --config evtctl.yaml --owner acme --scope device:read --device cam-1 --ttl 15m\n" +
			"  curl -N \"http://127.0.0.1:8100/api/v1/devices/cam-1/analysis/stream?access_token=$(evtctl keys token --secret-file jwt.secret --owner acme --scope device:read)\"",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tok, err := opts.Mint()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(f.IOStreams.Out, tok)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Owner, "owner", "", "tenant the token acts for (required)")
	fl.StringSliceVar(&opts.Scopes, "scope", nil, "scope to grant, repeatable: "+strings.Join(jwtScopes(), ", ")+" (required)")
	fl.StringSliceVar(&opts.Devices, "device", nil, "device whose SSE streams the token may open, repeatable (default: every device of the owner)")
	fl.DurationVar(&opts.TTL, "ttl", 15*time.Minute, "lifetime of the token")
	fl.StringVar(&opts.Config, "config", "", "gateway configuration file holding auth.jwt (default: the environment only)")
	fl.StringVar(&opts.SecretFile, "secret-file", "", "file holding the HMAC secret (instead of the configuration's)")
	_ = cmd.MarkFlagRequired("owner")
	_ = cmd.MarkFlagRequired("scope")
	_ = cmd.RegisterFlagCompletionFunc("scope", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return jwtScopes(), cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.MarkFlagFilename("config", "yaml", "yml")
	_ = cmd.MarkFlagFilename("secret-file")
	return cmdutil.NoFormats(cmd)
}

// jwtScopes are the scopes a JWT may carry (all but admin).
func jwtScopes() []string {
	return slices.DeleteFunc(slices.Clone(proto.Scopes()), func(s string) bool { return s == proto.ScopeAdmin })
}

// Mint returns the signed token.
func (o *TokenOptions) Mint() (string, error) {
	if reason := proto.CheckOwner(o.Owner); reason != "" {
		return "", cmdutil.FlagErrorf("--owner: %s", reason)
	}
	for _, s := range o.Scopes {
		if !slices.Contains(jwtScopes(), s) {
			return "", cmdutil.FlagErrorf("--scope %q: want one of %s (admin cannot be granted by a JWT)", s, strings.Join(jwtScopes(), ", "))
		}
	}
	if len(o.Devices) > auth.MaxJWTDevices {
		return "", cmdutil.FlagErrorf("--device: at most %d devices", auth.MaxJWTDevices)
	}
	for _, d := range o.Devices {
		if reason := proto.CheckIdent(d); reason != "" {
			return "", cmdutil.FlagErrorf("--device %q: %s", d, reason)
		}
	}
	if o.TTL <= 0 {
		return "", cmdutil.FlagErrorf("--ttl must be positive")
	}
	cfg, err := config.Load(o.Config, o.Getenv)
	if err != nil {
		return "", err
	}
	j := cfg.Auth.JWT
	if j.MaxTTL > 0 && o.TTL > j.MaxTTL {
		return "", cmdutil.FlagErrorf("--ttl %s is longer than auth.jwt.max_ttl (%s): the gateway would refuse the token", o.TTL, j.MaxTTL)
	}
	secret, err := o.secret(j)
	if err != nil {
		return "", err
	}
	now := o.Now()
	claims := jwt.MapClaims{
		j.OwnerClaim:  o.Owner,
		j.ScopesClaim: strings.Join(o.Scopes, " "),
		"iat":         now.Unix(),
		"exp":         now.Add(o.TTL).Unix(),
		"jti":         auth.NewID(16),
	}
	if len(o.Devices) > 0 {
		claims[j.DevicesClaim] = o.Devices
	}
	if j.Issuer != "" {
		claims["iss"] = j.Issuer
	}
	if j.Audience != "" {
		claims["aud"] = j.Audience
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}

// secret is --secret-file's, else the configuration's first HMAC secret.
func (o *TokenOptions) secret(j config.JWT) ([]byte, error) {
	file := o.SecretFile
	if file == "" {
		if len(j.Secrets) > 0 {
			return []byte(j.Secrets[0]), nil
		}
		if len(j.SecretFiles) == 0 {
			return nil, cmdutil.FlagErrorf("no HMAC secret: give --secret-file, or --config with auth.jwt.secrets or auth.jwt.secret_files")
		}
		file = j.SecretFiles[0]
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) < config.MinJWTSecret {
		return nil, fmt.Errorf("%s holds %d bytes; an HMAC secret needs %d or more", file, len(b), config.MinJWTSecret)
	}
	return b, nil
}
