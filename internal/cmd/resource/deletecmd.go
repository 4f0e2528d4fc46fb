package cmdhelp

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// DeleteOptions are the inputs of a resource's `delete` (or `revoke`)
// command.
type DeleteOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	IDs []string
	Yes bool // --yes: do not ask, even on a terminal
}

// DeleteCmd describes the `delete` command of a resource; the commands
// differ only in their help and, for keys, the verb.
type DeleteCmd struct {
	Resource             Resource
	Verb                 string   // "delete" (default) or "revoke"
	Aliases              []string // default: rm
	Short, Long, Example string
}

// New builds the command. runF replaces the real run in tests.
func (d DeleteCmd) New(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{Factory: f, Client: f.APIClient}
	aliases := d.Aliases
	if aliases == nil {
		aliases = []string{"rm"}
	}
	cmd := &cobra.Command{
		Use:               d.verb() + " ID...",
		Aliases:           aliases,
		Short:             d.Short,
		Long:              d.Long,
		Example:           d.Example,
		Args:              IDArgs(d.Resource.Kind, true),
		ValidArgsFunction: FirstArgIDs(f, d.Resource.Path, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IDs = args
			if runF != nil {
				return runF(opts)
			}
			return d.Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// Run deletes the resources (see DeleteIDs).
func (d DeleteCmd) Run(ctx context.Context, opts *DeleteOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	return DeleteIDs(ctx, opts.Factory, c, d.Resource, opts.IDs, opts.Yes, d.verb())
}

func (d DeleteCmd) verb() string {
	if d.Verb == "" {
		return "delete"
	}
	return d.Verb
}
