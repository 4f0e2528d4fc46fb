// Package docs holds the tests that keep the documentation in step with the
// code: every Go package has a package doc comment and a line in the package
// map of architecture.md, links to a doc's anchor land on an anchor that
// exists, and nothing points outside the repository (a clone must be enough
// to understand it).
package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// root is the repository root, relative to this package's directory.
const root = ".."

// packageRoots are the folders whose Go packages must be documented and mapped.
var packageRoots = []string{"cmd", "internal", "pkg", "tools"}

// goPackages returns the import path suffixes (such as internal/store) of every
// folder under packageRoots holding .go files, skipping testdata and hidden folders.
func goPackages(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range packageRoots {
		err := filepath.WalkDir(filepath.Join(root, r), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if n := d.Name(); n == "testdata" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(path, ".go") {
				rel, _ := filepath.Rel(root, filepath.Dir(path))
				seen[filepath.ToSlash(rel)] = true
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	pkgs := make([]string, 0, len(seen))
	for p := range seen {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	return pkgs
}

// hasPackageDoc reports whether the package in dir has a package doc comment.
// When it has non-test files the comment must be in one of them (that is what
// go doc shows); a package of test files only may carry it in a test file.
func hasPackageDoc(t *testing.T, dir string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var nonTest, test []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			test = append(test, f)
		} else {
			nonTest = append(nonTest, f)
		}
	}
	candidates := nonTest
	if len(candidates) == 0 {
		candidates = test
	}
	fset := token.NewFileSet()
	for _, f := range candidates {
		af, err := parser.ParseFile(fset, f, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if af.Doc != nil && strings.TrimSpace(af.Doc.Text()) != "" {
			return true
		}
	}
	return false
}

// TestEveryPackageHasADocComment fails for a package without a package doc comment.
func TestEveryPackageHasADocComment(t *testing.T) {
	for _, p := range goPackages(t) {
		if !hasPackageDoc(t, filepath.Join(root, filepath.FromSlash(p))) {
			name := filepath.Base(p)
			t.Errorf("%s has no package doc comment: add one above the package clause of one of its files "+
				"(conventionally %s/doc.go), starting \"// Package %s …\" (\"// Command %s …\" for a main package) "+
				"and saying what the package is for", p, p, name, name)
		}
	}
}

// packageMap returns the lines of the "## Package map" section of docs/architecture.md.
func packageMap(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "## ") {
			if in {
				break
			}
			in = strings.TrimSpace(l) == "## Package map"
			continue
		}
		if in {
			lines = append(lines, l)
		}
	}
	if !in && lines == nil {
		t.Fatalf("docs/architecture.md has no \"## Package map\" section: add one with a line per package, " +
			"e.g. \"- `internal/store` — the event log and resources on JetStream; Backbone, Log, Collection\"")
	}
	return lines
}

// mapEntry matches a package map line: a list item starting with a backticked path.
var mapEntry = regexp.MustCompile("^\\s*[-*]\\s+`((?:cmd|internal|pkg|tools)/[^`]*)`")

// TestPackageMapListsEveryPackage fails when a package is missing from the
// package map of docs/architecture.md, or the map names a package that does
// not exist (moved, renamed or deleted).
func TestPackageMapListsEveryPackage(t *testing.T) {
	lines := packageMap(t)
	pkgs := goPackages(t)
	mapped := map[string]bool{}
	for _, l := range lines {
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(l, -1) {
			mapped[strings.TrimSuffix(m[1], "/")] = true
		}
	}
	for _, p := range pkgs {
		if !mapped[p] {
			t.Errorf("docs/architecture.md, section \"## Package map\": add a line for %s:\n\t- `%s` — <what it is for, one line>; <its main types>", p, p)
		}
	}
	for _, l := range lines {
		m := mapEntry.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if p := strings.TrimSuffix(m[1], "/"); !slices.Contains(pkgs, p) {
			t.Errorf("docs/architecture.md, section \"## Package map\": %s is not a package any more; remove its line or rename it to where the package went:\n\t%s", p, strings.TrimSpace(l))
		}
	}
}

// outside lists what a file must not contain, each with what to write
// instead. The words are spelled in parts so that this file itself holds
// none of them.
var outside = []struct {
	re  *regexp.Regexp
	fix string
}{
	{regexp.MustCompile(`\.\./shared\b`), "a path outside the repository: link the material in docs/ instead (docs/contract.md, docs/sources.md)"},
	{regexp.MustCompile(`/` + "work" + `/`), "an absolute path of one machine: use a path relative to the repository"},
	{regexp.MustCompile(`\b` + "CONTRACT" + `\b`), "the contract is docs/contract.md: link its section, e.g. docs/contract.md#streams"},
	{regexp.MustCompile(`\(§\d`), "a bare section number: link the section of docs/contract.md it means, e.g. docs/contract.md#cli"},
	{regexp.MustCompile(`(?i)\bdocuments?[ -]00\d\b`), "the source products are described in docs/sources.md: name the product and link its section (#composite-websocket, #analysis-sse, #identification-push)"},
	{regexp.MustCompile(`(?i)\bissues? #?\d+\b`), "an issue number means nothing in a clone: say what the requirement is instead"},
}

// textFiles returns every file of the repository worth scanning: not in .git,
// not binary, not this file (which spells the patterns it looks for).
func textFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (n == ".git" || n == "node_modules" || n == "dist") {
				return filepath.SkipDir
			}
			return nil
		}
		// A worktree's .git is a file naming where the repository lives.
		if !d.Type().IsRegular() || filepath.Base(path) == "docs_test.go" || d.Name() == ".git" {
			return nil
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// readText returns a file's content, or nil for a binary or very large file.
func readText(t *testing.T, path string) []byte {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil || info.Size() > 4<<20 {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0 {
		return nil
	}
	return b
}

// TestNoReferenceOutsideTheRepository fails on references a clone cannot
// follow: the planners' contract, the source documents by number, paths
// outside the repository and issue numbers.
func TestNoReferenceOutsideTheRepository(t *testing.T) {
	for _, path := range textFiles(t) {
		b := readText(t, path)
		if b == nil {
			continue
		}
		rel, _ := filepath.Rel(root, path)
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, len(b)+1)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			for _, o := range outside {
				if m := o.re.FindString(line); m != "" {
					t.Errorf("%s:%d: %q: %s\n\t%s", filepath.ToSlash(rel), n, m, o.fix, strings.TrimSpace(line))
				}
			}
		}
	}
}

