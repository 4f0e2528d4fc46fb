package filters

import "github.com/evtctl/evtctl/internal/cmd/resource"

// updateCmd is `evtctl filters update`.
var updateCmd = resource.UpdateCmd[Filter]{
	Resource: Resource,
	Short:    "Change fields of an event filter",
	Long: "Change the fields given as flags and leave the others as they are (PATCH).\n" +
		ListHelp,
	Example:  "  evtctl filters update flt_123 --device-id cam-1 --device-id cam-2\n  evtctl filters update flt_123 --event-type ''",
	Fields:   Fields,
	AddFlags: AddFieldFlags,
	Columns:  DetailColumns,
}
