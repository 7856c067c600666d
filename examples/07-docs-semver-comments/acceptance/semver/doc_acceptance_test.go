package semver_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// loadDoc parses the non-test Go files of the package (this test lives in
// the package directory) and returns their documentation.
func loadDoc(t *testing.T) *doc.Package {
	t.Helper()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, p, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name != "semver" {
			continue
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatal("no package files found")
	}
	pkg, err := doc.NewFromFiles(fset, files, "example.com/releases/semver", doc.PreserveAST)
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

// startsWithName reports whether a doc comment follows the Go convention of
// starting with the identifier it documents (optionally after an article).
func startsWithName(text, name string) bool {
	text = strings.TrimSpace(text)
	for _, article := range []string{"", "A ", "An ", "The "} {
		rest, ok := strings.CutPrefix(text, article+name)
		if ok && (rest == "" || !isIdentChar(rest[0])) {
			return true
		}
	}
	return false
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

type documented struct {
	kind, name, doc string
}

// exportedDocs lists every exported identifier of the package with its doc.
func exportedDocs(pkg *doc.Package) []documented {
	var out []documented
	values := func(kind string, vs []*doc.Value) {
		for _, v := range vs {
			for _, spec := range v.Decl.Specs {
				vs := spec.(*ast.ValueSpec)
				for _, n := range vs.Names {
					if !n.IsExported() {
						continue
					}
					text := v.Doc
					if vs.Doc != nil {
						text = vs.Doc.Text()
					} else if v.Decl.Lparen.IsValid() && text != "" {
						// A documented group covers its members.
						text = n.Name + " (group) " + text
					}
					out = append(out, documented{kind, n.Name, text})
				}
			}
		}
	}
	funcs := func(kind string, fs []*doc.Func) {
		for _, f := range fs {
			out = append(out, documented{kind, f.Name, f.Doc})
		}
	}
	values("const", pkg.Consts)
	values("var", pkg.Vars)
	funcs("func", pkg.Funcs)
	for _, typ := range pkg.Types {
		out = append(out, documented{"type", typ.Name, typ.Doc})
		values("const", typ.Consts)
		values("var", typ.Vars)
		funcs("func", typ.Funcs)
		funcs("method "+typ.Name+".", typ.Methods)
	}
	return out
}

func findDoc(t *testing.T, pkg *doc.Package, name string) string {
	t.Helper()
	for _, d := range exportedDocs(pkg) {
		if d.name == name && !strings.HasPrefix(d.kind, "method") {
			return d.doc
		}
	}
	t.Fatalf("exported identifier %s not found", name)
	return ""
}

func TestAcceptancePackageComment(t *testing.T) {
	pkg := loadDoc(t)
	text := strings.TrimSpace(pkg.Doc)
	if !strings.HasPrefix(text, "Package semver ") {
		t.Fatalf("package comment should start with \"Package semver \", got %q", text)
	}
	if len(strings.Fields(text)) < 6 {
		t.Errorf("package comment is too short to be useful: %q", text)
	}
}

func TestAcceptanceEveryExportedIdentifierDocumented(t *testing.T) {
	pkg := loadDoc(t)
	all := exportedDocs(pkg)
	want := map[string]bool{
		"ErrInvalidVersion": false, "Version": false, "Parse": false, "MustParse": false,
		"String": false, "IsPrerelease": false, "Compare": false, "Less": false, "Latest": false,
	}
	for _, d := range all {
		want[d.name] = true
		if strings.TrimSpace(d.doc) == "" {
			t.Errorf("%s %s has no doc comment", d.kind, d.name)
			continue
		}
		if !startsWithName(d.doc, d.name) {
			t.Errorf("doc comment of %s %s should start with %q, got %q", d.kind, d.name, d.name, firstLine(d.doc))
		}
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("exported identifier %s is missing from the package", name)
		}
	}
}

func TestAcceptanceParseDoc(t *testing.T) {
	text := findDoc(t, loadDoc(t), "Parse")
	if !strings.Contains(text, "ErrInvalidVersion") {
		t.Errorf("Parse doc should say that invalid input yields an error wrapping ErrInvalidVersion; got %q", text)
	}
	if !regexp.MustCompile(`(?i)("v"|'v'|` + "`v`" + `|\bv\b|v-prefix|v prefix)`).MatchString(text) {
		t.Errorf("Parse doc should mention the optional leading \"v\"; got %q", text)
	}
}

func TestAcceptanceCompareDoc(t *testing.T) {
	text := findDoc(t, loadDoc(t), "Compare")
	if !strings.Contains(text, "-1") {
		t.Errorf("Compare doc should say it returns -1 when a < b; got %q", text)
	}
	rest := strings.ReplaceAll(text, "-1", "")
	if !regexp.MustCompile(`(^|[^0-9.])0([^0-9.]|$)`).MatchString(rest) || !regexp.MustCompile(`(^|[^0-9.])\+?1([^0-9.]|$)`).MatchString(rest) {
		t.Errorf("Compare doc should list the results -1, 0 and +1; got %q", text)
	}
}

func TestAcceptanceMustParseDoc(t *testing.T) {
	text := findDoc(t, loadDoc(t), "MustParse")
	if !strings.Contains(strings.ToLower(text), "panic") {
		t.Errorf("MustParse doc should say that it panics on invalid input; got %q", text)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
