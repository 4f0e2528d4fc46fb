package endpoints

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// newCmdGet builds `evtctl endpoints get`.
func newCmdGet(f *cmdutil.Factory) *cobra.Command {
	return resource.GetCmd[Endpoint]{
		Resource: Resource,
		Short:    "Show one endpoint",
		Long:     "Show one endpoint. Exit code 3 if there is no such endpoint. The webhook signing\nsecret is shown only when the endpoint is created.",
		Columns:  DetailColumns,
	}.New(f)
}
