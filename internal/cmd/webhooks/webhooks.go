// Package webhooks implements `evtctl webhooks`: a local receiver that
// verifies the gateway's webhook requests while developing (listen), and
// an offline check of a saved request (verify).
package webhooks

import (
	"time"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/webhook/signing"
)

// Command is `evtctl webhooks`.
var Command = resource.Group{
	Use:   "webhooks <command>",
	Short: "Receive and verify signed webhook requests while developing",
	Long: "Tools for the receiving side of webhook endpoints: 'listen' runs a local receiver\n" +
		"that checks each request's Standard Webhooks signature, prints it and can forward\n" +
		"it to your application; 'verify' checks a saved request offline.",
	Verbs: []resource.Verb{resource.Func(newCmdListen), resource.Func(newCmdVerify)},
}

// checkSecretFlags checks what listen and verify share: --secret values
// (or --endpoint, not both) and --tolerance.
func checkSecretFlags(secrets []string, endpoint string, tolerance time.Duration) error {
	if len(secrets) > 0 && endpoint != "" {
		return cmdutil.FlagErrorf("give --secret or --endpoint, not both")
	}
	for _, s := range secrets {
		if _, err := signing.DecodeSecret(s); err != nil {
			return cmdutil.FlagErrorf("invalid --secret: %s", err)
		}
	}
	if tolerance < 0 {
		return cmdutil.FlagErrorf("--tolerance must not be negative")
	}
	return nil
}
