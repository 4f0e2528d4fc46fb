package cmdutil

import (
	"errors"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

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

// Settings resolves the server and token: flag, then environment
// (EVTCTL_SERVER, EVTCTL_TOKEN), then ~/.config/evtctl/config.yaml, then the
// default server.
func (f *Factory) Settings() (ClientSettings, error) {
	var s ClientSettings
	if p := f.UserConfigPath(); p != "" {
		data, err := os.ReadFile(p)
		switch {
		case err == nil:
			if err := yaml.Unmarshal(data, &s); err != nil {
				return s, errors.New("cannot read " + p + ": " + err.Error())
			}
		case !errors.Is(err, os.ErrNotExist):
			return s, err
		}
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
