// What the keys commands have in common: the
// resource's path, its table columns and the scope completion.

package keys

import (
	"strings"
	"time"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Resource is /api/v1/keys.
var Resource = resource.Resource{Kind: "API key", Path: "/api/v1/keys"}

// Key is an API key as the gateway sent it.
type Key = resource.Raw[proto.APIKey]

func expires(k Key) time.Time {
	if k.V.ExpiresAt == nil {
		return time.Time{}
	}
	return *k.V.ExpiresAt
}

// Columns is the table of `keys list`. An empty EXPIRES never expires.
var Columns = []cmdutil.Column[Key]{
	cmdutil.Col("ID", func(k Key) string { return k.V.ID }),
	cmdutil.Col("NAME", func(k Key) string { return k.V.Name }),
	cmdutil.Col("OWNER", func(k Key) string { return k.V.Owner }),
	cmdutil.Col("SCOPES", func(k Key) string { return strings.Join(k.V.Scopes, ",") }),
	cmdutil.TimeCol("EXPIRES", expires),
	cmdutil.TimeCol("CREATED", func(k Key) time.Time { return k.V.CreatedAt }),
}

// CreatedColumns is the table of `keys create`: the token comes last, so
// `cut -f7` of the tab-separated line is the token.
var CreatedColumns = append(append([]cmdutil.Column[Key](nil), Columns...),
	cmdutil.Col("TOKEN", func(k Key) string { return k.V.Token }),
)
