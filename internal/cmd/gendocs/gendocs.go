// Package gendocs implements the hidden `evtctl gen-docs` command, which
// writes the shell completions and man pages shipped in completions/ and
// man/ from the cobra command tree, so they can never drift from the code
// (a test regenerates them and fails when the committed copies are stale).
package gendocs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/config"
)

// Date is the date printed in the man pages. It is fixed (not today) so
// that generating twice gives identical files; SOURCE_DATE_EPOCH, the
// reproducible-builds convention, overrides it.
var Date = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// NewCmdGenDocs builds `evtctl gen-docs`.
func NewCmdGenDocs(f *cmdutil.Factory) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:    "gen-docs",
		Short:  "Generate shell completions and man pages",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			date := Date
			if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
				sec, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					return cmdutil.FlagErrorf("SOURCE_DATE_EPOCH %q is not a Unix time", s)
				}
				date = time.Unix(sec, 0).UTC()
			}
			if err := Generate(cmd.Root(), dir, date); err != nil {
				return err
			}
			fmt.Fprintf(f.IOStreams.ErrOut, "Wrote %s and %s\n", filepath.Join(dir, "completions"), filepath.Join(dir, "man"))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "directory that receives completions/ and man/")
	return cmdutil.NoFormats(cmd)
}

// Generate writes completions/, man/ and the packaged default config
// (packaging/evtctl.yaml) under dir, replacing what is there.
func Generate(root *cobra.Command, dir string, date time.Time) error {
	if err := os.MkdirAll(filepath.Join(dir, "packaging"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "packaging", "evtctl.yaml"), config.Template(), 0o644); err != nil {
		return err
	}
	comp := filepath.Join(dir, "completions")
	man := filepath.Join(dir, "man")
	for _, d := range []string{comp, man} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// cobra adds these lazily on Execute; add them now so the tree is the
	// same whether or not it was executed.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.DisableAutoGenTag = true
	gens := map[string]func(*bytes.Buffer) error{
		"evtctl.bash": func(b *bytes.Buffer) error { return root.GenBashCompletionV2(b, true) },
		"evtctl.zsh":  func(b *bytes.Buffer) error { return root.GenZshCompletion(b) },
		"evtctl.fish": func(b *bytes.Buffer) error { return root.GenFishCompletion(b, true) },
		"evtctl.ps1":  func(b *bytes.Buffer) error { return root.GenPowerShellCompletionWithDesc(b) },
	}
	for name, gen := range gens {
		var b bytes.Buffer
		if err := gen(&b); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(comp, name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	hdr := &doc.GenManHeader{Title: "EVTCTL", Section: "1", Source: "evtctl", Manual: "evtctl manual", Date: &date}
	return doc.GenManTree(root, hdr, man)
}
