// Package webhooks implements `evtctl webhooks`: a local receiver that
// verifies the gateway's webhook requests while developing (listen), and
// an offline check of a saved request (verify).
package webhooks

import "github.com/evtctl/evtctl/internal/cmd/resource"

// Command is `evtctl webhooks`.
var Command = resource.Group{
	Use:   "webhooks <command>",
	Short: "Receive and verify signed webhook requests while developing",
	Long: "Tools for the receiving side of webhook endpoints: 'listen' runs a local receiver\n" +
		"that checks each request's Standard Webhooks signature, prints it and can forward\n" +
		"it to your application; 'verify' checks a saved request offline.",
	Verbs: []resource.Verb{resource.Func(newCmdListen), resource.Func(newCmdVerify)},
}
