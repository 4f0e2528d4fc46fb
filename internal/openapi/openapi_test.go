package openapi_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/serve"
	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/openapi"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/pkg/proto"
)

// methods are the operation keys of a path item.
var methods = []string{"get", "post", "put", "patch", "delete", "options", "head", "trace"}

// gateway starts the gateway with every extension `evtctl serve` runs.
func gateway(t *testing.T, opts ...servertest.Option) *servertest.Harness {
	t.Helper()
	return servertest.Run(t, serve.Components, opts...)
}

// TestEveryRouteIsDocumented compares the gateway's route table with the
// document, both ways, and checks that each operation states the route's
// authentication: public routes have security [], the others list the
// route's scopes in x-scopes, and only routes that accept ?access_token=
// offer the accessToken scheme.
func TestEveryRouteIsDocumented(t *testing.T) {
	s := loadSpec(t)
	if v, _ := s["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi version %q, want 3.1.x", v)
	}
	h := gateway(t)

	routes := map[string]bool{}
	for _, r := range h.Server.Routes() {
		routes[strings.ToLower(r.Method)+" "+r.Pattern] = true
		op, ok := s.operation(r.Method, r.Pattern)
		if !ok {
			t.Errorf("route %s %s is missing from openapi.json", r.Method, r.Pattern)
			continue
		}
		checkSecurity(t, r, op)
	}
	var extra []string
	paths, _ := s["paths"].(map[string]any)
	for path, item := range paths {
		for method := range item.(map[string]any) {
			if slices.Contains(methods, method) && !routes[method+" "+path] {
				extra = append(extra, strings.ToUpper(method)+" "+path)
			}
		}
	}
	sort.Strings(extra)
	for _, e := range extra {
		t.Errorf("openapi.json documents %s, which the server does not serve", e)
	}

	// Served as is.
	if r := h.Do("GET", "/api/v1/openapi.json", "", "", nil); r.Status != 200 || string(r.Body) != string(openapi.Document()) {
		t.Errorf("GET /api/v1/openapi.json: %d", r.Status)
	}
}

