package config

import (
	"testing"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/iostreams"
)

func TestNewCmdConfig(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdConfig(cmdutil.NewFactory(ios, "test"))
	names := map[string]bool{}
	for _, c := range cmd.Commands() {
		names[c.Name()] = true
	}
	if !names["init"] || !names["check"] || len(names) != 2 {
		t.Errorf("subcommands = %v", names)
	}
}
