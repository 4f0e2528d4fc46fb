package openapi_test

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/openapi"
)

// spec is the decoded document, navigated generically: the tests read it
// the way a client generator would, through $ref.
type spec map[string]any

func loadSpec(t testing.TB) spec {
	t.Helper()
	var s spec
	if err := json.Unmarshal(openapi.Document(), &s); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return s
}

// resolve follows a local $ref ("#/components/schemas/X").
func (s spec) resolve(ref string) (map[string]any, error) {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("only local references are used, not %q", ref)
	}
	var cur any = map[string]any(s)
	for _, part := range strings.Split(path, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %q is not an object", ref, part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("%s does not exist", ref)
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an object", ref)
	}
	return m, nil
}

// deref returns node, or what its $ref points to.
func (s spec) deref(node map[string]any) (map[string]any, error) {
	for range 10 {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node, nil
		}
		var err error
		if node, err = s.resolve(ref); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("reference chain too long")
}

// operation returns paths[pattern][method].
func (s spec) operation(method, pattern string) (map[string]any, bool) {
	paths, _ := s["paths"].(map[string]any)
	item, _ := paths[pattern].(map[string]any)
	op, ok := item[strings.ToLower(method)].(map[string]any)
	return op, ok
}

// response returns the documented response of op for status: the exact
// code, else "default" for the statuses every route may answer (405, 500).
func (s spec) response(op map[string]any, status int) (map[string]any, error) {
	rs, _ := op["responses"].(map[string]any)
	r, ok := rs[fmt.Sprint(status)].(map[string]any)
	if !ok {
		if status != 405 && status != 500 {
			return nil, fmt.Errorf("status %d is not documented", status)
		}
		if r, ok = rs["default"].(map[string]any); !ok {
			return nil, fmt.Errorf("status %d is not documented and there is no default", status)
		}
	}
	return s.deref(r)
}

// validate checks v (decoded JSON) against a schema of the subset of JSON
// Schema the document uses: $ref, type, properties, required,
// additionalProperties, items, enum, anyOf, oneOf, minimum, maximum,
// minItems, maxItems, minLength, maxLength, pattern, format date-time.
// Anything else in a schema is an error, so the document cannot grow a
// keyword that this check silently ignores.
func (s spec) validate(schema map[string]any, v any, at string) []string {
	schema, err := s.deref(schema)
	if err != nil {
		return []string{at + ": " + err.Error()}
	}
	var errs []string
	fail := func(format string, a ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, a...)) }
	for k := range schema {
		switch k {
		case "type", "properties", "required", "additionalProperties", "items", "enum", "anyOf", "oneOf",
			"minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength", "pattern", "format",
			"description", "default", "examples":
		default:
			fail("schema keyword %q is not supported by this test", k)
		}
	}
	if t, ok := schema["type"]; ok && !typeMatches(t, v) {
		fail("%s is not of type %v", short(v), t)
		return errs
	}
	if e, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return x == v }) {
		fail("%s is not one of %v", short(v), e)
	}
	if alts, ok := schema["anyOf"].([]any); ok && s.matching(alts, v, at) == 0 {
		fail("%s matches none of anyOf", short(v))
	}
	if alts, ok := schema["oneOf"].([]any); ok {
		if n := s.matching(alts, v, at); n != 1 {
			fail("%s matches %d of oneOf, want exactly 1", short(v), n)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asStrings(schema["required"]) {
			if _, ok := x[r]; !ok {
				fail("required member %q is missing", r)
			}
		}
		for k, val := range x {
			if p, ok := props[k].(map[string]any); ok {
				errs = append(errs, s.validate(p, val, at+"."+k)...)
			} else if schema["additionalProperties"] == false {
				fail("member %q is not in the schema", k)
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range x {
				errs = append(errs, s.validate(items, it, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
		if m, ok := schema["minItems"].(float64); ok && float64(len(x)) < m {
			fail("fewer than %v items", m)
		}
		if m, ok := schema["maxItems"].(float64); ok && float64(len(x)) > m {
			fail("more than %v items", m)
		}
	case string:
		if m, ok := schema["minLength"].(float64); ok && float64(len([]rune(x))) < m {
			fail("shorter than %v", m)
		}
		if m, ok := schema["maxLength"].(float64); ok && float64(len([]rune(x))) > m {
			fail("longer than %v", m)
		}
		if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			fail("%q does not match %s", x, p)
		}
		if schema["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				fail("%q is not a date-time", x)
			}
		}
	case float64:
		if m, ok := schema["minimum"].(float64); ok && x < m {
			fail("%v is below %v", x, m)
		}
		if m, ok := schema["maximum"].(float64); ok && x > m {
			fail("%v is above %v", x, m)
		}
	}
	return errs
}

func (s spec) matching(alts []any, v any, at string) int {
	n := 0
	for _, a := range alts {
		if m, ok := a.(map[string]any); ok && len(s.validate(m, v, at)) == 0 {
			n++
		}
	}
	return n
}

func typeMatches(t any, v any) bool {
	if list, ok := t.([]any); ok {
		return slices.ContainsFunc(list, func(x any) bool { return typeMatches(x, v) })
	}
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	}
	return false
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

// walkRefs calls fn with every $ref in the document and where it is.
func walkRefs(node any, at string, fn func(ref, at string)) {
	switch x := node.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "$ref" {
				if r, ok := x[k].(string); ok {
					fn(r, at)
				}
				continue
			}
			walkRefs(x[k], at+"/"+k, fn)
		}
	case []any:
		for i, it := range x {
			walkRefs(it, fmt.Sprintf("%s/%d", at, i), fn)
		}
	}
}
