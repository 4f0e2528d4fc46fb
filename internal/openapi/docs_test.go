package openapi_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated parts of docs/api.md")

const (
	apiDoc        = "../../docs/api.md"
	operationsDoc = "../../docs/operations.md"
	routesBegin   = "<!-- routes:begin (generated from internal/openapi/openapi.json: go test ./internal/openapi -update) -->\n"
	routesEnd     = "<!-- routes:end -->\n"
)

// routeTable renders the route list of docs/api.md from the document, in
// the document's path order grouped by tag.
func routeTable(t *testing.T, s spec) []byte {
	t.Helper()
	type row struct{ tag, line string }
	var rows []row
	paths, _ := s["paths"].(map[string]any)
	for _, path := range keys(paths) {
		item := paths[path].(map[string]any)
		for _, method := range methods {
			op, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			tag := asStrings(op["tags"])[0]
			auth := "public"
			if sc, ok := op["x-scopes"].([]any); ok {
				auth = "any key"
				if len(sc) > 0 {
					auth = "`" + strings.Join(asStrings(sc), "` or `") + "`"
				}
				for _, req := range anySlice(op["security"]) {
					if _, ok := req.(map[string]any)["accessToken"]; ok {
						auth += ", also `?access_token=`"
					}
				}
			}
			summary, _ := op["summary"].(string)
			rows = append(rows, row{tag, "| " + strings.ToUpper(method) + " | `" + path + "` | " + auth + " | " +
				strings.ReplaceAll(summary, "|", `\|`) + " |\n"})
		}
	}
	var b bytes.Buffer
	for _, tag := range anySlice(s["tags"]) {
		name := tag.(map[string]any)["name"].(string)
		b.WriteString("\n### " + name + "\n\n| Method | Path | Auth (any of) | Summary |\n|---|---|---|---|\n")
		for _, r := range rows {
			if r.tag == name {
				b.WriteString(r.line)
			}
		}
	}
	b.WriteString("\n")
	return b.Bytes()
}

// TestAPIDocListsEveryRoute keeps the route tables of docs/api.md equal to
// what the document (and so the server) says.
func TestAPIDocListsEveryRoute(t *testing.T) {
	s := loadSpec(t)
	want := routeTable(t, s)
	doc, err := os.ReadFile(apiDoc)
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(doc, []byte(routesBegin))
	end := bytes.Index(doc, []byte(routesEnd))
	if start < 0 || end < start {
		t.Fatalf("%s lacks the markers %q and %q", apiDoc, routesBegin, routesEnd)
	}
	got := doc[start+len(routesBegin) : end]
	if bytes.Equal(got, want) {
		return
	}
	if *update {
		out := slices.Concat(doc[:start+len(routesBegin)], want, doc[end:])
		if err := os.WriteFile(apiDoc, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the route tables of docs/api.md are stale; run: go test ./internal/openapi -run TestAPIDocListsEveryRoute -update")
}

// metricName finds metric names where the code defines them.
var metricName = regexp.MustCompile(`(?:Name:\s*|NewDesc\(\s*)"(evtctl_[a-z0-9_]+)"`)

// TestOperationsDocListsEveryMetric: every evtctl_ metric the code defines
// is in docs/operations.md, and its metrics table names nothing else.
func TestOperationsDocListsEveryMetric(t *testing.T) {
	var defined []string
	err := filepath.WalkDir("../../internal", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range metricName.FindAllSubmatch(src, -1) {
			defined = append(defined, string(m[1]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(defined) < 10 {
		t.Fatalf("found only %d metric definitions; has the code's style changed?", len(defined))
	}
	doc, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(evtctl_[a-z0-9_]+)`").FindAllSubmatch(doc, -1) {
		documented[string(m[1])] = true
	}
	for _, name := range defined {
		if !documented[name] {
			t.Errorf("metric %s is not in the metrics table of docs/operations.md", name)
		}
		delete(documented, name)
	}
	for name := range documented {
		t.Errorf("docs/operations.md lists metric %s, which the code does not define", name)
	}
}
