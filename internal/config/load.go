package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	File    string // file name as given; "" when the value did not come from a file
	Line    int    // 1-based line in File; 0 when unknown
	Key     string // dotted key, e.g. "storage.max_age" or "webhooks.allow_cidrs[1]"; "" for unknown keys and syntax errors
	Message string
	Env     string // environment variable the value came from, if any
}

// String formats the problem as "file:line: key: message", or
// "VARIABLE: key: message" for a value taken from the environment.
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.Env != "":
		b.WriteString(p.Env + ": ")
	case p.File != "" && p.Line > 0:
		b.WriteString(p.File + ":" + strconv.Itoa(p.Line) + ": ")
	case p.File != "":
		b.WriteString(p.File + ": ")
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error is returned by Load and Validate: every problem found, in file order.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads the configuration: the defaults, then the YAML file at path
// (none when path is ""; a missing file is an error), then the environment
// (getenv, nil = none): EVTCTL_<SECTION>_<KEY> for every key and the short
// aliases EVTCTL_ADMIN_TOKEN, EVTCTL_LISTEN, EVTCTL_DATA and EVTCTL_NATS_URL.
// Empty variables are ignored. The result is validated; an invalid
// configuration returns an *Error listing every problem. Load does not call
// Resolve.
func Load(path string, getenv func(string) string) (*Config, error) {
	l := newLoader(path)
	if path != "" {
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config file %s: %w", path, fs.ErrNotExist)
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read config file: %w", err)
		}
		l.decode(data)
	}
	if getenv != nil {
		l.environment(getenv)
	}
	l.validate()
	if len(l.problems) > 0 {
		return nil, &Error{Problems: l.sorted()}
	}
	return l.cfg, nil
}

// Check reports every problem of the YAML configuration data read from the
// file called name: syntax errors, unknown keys, values of the wrong type and
// invalid values. The environment is not consulted. No problem: nil.
func Check(name string, data []byte) []Problem {
	l := newLoader(name)
	l.decode(data)
	l.validate()
	return l.sorted()
}

// Validate reports every invalid value of c as an *Error (keys only: c does
// not know where its values came from).
func (c *Config) Validate() error {
	if ps := validate(c); len(ps) > 0 {
		return &Error{Problems: ps}
	}
	return nil
}

type origin struct {
	line int    // line in the file
	env  string // or the environment variable
}

type loader struct {
	file     string
	cfg      *Config
	problems []Problem
	origins  map[string]origin // by key path, list items included
	bad      map[string]bool   // keys whose value could not be decoded
}

func newLoader(file string) *loader {
	return &loader{
		file:    file,
		cfg:     Default(),
		origins: map[string]origin{},
		bad:     map[string]bool{},
	}
}

func (l *loader) add(line int, key, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: l.file, Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) sorted() []Problem {
	sort.SliceStable(l.problems, func(i, j int) bool {
		return sortLine(l.problems[i]) < sortLine(l.problems[j])
	})
	return l.problems
}

func sortLine(p Problem) int {
	if p.Line == 0 {
		return math.MaxInt
	}
	return p.Line
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (l *loader) decode(data []byte) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		l.add(line, "", "invalid YAML: %s", msg)
		return
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return // empty file: all defaults
	}
	root := deref(doc.Content[0])
	if isNull(root) {
		return
	}
	if root.Kind != yaml.MappingNode {
		l.add(root.Line, "", "expected a mapping of sections (server:, storage:, …), got %s", describeNode(root))
		return
	}
	l.mapping(root, reflect.ValueOf(l.cfg).Elem(), "")
}

func (l *loader) mapping(n *yaml.Node, v reflect.Value, prefix string) {
	t := v.Type()
	names := map[string]int{}
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			names[name] = i
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			l.add(k.Line, prefix, "keys must be plain names, got %s", describeNode(k))
			continue
		}
		path := joinKey(prefix, k.Value)
		idx, ok := names[k.Value]
		if !ok {
			l.add(k.Line, "", "%s", unknownKey(prefix, k.Value, names))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			l.add(k.Line, path, "repeated key (first set at line %d)", first)
			l.bad[path] = true
			continue
		}
		seen[k.Value] = k.Line
		l.origins[path] = origin{line: k.Line}
		fv := v.Field(idx)
		if fv.Kind() == reflect.Struct {
			if isNull(val) {
				continue
			}
			if val.Kind != yaml.MappingNode {
				l.add(val.Line, path, "expected a mapping of keys, got %s", describeNode(val))
				continue
			}
			l.mapping(val, fv, path)
			continue
		}
		l.leaf(fv, val, path)
	}
}

func (l *loader) leaf(fv reflect.Value, n *yaml.Node, path string) {
	if isNull(n) {
		return // "key:" with no value keeps the default
	}
	if fv.Kind() != reflect.Slice {
		x, msg := parseScalar(fv.Type(), n, false)
		if msg != "" {
			l.add(n.Line, path, "%s", msg)
			l.bad[path] = true
			return
		}
		fv.Set(x)
		return
	}
	if n.Kind != yaml.SequenceNode {
		l.add(n.Line, path, "expected a list (e.g. [a, b] or lines starting with \"- \"), got %s", describeNode(n))
		l.bad[path] = true
		return
	}
	s := reflect.MakeSlice(fv.Type(), 0, len(n.Content))
	for i, e := range n.Content {
		e = deref(e)
		ep := fmt.Sprintf("%s[%d]", path, i)
		l.origins[ep] = origin{line: e.Line}
		if isNull(e) {
			l.add(e.Line, ep, "empty list item")
			l.bad[path] = true
			continue
		}
		x, msg := parseScalar(fv.Type().Elem(), e, false)
		if msg != "" {
			l.add(e.Line, ep, "%s", msg)
			l.bad[path] = true
			continue
		}
		s = reflect.Append(s, x)
	}
	if l.bad[path] {
		return
	}
	if s.Len() == 0 {
		s = reflect.Zero(fv.Type())
	}
	fv.Set(s)
}

