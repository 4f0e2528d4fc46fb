package resource

import (
	"net/url"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// ListFlag is a narrowing flag of one resource: --Name VALUE lists with
// ?Param=VALUE.
type ListFlag struct {
	Name, Param, Usage string
	Values             []string // when set, the only values accepted (and completed)
	CompleteIDs        string   // when set, complete with the ids of this collection path
}

// Sorts are the values of a list's --sort (docs/contract.md#paging).
var Sorts = []string{"created_at", "-created_at", "updated_at", "-updated_at"}

// ListCmd describes the `list` command of a resource that prints as T.
// Every list has --owner and --limit; Sorts, when set, adds --id and --sort
// (paging and sorting of docs/contract.md#paging).
type ListCmd[T any] struct {
	Resource       Resource
	Use            string // default "list [flags]"
	Short, Example string
	Sorts          []string
	Flags          []ListFlag
	Columns        []cmdutil.Column[T]
}

// New builds the command: it lists the resources, following the gateway's
// pages, and prints them.
func (l ListCmd[T]) New(f *cmdutil.Factory) *cobra.Command {
	var (
		ids         []string // --id: only these
		sort, owner string
		limit       int // at most this many; 0 = all
		narrow      = make([]string, len(l.Flags))
		use         = l.Use
	)
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
			q := ListQuery(ids, sort, owner)
			for i, fl := range l.Flags {
				if narrow[i] == "" {
					continue
				}
				if fl.Values != nil {
					if err := OneOf(fl.Name, narrow[i], fl.Values); err != nil {
						return err
					}
				}
				q.Set(fl.Param, narrow[i])
			}
			if err := OneOf("sort", sort, l.Sorts); err != nil {
				return err
			}
			if err := CheckLimit(limit); err != nil {
				return err
			}
			c, err := f.APIClient()
			if err != nil {
				return err
			}
			items, err := apiclient.ListAll[T](cmd.Context(), c, l.Resource.Path, q, limit)
			if err != nil {
				return FieldErrors(err)
			}
			return cmdutil.Print(f, items, l.Columns)
		},
	}
	fs := cmd.Flags()
	if l.Sorts != nil {
		fs.StringArrayVar(&ids, "id", nil, "only this "+l.Resource.Kind+" (repeatable)")
		fs.StringVar(&sort, "sort", "", "order: created_at, updated_at, or either with - for newest first")
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
	fs.StringVar(&owner, "owner", "", "only "+l.Resource.Kind+"s of this tenant")
	fs.IntVar(&limit, "limit", 0, "list at most this many (0 = all)")
	return cmd
}

// CheckLimit is the usage error for a negative --limit (0 means all).
func CheckLimit(limit int) error {
	if limit < 0 {
		return cmdutil.FlagErrorf("--limit must be 0 (all) or more")
	}
	return nil
}

// ListQuery is the query string the resource lists share (docs/contract.md#paging):
// ?id= for each id, ?sort= and ?owner= when set.
func ListQuery(ids []string, sort, owner string) url.Values {
	q := url.Values{}
	for _, id := range ids {
		q.Add("id", id)
	}
	if sort != "" {
		q.Set("sort", sort)
	}
	if owner != "" {
		q.Set("owner", owner)
	}
	return q
}
