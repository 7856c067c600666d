package slug_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"example.com/blog/slug"
)

// The documented API must not change.
var (
	_ func(string) string                    = slug.Make
	_ func(string, func(string) bool) string = slug.Unique
	_                                        = slug.MaxLen
)

// loadDocs parses the Go files of the package directory (the current
// directory when the test runs) and computes their documentation, with the
// examples of the _test.go files attached to what they document.
func loadDocs(t *testing.T) *doc.Package {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatalf("parsing %s: %v", name, err)
		}
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, "example.com/blog/slug")
	if err != nil {
		t.Fatalf("doc.NewFromFiles: %v", err)
	}
	return p
}

func TestAcceptancePackageDoc(t *testing.T) {
	p := loadDocs(t)
	text := strings.TrimSpace(p.Doc)
	if text == "" {
		t.Fatal("package slug has no package doc comment")
	}
	if !strings.HasPrefix(text, "Package slug") {
		t.Errorf("package doc should start with \"Package slug\", got %q", firstLine(text))
	}
	lower := strings.ToLower(text)
	for _, word := range []string{"url", "title", "lower", "digit", "hyphen"} {
		if !strings.Contains(lower, word) {
			t.Errorf("package doc does not mention %q:\n%s", word, text)
		}
	}
	if len(strings.Fields(text)) < 15 {
		t.Errorf("package doc is too short to explain what a slug is:\n%s", text)
	}
}

func TestAcceptanceMakeDoc(t *testing.T) {
	p := loadDocs(t)
	f := findFunc(p, "Make")
	if f == nil {
		t.Fatal("func Make not found")
	}
	text := strings.TrimSpace(f.Doc)
	if text == "" {
		t.Fatal("Make has no doc comment")
	}
	if !strings.HasPrefix(text, "Make ") {
		t.Errorf("Make's doc comment should start with \"Make \", got %q", firstLine(text))
	}
	if len(strings.Fields(text)) < 8 {
		t.Errorf("Make's doc comment is too short:\n%s", text)
	}
	// Existing docs stay.
	if u := findFunc(p, "Unique"); u == nil || !strings.Contains(u.Doc, "base-2") {
		t.Error("Unique lost its doc comment")
	}
}

func TestAcceptanceExampleMake(t *testing.T) {
	p := loadDocs(t)
	f := findFunc(p, "Make")
	if f == nil {
		t.Fatal("func Make not found")
	}
	var found bool
	for _, ex := range f.Examples {
		if strings.TrimSpace(ex.Output) == "" {
			t.Errorf("Example%s has no // Output: comment, so go test does not run it", exampleName(ex))
			continue
		}
		if !callsMake(ex.Code) {
			t.Errorf("Example%s does not call Make", exampleName(ex))
			continue
		}
		found = true
	}
	if !found {
		t.Fatal("no runnable ExampleMake (with an // Output: comment) in a _test.go file of package slug")
	}
}

func TestAcceptanceBehaviourUnchanged(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Hello, World!", "hello-world"},
		{"Crème brûlée", "creme-brulee"},
		{"Straße", "strasse"},
		{"日本語 and Go", "and-go"},
	}
	for _, tt := range tests {
		if got := slug.Make(tt.in); got != tt.want {
			t.Errorf("Make(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := slug.Make(strings.Repeat("abc ", 40)); len(got) > slug.MaxLen {
		t.Errorf("Make(long) = %q is longer than MaxLen", got)
	}
}

func findFunc(p *doc.Package, name string) *doc.Func {
	for _, f := range p.Funcs {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func callsMake(code ast.Node) bool {
	var found bool
	ast.Inspect(code, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return !found
		}
		switch fun := call.Fun.(type) {
		case *ast.Ident:
			found = found || fun.Name == "Make"
		case *ast.SelectorExpr:
			found = found || fun.Sel.Name == "Make"
		}
		return !found
	})
	return found
}

func exampleName(ex *doc.Example) string {
	if ex.Suffix == "" {
		return "Make"
	}
	return "Make_" + ex.Suffix
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
