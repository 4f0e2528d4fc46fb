package config

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// NewCmdSetContext builds `evtctl config set-context`.
func NewCmdSetContext(f *cmdutil.Factory) *cobra.Command {
	var server, token, tokenFile string
	var use bool
	cmd := &cobra.Command{
		Use:   "set-context NAME [--server URL] [--token TOKEN | --token-file FILE] [--use]",
		Short: "Add or change a context: a gateway and the token to use with it",
		Long: "Add a context to the CLI's config file ($XDG_CONFIG_HOME/evtctl/config.yaml,\n" +
			"~/.config/evtctl/config.yaml by default), or change the fields given of an existing one.\n\n" +
			"--token-file names a file holding the token, read each time the context is used; it\n" +
			"must not be readable by group or others (chmod 600), or evtctl refuses it. A --token\n" +
			"is stored in the config file, which is written with mode 0600 in a 0700 directory.\n" +
			"The first context added becomes the current one; --use makes this one current.",
		Example: "  evtctl config set-context edge-1 --server http://10.0.0.21:8100 --token-file ~/.evtctl/edge-1.token\n" +
			"  evtctl config set-context cloud --server https://events.example.com --token \"$TOKEN\" --use\n" +
			"  evtctl config set-context cloud --server https://events2.example.com",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if name == "" {
				return cmdutil.FlagErrorf("a context needs a name")
			}
			if token != "" && tokenFile != "" {
				return cmdutil.FlagErrorf("give --token or --token-file, not both")
			}
			if server != "" {
				if _, err := apiclient.ParseServer(server); err != nil {
					return &cmdutil.FlagError{Err: err}
				}
			}
			if tokenFile != "" {
				abs, err := filepath.Abs(tokenFile)
				if err != nil {
					return err
				}
				tokenFile = abs
			}
			cfg, err := f.ReadUserConfig()
			if err != nil {
				return err
			}
			c := cfg.Find(name)
			verb := "Changed"
			if c == nil {
				if server == "" {
					return cmdutil.FlagErrorf("a new context needs --server")
				}
				cfg.Contexts = append(cfg.Contexts, cmdutil.Context{Name: name})
				c = &cfg.Contexts[len(cfg.Contexts)-1]
				verb = "Added"
			}
			if server != "" {
				c.Server = server
			}
			if token != "" {
				c.Token, c.TokenFile = token, ""
			}
			if tokenFile != "" {
				c.Token, c.TokenFile = "", tokenFile
				// Check the file now rather than at the first use.
				if _, err := c.ReadToken(); err != nil {
					return err
				}
			}
			if use || cfg.CurrentContext == "" {
				cfg.CurrentContext = name
			}
			if err := f.WriteUserConfig(cfg); err != nil {
				return err
			}
			msg := fmt.Sprintf("%s context %q in %s", verb, name, f.UserConfigPath())
			if cfg.CurrentContext == name {
				msg += "; it is the current context"
			}
			fmt.Fprintln(f.IOStreams.ErrOut, msg+".")
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", "", "gateway URL of the context")
	cmd.Flags().StringVar(&token, "token", "", "API token, stored in the config file (prefer --token-file)")
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "file holding the API token, read at each use (mode 0600)")
	cmd.Flags().BoolVar(&use, "use", false, "make it the current context")
	cmd.ValidArgsFunction = CompleteContexts(f)
	return cmdutil.NoFormats(cmd)
}

// NewCmdUseContext builds `evtctl config use-context`.
func NewCmdUseContext(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NoFormats(&cobra.Command{
		Use:               "use-context NAME",
		Short:             "Make a context the current one",
		Long:              "Make a context of the config file the current one: commands use its server and token\nunless --context, --server, --token or EVTCTL_SERVER/EVTCTL_TOKEN say otherwise.",
		Example:           "  evtctl config use-context edge-1",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: CompleteContexts(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.ReadUserConfig()
			if err != nil {
				return err
			}
			if cfg.Find(args[0]) == nil {
				return cmdutil.FlagErrorf("no context named %q in %s (see evtctl config get-contexts)", args[0], f.UserConfigPath())
			}
			cfg.CurrentContext = args[0]
			if err := f.WriteUserConfig(cfg); err != nil {
				return err
			}
			fmt.Fprintf(f.IOStreams.ErrOut, "Switched to context %q.\n", args[0])
			return nil
		},
	})
}

// contextView is what get-contexts shows of a context: never its token.
type contextView struct {
	Current   bool   `json:"current"`
	Name      string `json:"name"`
	Server    string `json:"server"`
	Token     string `json:"token"` // how the token is given, not the token
	TokenFile string `json:"token_file,omitempty"`
}

var contextColumns = []cmdutil.Column[contextView]{
	cmdutil.Col("CURRENT", func(c contextView) string {
		if c.Current {
			return "*"
		}
		return ""
	}),
	cmdutil.Col("NAME", func(c contextView) string { return c.Name }),
	cmdutil.Col("SERVER", func(c contextView) string { return c.Server }),
	cmdutil.Col("TOKEN", func(c contextView) string {
		if c.TokenFile != "" {
			return c.TokenFile
		}
		return c.Token
	}),
}

// NewCmdGetContexts builds `evtctl config get-contexts`.
func NewCmdGetContexts(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "get-contexts",
		Short: "List the contexts of the config file, the current one marked",
		Long: "List the contexts of the CLI's config file: the current one is marked with * (or\n" +
			"the one --context names). Tokens are never printed: TOKEN says \"stored\" for a token\n" +
			"kept in the config file, the file's path for a --token-file, \"none\" otherwise.",
		Example: "  evtctl config get-contexts\n  evtctl config get-contexts --jq '.[] | select(.current) | .server'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.NoIDOutput(f, "a context"); err != nil {
				return err
			}
			cfg, err := f.ReadUserConfig()
			if err != nil {
				return err
			}
			current := cfg.CurrentContext
			if f.Globals.Context != "" {
				current = f.Globals.Context
			}
			views := make([]contextView, 0, len(cfg.Contexts))
			for _, c := range cfg.Contexts {
				v := contextView{Current: c.Name == current, Name: c.Name, Server: c.Server, Token: "none", TokenFile: c.TokenFile}
				switch {
				case c.TokenFile != "":
					v.Token = "file"
				case c.Token != "":
					v.Token = "stored"
				}
				views = append(views, v)
			}
			return cmdutil.Print(f, views, contextColumns)
		},
	}
}

// CompleteContexts offers the names of the config file's contexts.
func CompleteContexts(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, err := f.ReadUserConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for _, c := range cfg.Contexts {
			names = append(names, c.Name)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
