package cmdhelp

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// ListOptions are the inputs of a resource's `list` command.
type ListOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	IDs   []string // --id: only these
	Sort  string   // --sort
	Owner string   // --owner (admin keys: one tenant)
	Limit int      // --limit: at most this many; 0 = all
	// Narrow holds the values of the resource's own flags (ListFlag) by
	// query parameter; flags left unset are absent.
	Narrow map[string]string
}

// ListFlag is a narrowing flag of one resource: --Name VALUE lists with
// ?Param=VALUE.
type ListFlag struct {
	Name, Param, Usage string
	Values             []string // when set, the only values accepted (and completed)
	CompleteIDs        string   // when set, complete with the ids of this collection path
}

// ListCmd describes the `list` command of a resource that prints as T.
// Every list has --owner and --limit; Sorts, when set, adds --id and --sort
// (CONTRACT §5 paging and sorting).
type ListCmd[T any] struct {
	Resource       Resource
	Use            string // default "list [flags]"
	Short, Example string
	Sorts          []string
	Flags          []ListFlag
	Columns        []cmdutil.Column[T]
}

// New builds the command. runF replaces the real run in tests.
func (l ListCmd[T]) New(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{Factory: f, Client: f.APIClient}
	narrow := make([]string, len(l.Flags))
	use := l.Use
	if use == "" {
		use = "list [flags]"
	}
	cmd := &cobra.Command{
		Use:     use,
		Aliases: []string{"ls"},
		Short:   l.Short,
		Example: l.Example,
		Args:    NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for i, fl := range l.Flags {
				if narrow[i] == "" {
					continue
				}
				if fl.Values != nil {
					if err := OneOf(fl.Name, narrow[i], fl.Values); err != nil {
						return err
					}
				}
				if opts.Narrow == nil {
					opts.Narrow = map[string]string{}
				}
				opts.Narrow[fl.Param] = narrow[i]
			}
			if err := OneOf("sort", opts.Sort, l.Sorts); err != nil {
				return err
			}
			if err := CheckLimit(opts.Limit); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return l.Run(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	if l.Sorts != nil {
		fs.StringArrayVar(&opts.IDs, "id", nil, "only this "+l.Resource.Kind+" (repeatable)")
		fs.StringVar(&opts.Sort, "sort", "", "order: created_at, updated_at, or either with - for newest first")
		_ = cmd.RegisterFlagCompletionFunc("id", IDs(f, l.Resource.Path))
		_ = cmd.RegisterFlagCompletionFunc("sort", Enum(l.Sorts...))
	}
	for i, fl := range l.Flags {
		fs.StringVar(&narrow[i], fl.Name, "", fl.Usage)
		switch {
		case fl.Values != nil:
			_ = cmd.RegisterFlagCompletionFunc(fl.Name, Enum(fl.Values...))
		case fl.CompleteIDs != "":
			_ = cmd.RegisterFlagCompletionFunc(fl.Name, IDs(f, fl.CompleteIDs))
		}
	}
	fs.StringVar(&opts.Owner, "owner", "", "only "+l.Resource.Kind+"s of this tenant")
	fs.IntVar(&opts.Limit, "limit", 0, "list at most this many (0 = all)")
	return cmd
}

// Run lists the resources, following the gateway's pages, and prints them.
func (l ListCmd[T]) Run(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	q := ListQuery(opts.IDs, opts.Sort, opts.Owner)
	for param, v := range opts.Narrow {
		q.Set(param, v)
	}
	items, err := apiclient.ListAll[T](ctx, c, l.Resource.Path, q, opts.Limit)
	if err != nil {
		return FieldErrors(err)
	}
	return cmdutil.Print(opts.Factory, items, l.Columns)
}
