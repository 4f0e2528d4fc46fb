// Package version implements `evtctl version`.
package version

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/buildinfo"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// NewCmdVersion builds `evtctl version`.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of evtctl",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := Info{Version: buildinfo.Version, Commit: buildinfo.Commit, Date: buildinfo.Date,
				Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
			if g := f.Globals; g != nil && (g.Output == cmdutil.OutputJSON || g.Output == cmdutil.OutputYAML) {
				return cmdutil.PrintOne[Info](f, v, nil)
			}
			commit := v.Commit
			if len(commit) > 12 {
				commit = commit[:12]
			}
			_, err := fmt.Fprintf(f.IOStreams.Out, "evtctl %s (commit %s, built %s, %s %s/%s)\n",
				v.Version, orNone(commit), orNone(v.Date), v.Go, v.OS, v.Arch)
			return err
		},
	}
}

// Info is what `evtctl version -o json` prints.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