func checkSecurity(t *testing.T, r component.Route, op map[string]any) {
	t.Helper()
	name := r.Method + " " + r.Pattern
	sec, hasSec := op["security"].([]any)
	if r.Public {
		if !hasSec || len(sec) != 0 {
			t.Errorf("%s is public: the operation needs \"security\": []", name)
		}
		if _, ok := op["x-scopes"]; ok {
			t.Errorf("%s is public but lists x-scopes", name)
		}
		return
	}
	want := slices.Clone(r.Scopes)
	if want == nil {
		want = []string{}
	}
	got := asStrings(op["x-scopes"])
	if _, ok := op["x-scopes"].([]any); !ok || !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("%s: x-scopes %v, the route needs any of %v", name, op["x-scopes"], want)
	}
	offersQuery := false
	for _, req := range sec {
		if _, ok := req.(map[string]any)["accessToken"]; ok {
			offersQuery = true
		}
	}
	if hasSec && len(sec) == 0 {
		t.Errorf("%s needs a token but its security is []", name)
	}
	if offersQuery != r.QueryToken {
		t.Errorf("%s: accessToken security scheme offered = %v, route accepts ?access_token= = %v", name, offersQuery, r.QueryToken)
	}
	hasParam := false
	for _, p := range anySlice(op["parameters"]) {
		if m, _ := p.(map[string]any); m["$ref"] == "#/components/parameters/accessToken" {
			hasParam = true
		}
	}
	if hasParam != r.QueryToken {
		t.Errorf("%s: access_token parameter documented = %v, route accepts it = %v", name, hasParam, r.QueryToken)
	}
	rs, _ := op["responses"].(map[string]any)
	for _, code := range []string{"401", "403"} {
		if _, ok := rs[code]; !ok {
			t.Errorf("%s needs a token but does not document %s", name, code)
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// Path parameters in the document use the same {name} syntax as the routes
// and each one is declared, on the operation or on its path item.
func TestPathParametersAreDeclared(t *testing.T) {
	s := loadSpec(t)
	re := regexp.MustCompile(`\{([a-z_]+)\}`)
	paths, _ := s["paths"].(map[string]any)
	for path, item := range paths {
		item := item.(map[string]any)
		for _, method := range methods {
			op, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			params := append(slices.Clone(anySlice(item["parameters"])), anySlice(op["parameters"])...)
			for _, m := range re.FindAllStringSubmatch(path, -1) {
				found := false
				for _, p := range params {
					pm, err := s.deref(p.(map[string]any))
					if err != nil {
						t.Fatal(err)
					}
					if pm["name"] == m[1] && pm["in"] == "path" && pm["required"] == true {
						found = true
					}
				}
				if !found {
					t.Errorf("%s %s does not declare required path parameter %q", strings.ToUpper(method), path, m[1])
				}
			}
		}
	}
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestReferencesResolve: every $ref points at something, every operation
// has a unique operationId, and every schema in components is used.
func TestReferencesResolve(t *testing.T) {
	s := loadSpec(t)
	used := map[string]bool{}
	walkRefs(map[string]any(s), "#", func(ref, at string) {
		if _, err := s.resolve(ref); err != nil {
			t.Errorf("%s: %v", at, err)
		}
		used[ref] = true
	})
	// Follow references inside referenced components too (walkRefs saw
	// the whole document, so this is already transitive).
	comps, _ := s["components"].(map[string]any)
	for _, kind := range []string{"schemas", "parameters", "responses"} {
		m, _ := comps[kind].(map[string]any)
		for name := range m {
			if ref := "#/components/" + kind + "/" + name; !used[ref] {
				t.Errorf("%s is never referenced", ref)
			}
		}
	}
	ids := map[string]string{}
	paths, _ := s["paths"].(map[string]any)
	for path, item := range paths {
		for method, op := range item.(map[string]any) {
			if !slices.Contains(methods, method) {
				continue
			}
			id, _ := op.(map[string]any)["operationId"].(string)
			if id == "" {
				t.Errorf("%s %s has no operationId", method, path)
			} else if prev, dup := ids[id]; dup {
				t.Errorf("operationId %q is used by %s and %s %s", id, prev, method, path)
			}
			ids[id] = method + " " + path
		}
	}
}

// wireTypes are the pkg/proto types the document's schemas describe.
var wireTypes = map[string]any{
	"ErrorBody": proto.ErrorBody{}, "ErrorDetail": proto.ErrorDetail{}, "FieldError": proto.FieldError{},
	"SoundEvent": proto.SoundEvent{}, "AudioFile": proto.AudioFile{}, "Label": proto.Label{},
	"LabelName": proto.LabelName{}, "Microphone": proto.Microphone{}, "DeviceAccess": proto.DeviceAccess{},
	"Location": proto.Location{}, "AnalysisResult": proto.AnalysisResult{}, "Detection": proto.Detection{},
	"Identification": proto.Identification{}, "Camera": proto.Camera{}, "Candidate": proto.Candidate{},
	"Profile": proto.Profile{}, "ProfileGroup": proto.ProfileGroup{}, "IdentificationEvent": proto.IdentificationEvent{},
	"Composite": proto.Composite{}, "CompositeRule": proto.CompositeRule{},
	"IngestResult": proto.IngestResult{}, "EventRecord": proto.EventRecord{}, "EventPage": proto.EventPage{},
	"APIKey": proto.APIKey{}, "Endpoint": proto.Endpoint{}, "EventFilter": proto.EventFilter{}, "Rule": proto.Rule{},
	"Delivery": proto.Delivery{}, "ReplayRequest": proto.ReplayRequest{}, "ReplayResult": proto.ReplayResult{},
}

// TestSchemasMatchWireTypes: each schema of a pkg/proto type has exactly
// the type's JSON members, so a field added to (or renamed in) the code
// fails here until the document says so.
func TestSchemasMatchWireTypes(t *testing.T) {
	s := loadSpec(t)
	for name, v := range wireTypes {
		schema, err := s.resolve("#/components/schemas/" + name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		props, _ := schema["properties"].(map[string]any)
		var doc []string
		for p := range props {
			doc = append(doc, p)
		}
		code := jsonMembers(reflect.TypeOf(v))
		if !slices.Equal(sorted(doc), sorted(code)) {
			t.Errorf("schema %s has members %v; proto.%s has %v", name, sorted(doc), name, sorted(code))
		}
		for _, r := range asStrings(schema["required"]) {
			if props[r] == nil {
				t.Errorf("schema %s requires %q, which it does not define", name, r)
			}
		}
	}
	// The error codes are a closed list clients switch on.
	codes := asStrings(mustSchema(t, s, "ErrorDetail")["properties"].(map[string]any)["code"].(map[string]any)["enum"])
	for _, c := range errorCodes() {
		if !slices.Contains(codes, c) {
			t.Errorf("error code %q (pkg/proto) is missing from ErrorDetail.code", c)
		}
	}
	for _, c := range codes {
		if !slices.Contains(errorCodes(), c) {
			t.Errorf("ErrorDetail.code lists %q, which pkg/proto does not define", c)
		}
	}
}

func mustSchema(t *testing.T, s spec, name string) map[string]any {
	t.Helper()
	m, err := s.resolve("#/components/schemas/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func jsonMembers(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// errorCodes are the values of pkg/proto's Code* constants, read from its
// source: Go cannot list a package's constants by reflection, and a copy of
// the list here would go stale the same way the document would.
func errorCodes() []string {
	files, _ := filepath.Glob("../../pkg/proto/*.go")
	var out []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			panic(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !strings.HasPrefix(id.Name, "Code") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						out = append(out, v)
					}
				}
			}
		}
	}
	if len(out) == 0 {
		panic("no Code* constants found in pkg/proto")
	}
	return out
}

func readSeed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata/seeds", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The seed payloads of the source documents match the event schemas.
func TestSeedsMatchEventSchemas(t *testing.T) {
	s := loadSpec(t)
	for file, schema := range map[string]string{
		"sound_event.json":              "SoundEvent",
		"analysis_result.json":          "AnalysisResult",
		"identification_websocket.json": "Identification",
		"identification_webhook.json":   "Identification",
		"composite_event.json":          "Composite",
	} {
		var v any
		if err := json.Unmarshal(readSeed(t, file), &v); err != nil {
			t.Fatal(err)
		}
		for _, e := range s.validate(mustSchema(t, s, schema), v, file) {
			t.Error(e)
		}
	}
}
