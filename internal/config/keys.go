package config

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// KeyDoc documents one configuration key.
type KeyDoc struct {
	Key         string   // dotted YAML path, e.g. "storage.max_age"
	Env         string   // environment variable, e.g. "EVTCTL_STORAGE_MAX_AGE"
	EnvAliases  []string // short aliases, e.g. ["EVTCTL_DATA"]; the long name wins when both are set
	Default     string   // the default as written in YAML, e.g. "168h", `":8100"`, "[]"
	Description string   // one sentence
}

// field is one leaf key of Config, found by reflection.
type field struct {
	path    string // "storage.max_age"
	env     string
	aliases []string
	doc     string
	index   []int // reflect index path from Config
	typ     reflect.Type
}

var durationType = reflect.TypeOf(time.Duration(0))

// allFields lists every leaf key in struct (= template) order.
var allFields = sync.OnceValue(func() []field {
	var out []field
	var walk func(t reflect.Type, prefix string, index []int)
	walk = func(t reflect.Type, prefix string, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			name := yamlName(sf)
			if name == "" {
				continue
			}
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			idx := append(append([]int(nil), index...), i)
			if sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, path, idx)
				continue
			}
			f := field{
				path:  path,
				env:   "EVTCTL_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_")),
				doc:   sf.Tag.Get("doc"),
				index: idx,
				typ:   sf.Type,
			}
			if a := sf.Tag.Get("env"); a != "" {
				f.aliases = strings.Split(a, ",")
			}
			out = append(out, f)
		}
	}
	walk(reflect.TypeOf(Config{}), "", nil)
	return out
})

func yamlName(sf reflect.StructField) string {
	if !sf.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// Keys documents every key in template order. It is generated from the
// Config struct tags and Default, like Template.
func Keys() []KeyDoc {
	def := reflect.ValueOf(Default()).Elem()
	fs := allFields()
	out := make([]KeyDoc, 0, len(fs))
	for _, f := range fs {
		out = append(out, KeyDoc{
			Key:         f.path,
			Env:         f.env,
			EnvAliases:  append([]string(nil), f.aliases...),
			Default:     formatYAML(def.FieldByIndex(f.index)),
			Description: f.doc,
		})
	}
	return out
}

const templateHeader = `# evtctl gateway configuration (evtctl serve --config FILE).
#
# Every key is listed with its default value; delete the ones you do not change.
# Each key can also be set with the environment variable named in its comment,
# which overrides this file; lists are comma-separated there.
# Durations need a unit: 500ms, 30s, 5m, 2h (no days: write 168h).
# Check a file with: evtctl config check FILE
`

// Template returns a commented configuration file holding every key with its
// default value. Loading it yields Default().
func Template() []byte {
	def := reflect.ValueOf(Default()).Elem()
	var b bytes.Buffer
	b.WriteString(templateHeader)
	var open []string // the mappings the previous key was in
	for _, f := range allFields() {
		parts := strings.Split(f.path, ".")
		secs, key := parts[:len(parts)-1], parts[len(parts)-1]
		same := 0
		for same < len(open) && same < len(secs) && open[same] == secs[same] {
			same++
		}
		for i := same; i < len(secs); i++ {
			if i == 0 {
				b.WriteString("\n")
			}
			b.WriteString(strings.Repeat("  ", i) + secs[i] + ":\n")
		}
		open = secs
		indent := strings.Repeat("  ", len(secs))
		env := f.env
		for _, a := range f.aliases {
			env += " or " + a
		}
		b.WriteString(indent + "# " + f.doc + " Env: " + env + ".\n")
		b.WriteString(indent + key + ": " + formatYAML(def.FieldByIndex(f.index)) + "\n")
	}
	return b.Bytes()
}

// formatYAML writes a leaf value as it would appear in the file.
func formatYAML(v reflect.Value) string {
	if v.Type() == durationType {
		return formatDuration(time.Duration(v.Int()))
	}
	switch v.Kind() {
	case reflect.String:
		return yamlString(v.String())
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = formatYAML(v.Index(i))
			if strings.ContainsAny(items[i], ",[]{}") && !strings.ContainsAny(items[i][:1], `"'`) {
				items[i] = strconv.Quote(v.Index(i).String())
			}
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	panic("config: unsupported type " + v.Type().String())
}

// yamlString quotes s only when YAML needs it.
func yamlString(s string) string {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.ContainsAny(s, ":#") {
		n.Style = yaml.DoubleQuotedStyle // ":8100" is valid plain YAML but reads badly
	}
	out, err := yaml.Marshal(n)
	if err != nil {
		return strconv.Quote(s)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// formatDuration prints d without trailing zero units: 5m rather than 5m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