func (l *loader) environment(getenv func(string) string) {
	root := reflect.ValueOf(l.cfg).Elem()
	for _, f := range allFields() {
		name, val := f.env, strings.TrimSpace(getenv(f.env))
		for _, a := range f.aliases {
			if val != "" {
				break
			}
			name, val = a, strings.TrimSpace(getenv(a))
		}
		if val == "" {
			continue
		}
		l.origins[f.path] = origin{env: name}
		delete(l.bad, f.path)
		fv := root.FieldByIndex(f.index)
		envProblem := func(key, msg string) {
			l.problems = append(l.problems, Problem{Env: name, Key: key, Message: msg})
			l.bad[f.path] = true
		}
		if fv.Kind() != reflect.Slice {
			x, msg := parseScalar(fv.Type(), envNode(val), true)
			if msg != "" {
				envProblem(f.path, msg)
				continue
			}
			fv.Set(x)
			continue
		}
		s := reflect.Zero(fv.Type())
		i := 0
		for _, item := range strings.Split(val, ",") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			x, msg := parseScalar(fv.Type().Elem(), envNode(item), true)
			if msg != "" {
				envProblem(fmt.Sprintf("%s[%d]", f.path, i), msg)
			} else {
				s = reflect.Append(s, x)
			}
			i++
		}
		if !l.bad[f.path] {
			fv.Set(s)
		}
	}
}

func envNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s}
}

// validate adds the problems of the decoded values, placed where each value
// came from. Keys that could not be decoded are skipped: they already have a
// problem and hold their default.
func (l *loader) validate() {
	for _, p := range validate(l.cfg) {
		base, _, _ := strings.Cut(p.Key, "[")
		if l.bad[base] {
			continue
		}
		o := l.origins[base]
		switch {
		case o.env != "":
			p.Env = o.env
		case o.line > 0:
			p.File, p.Line = l.file, o.line
			if item, ok := l.origins[p.Key]; ok {
				p.Line = item.line
			}
		default:
			p.File = l.file
		}
		l.problems = append(l.problems, p)
	}
}

// parseScalar decodes one scalar into a value of type t. fromEnv relaxes
// booleans to strconv.ParseBool (1, 0, t, f, …).
func parseScalar(t reflect.Type, n *yaml.Node, fromEnv bool) (reflect.Value, string) {
	if n.Kind != yaml.ScalarNode {
		return reflect.Value{}, fmt.Sprintf("expected %s, got %s", describeType(t), describeNode(n))
	}
	v := reflect.New(t).Elem()
	tag := n.ShortTag()
	switch {
	case t == durationType:
		d, msg := parseDuration(n.Value, tag)
		if msg != "" {
			return v, msg
		}
		v.SetInt(int64(d))
	case t.Kind() == reflect.String:
		v.SetString(n.Value)
	case t.Kind() == reflect.Bool:
		var b bool
		var err error
		if fromEnv {
			b, err = strconv.ParseBool(n.Value)
		} else if tag != "!!bool" || n.Decode(&b) != nil {
			err = errors.New("not a bool")
		}
		if err != nil {
			return v, fmt.Sprintf("expected true or false, got %q", n.Value)
		}
		v.SetBool(b)
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		var i int64
		if tag != "!!int" || n.Decode(&i) != nil || v.OverflowInt(i) {
			return v, fmt.Sprintf("expected a whole number, got %q", n.Value)
		}
		v.SetInt(i)
	case t.Kind() == reflect.Float64:
		var f float64
		if (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return v, fmt.Sprintf("expected a number, got %q", n.Value)
		}
		v.SetFloat(f)
	default:
		panic("config: unsupported type " + t.String())
	}
	return v, ""
}

func parseDuration(s, tag string) (time.Duration, string) {
	if tag == "!!int" || tag == "!!float" {
		if s == "0" {
			return 0, ""
		}
		return 0, fmt.Sprintf("invalid duration %s: a unit is required (e.g. %q)", s, s+"s")
	}
	d, err := time.ParseDuration(s)
	if err == nil {
		return d, ""
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Sprintf("invalid duration %q: a unit is required (e.g. %q)", s, s+"s")
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return 0, fmt.Sprintf("invalid duration %q: there is no day unit, write %q", s, strconv.Itoa(n*24)+"h")
		}
	}
	return 0, fmt.Sprintf("invalid duration %q", s)
}

func describeType(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration (e.g. \"30s\")"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Float64:
		return "a number"
	default:
		return "a whole number"
	}
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	default:
		return "nothing"
	}
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// unknownKey words the problem for name under prefix, suggesting the closest
// known key there, or the same key in another section.
func unknownKey(prefix, name string, known map[string]int) string {
	msg := fmt.Sprintf("unknown key %q", joinKey(prefix, name))
	best, bestDist := "", math.MaxInt
	norm := normalizeKey(name)
	for k := range known {
		d := levenshtein(norm, k)
		if d < bestDist || (d == bestDist && k < best) {
			best, bestDist = k, d
		}
	}
	if best != "" && bestDist <= min(2, max(1, len(best)/3)) {
		return msg + fmt.Sprintf(" (did you mean %q?)", joinKey(prefix, best))
	}
	for _, f := range allFields() {
		if sec, key, _ := strings.Cut(f.path, "."); key == norm && sec != prefix {
			return msg + fmt.Sprintf(" (did you mean %q?)", f.path)
		}
	}
	return msg
}

func normalizeKey(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "-", "_")
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