// anchors returns the anchors of a Markdown file: explicit <a id="…"> and
// the GitHub anchors of its headings (outside code fences).
func anchors(b []byte) map[string]bool {
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`<a (?:id|name)="([^"]+)"`).FindAllSubmatch(b, -1) {
		out[string(m[1])] = true
	}
	count := map[string]int{}
	fence := false
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fence = !fence
			continue
		}
		if fence || !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(l, "#"))
		slug := githubSlug(h)
		if c := count[slug]; c > 0 {
			out[fmt.Sprintf("%s-%d", slug, c)] = true
		} else {
			out[slug] = true
		}
		count[slug]++
	}
	return out
}

// githubSlug is GitHub's anchor for a heading: lower case, punctuation
// dropped except - and _, spaces made hyphens.
func githubSlug(h string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			sb.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// docLink matches a link to an anchor of a doc: docs/x.md#a from anywhere,
// or (x.md#a) and (#a) inside docs/.
var (
	docLink      = regexp.MustCompile(`docs/([a-z0-9_-]+\.md)#([A-Za-z0-9_-]+)`)
	relativeLink = regexp.MustCompile(`\]\((?:\./)?([a-z0-9_-]+\.md)?#([A-Za-z0-9_-]+)\)`)
)

// TestDocAnchorsExist fails when code, docs or testdata link an anchor of a
// doc under docs/ that the doc does not have (a heading was reworded or an
// <a id> removed).
func TestDocAnchorsExist(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]map[string]bool{}
	for _, d := range docs {
		b, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		have[filepath.Base(d)] = anchors(b)
	}
	check := func(where, doc, anchor string) {
		a, ok := have[doc]
		if !ok {
			t.Errorf("%s links docs/%s#%s, but docs/%s does not exist", where, doc, anchor, doc)
			return
		}
		if !a[anchor] {
			t.Errorf("%s links docs/%s#%s, which that doc does not define: add <a id=%q></a> before the section meant, or fix the link", where, doc, anchor, anchor)
		}
	}
	for _, path := range textFiles(t) {
		b := readText(t, path)
		if b == nil {
			continue
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		inDocs := filepath.Dir(rel) == "docs" && strings.HasSuffix(rel, ".md")
		for n, line := range strings.Split(string(b), "\n") {
			where := fmt.Sprintf("%s:%d", rel, n+1)
			for _, m := range docLink.FindAllStringSubmatch(line, -1) {
				check(where, m[1], m[2])
			}
			if !inDocs {
				continue
			}
			for _, m := range relativeLink.FindAllStringSubmatch(line, -1) {
				doc := m[1]
				if doc == "" {
					doc = filepath.Base(rel)
				}
				check(where, doc, m[2])
			}
		}
	}
}
