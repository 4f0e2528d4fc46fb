package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"gopkg.in/yaml.v3"
)

// UserConfig is the CLI's own file, ~/.config/evtctl/config.yaml
// ($XDG_CONFIG_HOME/evtctl/config.yaml): a server and token at the top
// level, or named contexts, one per gateway, and the current one.
type UserConfig struct {
	Server         string    `yaml:"server,omitempty"`
	Token          string    `yaml:"token,omitempty"`
	CurrentContext string    `yaml:"current-context,omitempty"`
	Contexts       []Context `yaml:"contexts,omitempty"`
	// Other keys (a file written from `keys create -o yaml` has many) are
	// kept as they are when the file is rewritten.
	Extra map[string]any `yaml:",inline"`
}

// Context is one gateway: its URL and the token to use with it, given in
// the file or read from a file of its own each time it is used.
type Context struct {
	Name      string `yaml:"name"`
	Server    string `yaml:"server,omitempty"`
	Token     string `yaml:"token,omitempty"`
	TokenFile string `yaml:"token-file,omitempty"`
}

// Find returns the context named name, or nil.
func (c *UserConfig) Find(name string) *Context {
	for i := range c.Contexts {
		if c.Contexts[i].Name == name {
			return &c.Contexts[i]
		}
	}
	return nil
}

func (c *UserConfig) hasToken() bool {
	if c.Token != "" {
		return true
	}
	for _, x := range c.Contexts {
		if x.Token != "" {
			return true
		}
	}
	return false
}

// ReadToken returns the context's token: the one in the config file, or
// the content of its token file, which must not be readable by group or
// others (as ssh refuses such a private key).
func (c *Context) ReadToken() (string, error) {
	if c.TokenFile == "" {
		return c.Token, nil
	}
	fi, err := os.Stat(c.TokenFile)
	if err != nil {
		return "", fmt.Errorf("context %q: cannot read its token file: %w", c.Name, err)
	}
	if err := checkPrivate(c.TokenFile, fi); err != nil {
		return "", fmt.Errorf("context %q: %w", c.Name, err)
	}
	data, err := os.ReadFile(c.TokenFile)
	if err != nil {
		return "", fmt.Errorf("context %q: cannot read its token file: %w", c.Name, err)
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", fmt.Errorf("context %q: the token file %s is empty", c.Name, c.TokenFile)
	}
	return tok, nil
}

// checkPrivate refuses a token file that group or others may read.
func checkPrivate(path string, fi os.FileInfo) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("refusing to read a token from %s: it is readable by group or others (mode %04o); run: chmod 600 %s", path, m, path)
	}
	return nil
}

// ReadUserConfig reads the CLI's config file; a missing file is an empty
// configuration. A file holding a token that group or others may read is
// used, with a warning on standard error (evtctl config set-context
// rewrites it with mode 0600).
func (f *Factory) ReadUserConfig() (*UserConfig, error) {
	cfg := &UserConfig{}
	p := f.UserConfigPath()
	if p == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return cfg, nil
	case err != nil:
		return nil, err
	}
	if err := yaml.Unmarshal(data, cfg); err != nil {
		return nil, errors.New("cannot read " + p + ": " + err.Error())
	}
	if cfg.hasToken() && !f.warnedConfigMode {
		if fi, err := os.Stat(p); err == nil {
			if err := checkPrivate(p, fi); err != nil {
				f.warnedConfigMode = true
				fmt.Fprintf(f.IOStreams.ErrOut, "evtctl: warning: %s holds a token and is readable by group or others (mode %04o); run: chmod 600 %s\n", p, fi.Mode().Perm(), p)
			}
		}
	}
	return cfg, nil
}

// WriteUserConfig replaces the CLI's config file with cfg: its directory is
// created with mode 0700, the file written with mode 0600 (also when it
// existed with a wider one) and renamed into place.
func (f *Factory) WriteUserConfig(cfg *UserConfig) error {
	p := f.UserConfigPath()
	if p == "" {
		return errors.New("no config file: neither XDG_CONFIG_HOME nor a home directory is set")
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".config-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}
