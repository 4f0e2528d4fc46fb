package endpoints

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// updateCmd is `evtctl endpoints update`.
var updateCmd = resource.UpdateCmd[Endpoint]{
	Resource: Resource,
	Short:    "Change fields of an endpoint",
	Long: "Change the fields given as flags and leave the others as they are (PATCH).\n" +
		"Disabling an endpoint closes its WebSocket connections and pauses its webhook.\n" +
		"The type cannot be changed: create a new endpoint.",
	Example:  "  evtctl endpoints update ep_123 --enabled=false\n  evtctl endpoints update ep_123 --url https://example.com/new",
	Fields:   Fields,
	AddFlags: func(c *cobra.Command, _ *cmdutil.Factory) { AddFieldFlags(c) },
	Columns:  DetailColumns,
}
