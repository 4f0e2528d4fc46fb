package resource

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evtctl/evtctl/internal/cmdutil"
)

// Field maps a command-line flag to the API field it sets. Flags are named
// after the API fields (docs/contract.md#cli-commands): --window-seconds sets window_seconds,
// and a repeatable singular flag sets a list (--device-id → device_ids).
type Field struct {
	Flag string
	JSON string
	// Headers: a repeatable flag of 'Name: value' items sent as a JSON
	// object (--header '' alone sends {}, which clears it).
	Headers bool
}

// Body is the JSON object of a create or update request.
type Body map[string]any

// BodyFromFlags collects the fields whose flags were set on the command line
// (pflag's Changed), so an update (PATCH) sends only what the user asked to
// change and a create leaves unset fields to the server's defaults.
//
// Values keep the flag's type: string, bool, int, or a list for a repeatable
// flag. A repeatable flag given once with an empty value (--device-id "")
// sends an empty list, which is how an update clears a list.
func BodyFromFlags(fs *pflag.FlagSet, fields []Field) (Body, error) {
	body := Body{}
	for _, f := range fields {
		fl := fs.Lookup(f.Flag)
		if fl == nil {
			return nil, fmt.Errorf("internal error: no flag --%s", f.Flag)
		}
		if !fl.Changed {
			continue
		}
		var v any
		var err error
		switch fl.Value.Type() {
		case "string":
			v, err = fs.GetString(f.Flag)
		case "bool":
			v, err = fs.GetBool(f.Flag)
		case "int":
			v, err = fs.GetInt(f.Flag)
		case "float64":
			v, err = fs.GetFloat64(f.Flag)
		case "stringArray":
			var list []string
			list, err = fs.GetStringArray(f.Flag)
			if len(list) == 1 && list[0] == "" {
				list = []string{}
			}
			v = list
			if f.Headers && err == nil {
				v, err = headerMap(f.Flag, list)
			}
		default:
			return nil, fmt.Errorf("internal error: flag --%s of type %s", f.Flag, fl.Value.Type())
		}
		if err != nil {
			return nil, err
		}
		body[f.JSON] = v
	}
	return body, nil
}

// headerMap turns 'Name: value' items into an object.
func headerMap(flag string, items []string) (map[string]string, error) {
	m := map[string]string{}
	for _, it := range items {
		k, v, ok := strings.Cut(it, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, cmdutil.FlagErrorf("invalid --%s %q: want 'Name: value'", flag, it)
		}
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m, nil
}

// NothingToUpdate is the usage error of an update given no field flag.
func NothingToUpdate(fields []Field) error {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = "--" + f.Flag
	}
	return cmdutil.FlagErrorf("nothing to update: set at least one of %s", strings.Join(names, ", "))
}

// Require is the usage error for required flags that were not given.
func Require(fs *pflag.FlagSet, names ...string) error {
	var missing []string
	for _, n := range names {
		if fl := fs.Lookup(n); fl == nil || !fl.Changed {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if len(missing) == 1 {
		return cmdutil.FlagErrorf("%s is required", missing[0])
	}
	return cmdutil.FlagErrorf("%s are required", strings.Join(missing, " and "))
}

// OneOf is the usage error for a flag value outside its enum. An empty value
// passes: absent flags are checked by Require.
func OneOf(flag, value string, allowed []string) error {
	if value == "" {
		return nil
	}
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return cmdutil.FlagErrorf("invalid value %q for --%s: want %s", value, flag, orList(allowed))
}

// orList renders "a, b or c".
func orList(vs []string) string {
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return vs[0]
	}
	return strings.Join(vs[:len(vs)-1], ", ") + " or " + vs[len(vs)-1]
}

// OwnerField is the owner of a resource being created (docs/contract.md#management: the
// creating key's owner by default; an admin key may set any).
var OwnerField = Field{Flag: "owner", JSON: "owner"}

// AddOwnerFlag defines --owner for OwnerField.
func AddOwnerFlag(cmd *cobra.Command, kind string) {
	cmd.Flags().String("owner", "", "tenant that owns the "+kind+" (default: the key's owner)")
}
