package cmdutil

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/itchyny/gojq"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/iostreams"
)

// DefaultServer is the gateway address used when nothing else is configured.
const DefaultServer = "http://localhost:8100"

// Globals are the global flags of docs/contract.md#cli-globals, bound by the root command.
type Globals struct {
	Server  string
	Token   string
	Output  string
	Quiet   bool
	NoColor bool
	// JQ is --jq: an expression filtering the JSON output (implies -o json).
	JQ string
	// Context is --context: the context of the config file to use instead
	// of its current-context.
	Context string
}

// Factory hands each command what it needs from the outside world. Commands
// receive it at construction time and resolve values lazily in their run
// function, after flags are parsed.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Version   string
	Globals   *Globals

	// Getenv and UserConfigPath are replaced in tests.
	Getenv         func(string) string
	UserConfigPath func() string

	jq               *gojq.Code // --jq, compiled once
	warnedConfigMode bool
}

// NewFactory returns a factory bound to the real environment.
func NewFactory(ios *iostreams.IOStreams, version string) *Factory {
	return &Factory{
		IOStreams:      ios,
		Version:        version,
		Globals:        &Globals{},
		Getenv:         os.Getenv,
		UserConfigPath: defaultUserConfigPath,
	}
}

// ClientSettings is where the CLI finds the gateway and its credentials.
type ClientSettings struct {
	Server string `yaml:"server"`
	Token  string `yaml:"token"`
}

// Settings resolves the server and token, each on its own, from the first
// of: the flag (--server, --token), the environment (EVTCTL_SERVER,
// EVTCTL_TOKEN), the context of ~/.config/evtctl/config.yaml (--context,
// else its current-context; without contexts, the file's top-level server
// and token), the default server.
func (f *Factory) Settings() (ClientSettings, error) {
	var s ClientSettings
	cfg, err := f.ReadUserConfig()
	if err != nil {
		return s, err
	}
	name := cfg.CurrentContext
	if f.Globals.Context != "" {
		name = f.Globals.Context
	}
	if name != "" {
		c := cfg.Find(name)
		if c == nil {
			if f.Globals.Context != "" {
				return s, FlagErrorf("no context named %q in %s (see evtctl config get-contexts)", name, f.UserConfigPath())
			}
			return s, fmt.Errorf("the current context %q is not defined in %s (see evtctl config get-contexts)", name, f.UserConfigPath())
		}
		s.Server = c.Server
		// The token file is read only when no flag or variable gives a token.
		if f.Globals.Token == "" && f.Getenv("EVTCTL_TOKEN") == "" {
			tok, err := c.ReadToken()
			if err != nil {
				return s, err
			}
			s.Token = tok
		}
	} else {
		s.Server, s.Token = cfg.Server, cfg.Token
	}
	if v := f.Getenv("EVTCTL_SERVER"); v != "" {
		s.Server = v
	}
	if v := f.Getenv("EVTCTL_TOKEN"); v != "" {
		s.Token = v
	}
	if f.Globals.Server != "" {
		s.Server = f.Globals.Server
	}
	if f.Globals.Token != "" {
		s.Token = f.Globals.Token
	}
	if s.Server == "" {
		s.Server = DefaultServer
	}
	return s, nil
}

// APIClient builds the gateway client from --server/--token, the
// environment and the config file (see Settings). A malformed server URL is
// a usage error that names it.
func (f *Factory) APIClient() (*apiclient.Client, error) {
	s, err := f.Settings()
	if err != nil {
		return nil, err
	}
	if _, err := apiclient.ParseServer(s.Server); err != nil {
		return nil, &FlagError{Err: err}
	}
	version := f.Version
	if version == "" {
		version = "dev"
	}
	return apiclient.New(s.Server, s.Token, apiclient.WithUserAgent("evtctl/"+version)), nil
}

func defaultUserConfigPath() string {
	if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" {
		return filepath.Join(dir, "evtctl", "config.yaml")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".config", "evtctl", "config.yaml")
}
