package endpoints

import "github.com/evtctl/evtctl/internal/cmd/resource"

// getCmd is `evtctl endpoints get`.
var getCmd = resource.GetCmd[Endpoint]{
	Resource: Resource,
	Short:    "Show one endpoint",
	Long:     "Show one endpoint. Exit code 3 if there is no such endpoint. The webhook signing\nsecret is shown only when the endpoint is created.",
	Columns:  DetailColumns,
}
