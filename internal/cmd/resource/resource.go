package resource

import (
	"context"
	"errors"
	"net/url"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// Resource is one kind of management resource of docs/contract.md#management: where it lives
// and what it is called in messages.
type Resource struct {
	Kind string // singular noun for messages: "endpoint", "event filter"
	Path string // collection path: "/api/v1/endpoints"
}

// ItemPath is the path of one resource.
func (r Resource) ItemPath(id string) string { return r.Path + "/" + url.PathEscape(id) }

// Get fetches one resource into out.
func (r Resource) Get(ctx context.Context, c *apiclient.Client, id string, out any) error {
	return FieldErrors(c.Do(ctx, "GET", r.ItemPath(id), nil, nil, out))
}

// Create POSTs body and decodes the created resource into out.
func (r Resource) Create(ctx context.Context, c *apiclient.Client, body Body, out any) error {
	return FieldErrors(c.Do(ctx, "POST", r.Path, nil, body, out))
}

// Update PATCHes the fields in body and decodes the updated resource into out.
func (r Resource) Update(ctx context.Context, c *apiclient.Client, id string, body Body, out any) error {
	return FieldErrors(c.Do(ctx, "PATCH", r.ItemPath(id), nil, body, out))
}

// Delete deletes one resource.
func (r Resource) Delete(ctx context.Context, c *apiclient.Client, id string) error {
	return FieldErrors(c.Do(ctx, "DELETE", r.ItemPath(id), nil, nil, nil))
}

// DoOne sends one request of a noun's own verb (an action such as a retry,
// a sub-resource such as a secret) and prints the one object the gateway
// answers with cols.
func DoOne[T any](ctx context.Context, f *cmdutil.Factory, method, path string, body any, cols []cmdutil.Column[T]) error {
	c, err := f.APIClient()
	if err != nil {
		return err
	}
	var out T
	if err := c.Do(ctx, method, path, nil, body, &out); err != nil {
		return FieldErrors(err)
	}
	return cmdutil.PrintOne(f, out, cols)
}

// FieldErrors adapts the gateway's validation details to a management
// request: they name fields of one object, so the "record 0" of an ingest
// batch would mislead, and a single detail only repeats the message (the
// gateway's message is already a sentence naming the field).
func FieldErrors(err error) error {
	var ae *apiclient.APIError
	if err == nil || !errors.As(err, &ae) {
		return err
	}
	if len(ae.Details) == 1 {
		ae.Details = nil
		return err
	}
	for i := range ae.Details {
		ae.Details[i].Index = nil
	}
	return err
}
