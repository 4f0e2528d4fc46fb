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
			commit := buildinfo.Commit
			if len(commit) > 12 {
				commit = commit[:12]
			}
			_, err := fmt.Fprintf(f.IOStreams.Out, "evtctl %s (commit %s, built %s, %s %s/%s)\n",
				buildinfo.Version, orNone(commit), orNone(buildinfo.Date), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
