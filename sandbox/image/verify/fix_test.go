package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module writes a Go module (module path example.com/m) with files into a
// temp dir.
func module(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/m\n\ngo 1.22\n"
	for p, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func goroot(t *testing.T) string {
	t.Helper()
	g := defaultGoroot()
	if _, err := os.Stat(filepath.Join(g, "src", "strings")); err != nil {
		t.Fatalf("no standard library under GOROOT %q: %v", g, err)
	}
	return g
}

// fix runs the fixer on paths and returns the per-file lines, checking the
// output framing (one line per path, then done).
func fix(t *testing.T, dir string, paths ...string) []FixLine {
	t.Helper()
	var out bytes.Buffer
	if err := runFix(&out, dir, goroot(t), paths); err != nil {
		t.Fatal(err)
	}
	var lines []FixLine
	sc := bufio.NewScanner(&out)
	done := false
	for sc.Scan() {
		if done {
			t.Fatalf("output after done: %s", sc.Text())
		}
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatalf("not JSON: %q: %v", sc.Text(), err)
		}
		if raw["kind"] == "done" {
			done = true
			continue
		}
		// The arrays are always present, never null.
		if _, ok := raw["removed_imports"].([]any); !ok {
			t.Fatalf("removed_imports not an array: %s", sc.Text())
		}
		if _, ok := raw["added_imports"].([]any); !ok {
			t.Fatalf("added_imports not an array: %s", sc.Text())
		}
		var l FixLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.Kind != "fix" {
			t.Fatalf("kind %q", l.Kind)
		}
		lines = append(lines, l)
	}
	if !done {
		t.Fatalf("no done line in %q", out.String())
	}
	if len(lines) != len(paths) {
		t.Fatalf("%d lines for %d paths", len(lines), len(paths))
	}
	for i, l := range lines {
		if l.Path != paths[i] {
			t.Fatalf("line %d is for %q, want %q", i, l.Path, paths[i])
		}
	}
	return lines
}

func read(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func expectLine(t *testing.T, l FixLine, changed, gofmt bool, removed, added []string) {
	t.Helper()
	if l.Error != "" {
		t.Errorf("%s: error %q", l.Path, l.Error)
	}
	if l.Changed != changed || l.Gofmt != gofmt {
		t.Errorf("%s: changed=%v gofmt=%v, want %v %v", l.Path, l.Changed, l.Gofmt, changed, gofmt)
	}
	if removed == nil {
		removed = []string{}
	}
	if added == nil {
		added = []string{}
	}
	if !slices.Equal(l.RemovedImports, removed) {
		t.Errorf("%s: removed %q, want %q", l.Path, l.RemovedImports, removed)
	}
	if !slices.Equal(l.AddedImports, added) {
		t.Errorf("%s: added %q, want %q", l.Path, l.AddedImports, added)
	}
}

func expectFile(t *testing.T, dir, rel, want string) {
	t.Helper()
	if got := read(t, dir, rel); got != want {
		t.Errorf("%s:\n--- got ---\n%s\n--- want ---\n%s", rel, got, want)
	}
}

func TestUnusedFmtIsRemoved(t *testing.T) {
	dir := module(t, map[string]string{
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tos.Exit(0)\n}\n",
	})
	l := fix(t, dir, "main.go")
	expectLine(t, l[0], true, false, []string{"fmt"}, nil)
	expectFile(t, dir, "main.go", "package main\n\nimport (\n\t\"os\"\n)\n\nfunc main() {\n\tos.Exit(0)\n}\n")
}

func TestLastImportRemovedWithItsDeclaration(t *testing.T) {
	dir := module(t, map[string]string{
		"a.go": "package a\n\n// for printing\nimport \"fmt\" // unused now\n\n// X is x.\nvar X = 1\n",
		"b.go": "package a\n\nimport (\n\t// printing\n\t\"fmt\" // gone\n)\n\nvar Y = 2\n",
		"c.go": "package a\n\n// Imports.\nimport (\n\t\"fmt\"\n\n\t\"os\"\n) // all\n\nvar Z = 3\n",
	})
	l := fix(t, dir, "a.go", "b.go", "c.go")
	expectLine(t, l[0], true, false, []string{"fmt"}, nil)
	expectLine(t, l[1], true, false, []string{"fmt"}, nil)
	expectLine(t, l[2], true, false, []string{"fmt", "os"}, nil)
	expectFile(t, dir, "a.go", "package a\n\n// X is x.\nvar X = 1\n")
	expectFile(t, dir, "b.go", "package a\n\nvar Y = 2\n")
	expectFile(t, dir, "c.go", "package a\n\nvar Z = 3\n")
}

func TestMissingStringsIsAdded(t *testing.T) {
	dir := module(t, map[string]string{
		"up.go": "package up\n\n// Up upper-cases s.\nfunc Up(s string) string {\n\treturn strings.ToUpper(s)\n}\n",
	})
	l := fix(t, dir, "up.go")
	expectLine(t, l[0], true, false, nil, []string{"strings"})
	expectFile(t, dir, "up.go", "package up\n\nimport \"strings\"\n\n// Up upper-cases s.\nfunc Up(s string) string {\n\treturn strings.ToUpper(s)\n}\n")
}

func TestRandIntnAddsMathRandToTheStdGroup(t *testing.T) {
	dir := module(t, map[string]string{
		"x/x.go": "package x\n\n// N is n.\nconst N = 3\n",
		"r.go":   "package r\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/m/x\"\n)\n\n// Roll rolls.\nfunc Roll() string {\n\treturn fmt.Sprint(rand.Intn(x.N))\n}\n",
	})
	l := fix(t, dir, "r.go")
	expectLine(t, l[0], true, false, nil, []string{"math/rand"})
	expectFile(t, dir, "r.go", "package r\n\nimport (\n\t\"fmt\"\n\t\"math/rand\"\n\n\t\"example.com/m/x\"\n)\n\n// Roll rolls.\nfunc Roll() string {\n\treturn fmt.Sprint(rand.Intn(x.N))\n}\n")
}

func TestRandV2ByItsExports(t *testing.T) {
	// IntN exists only in math/rand/v2, whose directory is "v2".
	dir := module(t, map[string]string{
		"r.go": "package r\n\n// Roll rolls.\nfunc Roll() int { return rand.IntN(6) }\n",
	})
	l := fix(t, dir, "r.go")
	expectLine(t, l[0], true, false, nil, []string{"math/rand/v2"})
}

func TestAddedAndRemovedTogether(t *testing.T) {
	dir := module(t, map[string]string{
		// A single non-std import becomes a block with a std group first.
		"a.go": "package a\n\nimport \"example.com/m/x\"\n\nvar s = strings.Repeat(\"a\", 2)\n",
		// An aliased import that is unused is removed; the name it was
		// meant to provide is imported under its own name.
		"b.go": "package a\n\nimport str \"strings\"\n\nvar t = strings.ToLower(\"A\") + filepath.Base(\"/a\")\n",
		// A single std import becomes a block holding both.
		"c.go":   "package a\n\nimport \"os\"\n\nvar u = os.Args[0] + strings.TrimSpace(\" \")\n",
		"x/x.go": "package x\n",
	})
	l := fix(t, dir, "a.go", "b.go", "c.go")
	// example.com/m/x is known (package x) and unused: removed.
	expectLine(t, l[0], true, false, []string{"example.com/m/x"}, []string{"strings"})
	expectFile(t, dir, "a.go", "package a\n\nimport \"strings\"\n\nvar s = strings.Repeat(\"a\", 2)\n")
	expectLine(t, l[1], true, false, []string{"str strings"}, []string{"path/filepath", "strings"})
	expectFile(t, dir, "b.go", "package a\n\nimport (\n\t\"path/filepath\"\n\t\"strings\"\n)\n\nvar t = strings.ToLower(\"A\") + filepath.Base(\"/a\")\n")
	expectLine(t, l[2], true, false, nil, []string{"strings"})
	expectFile(t, dir, "c.go", "package a\n\nimport (\n\t\"os\"\n\t\"strings\"\n)\n\nvar u = os.Args[0] + strings.TrimSpace(\" \")\n")
}

func TestNonStdOnlyBlockGetsANewStdGroup(t *testing.T) {
	dir := module(t, map[string]string{
		"x/x.go": "package x\n\n// V is v.\nvar V = \"v\"\n",
		"a.go":   "package a\n\nimport (\n\t\"example.com/m/x\"\n)\n\nvar s = strings.ToUpper(x.V)\n",
	})
	l := fix(t, dir, "a.go")
	expectLine(t, l[0], true, false, nil, []string{"strings"})
	expectFile(t, dir, "a.go", "package a\n\nimport (\n\t\"strings\"\n\n\t\"example.com/m/x\"\n)\n\nvar s = strings.ToUpper(x.V)\n")
}

func TestModulePackageNameComesFromItsPackageClause(t *testing.T) {
	dir := module(t, map[string]string{
		// The directory is util, the package helpers.
		"util/h.go": "package helpers\n\n// H is h.\nfunc H() {}\n",
		"used.go":   "package a\n\nimport \"example.com/m/util\"\n\n// F calls H.\nfunc F() { helpers.H() }\n",
		"unused.go": "package a\n\nimport \"example.com/m/util\"\n\n// G uses util, which is no package here.\nfunc G() { util.H() }\n",
	})
	l := fix(t, dir, "used.go", "unused.go")
	expectLine(t, l[0], false, false, nil, nil)
	expectLine(t, l[1], true, false, []string{"example.com/m/util"}, nil)
}

func TestUnknownBlankDotAndCgoImportsAreKept(t *testing.T) {
	src := "package a\n\nimport (\n\t\"C\"\n\t_ \"embed\"\n\t. \"errors\"\n\n\t\"github.com/some/dep\"\n\t\"gopkg.in/yaml.v3\"\n)\n\nvar v = strings.ToUpper(\"a\")\n"
	dir := module(t, map[string]string{"a.go": src})
	l := fix(t, dir, "a.go")
	// Nothing removed (unknown, blank, dot, C) and, with a dot import, no
	// name is missing for certain.
	expectLine(t, l[0], false, false, nil, nil)
	expectFile(t, dir, "a.go", src)
}

func TestUnknownImportMayProvideTheName(t *testing.T) {
	// github.com/x/go-strings may well be package strings: not added.
	src := "package a\n\nimport \"github.com/x/go-strings\"\n\nvar v = strings.Magic(\"a\")\n"
	dir := module(t, map[string]string{"a.go": src})
	l := fix(t, dir, "a.go")
	expectLine(t, l[0], false, false, nil, nil)
}

func TestFileThatDoesNotParseIsUntouched(t *testing.T) {
	src := "package a\n\nimport \"fmt\"\n\nfunc F( {\n  strings.ToUpper(\"x\")\n}\n"
	dir := module(t, map[string]string{"bad.go": src})
	l := fix(t, dir, "bad.go")[0]
	if l.Changed || l.Gofmt || !strings.Contains(l.Error, "does not parse") || !strings.Contains(l.Error, "bad.go:5") {
		t.Fatalf("%+v", l)
	}
	expectFile(t, dir, "bad.go", src)
}

func TestNamesDeclaredInThePackageAreNotImported(t *testing.T) {
	dir := module(t, map[string]string{
		// A package-level var called strings, in a sibling file.
		"decl.go": "package a\n\ntype upper struct{}\n\nfunc (upper) ToUpper(s string) string { return s }\n\nvar strings = upper{}\n",
		"use.go":  "package a\n\n// U uses the package's own strings.\nfunc U() string { return strings.ToUpper(\"a\") }\n",
		// The same, declared in the file itself, and a local shadow.
		"self.go": "package a\n\nvar bytes = upper{}\n\n// B uses bytes.\nfunc B() string {\n\tsort := upper{}\n\treturn bytes.ToUpper(\"b\") + sort.ToUpper(\"c\")\n}\n",
		// A test file of the package sees the package's declarations.
		"use_test.go": "package a\n\nimport \"testing\"\n\nfunc TestU(t *testing.T) { _ = strings.ToUpper(\"a\") }\n",
		// A selector on a predeclared type is a method expression.
		"pre.go": "package a\n\nvar e = error.Error\n",
	})
	l := fix(t, dir, "use.go", "self.go", "use_test.go", "pre.go")
	for _, x := range l {
		expectLine(t, x, false, false, nil, nil)
	}
}

func TestSelectorsMustAllBeExported(t *testing.T) {
	// strings has no Frobnicate: nothing is added.
	src := "package a\n\nvar v = strings.ToUpper(strings.Frobnicate(\"a\"))\n"
	dir := module(t, map[string]string{"a.go": src})
	l := fix(t, dir, "a.go")
	expectLine(t, l[0], false, false, nil, nil)
	expectFile(t, dir, "a.go", src)
}

func TestFormattingOnly(t *testing.T) {
	dir := module(t, map[string]string{
		"f.go": "package f\n\nimport \"fmt\"\n\nfunc  Show(s string)   {\n  fmt.Println( s )\n}\n",
	})
	if err := os.Chmod(filepath.Join(dir, "f.go"), 0o600); err != nil {
		t.Fatal(err)
	}
	l := fix(t, dir, "f.go")
	expectLine(t, l[0], true, true, nil, nil)
	expectFile(t, dir, "f.go", "package f\n\nimport \"fmt\"\n\nfunc Show(s string) {\n\tfmt.Println(s)\n}\n")
	fi, err := os.Stat(filepath.Join(dir, "f.go"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 kept", fi.Mode().Perm())
	}
	// A second run finds nothing to do.
	expectLine(t, fix(t, dir, "f.go")[0], false, false, nil, nil)
}

func TestFormattingAndImportsTogether(t *testing.T) {
	dir := module(t, map[string]string{
		"f.go": "package f\nimport (\"os\"; \"fmt\")\nfunc  Show(s string)   { fmt.Println( strings.TrimSpace(s) ) }\n",
	})
	l := fix(t, dir, "f.go")
	expectLine(t, l[0], true, true, []string{"os"}, []string{"strings"})
	expectFile(t, dir, "f.go", "package f\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\nfunc Show(s string) { fmt.Println(strings.TrimSpace(s)) }\n")
}

func TestUnsafePathsAreSkipped(t *testing.T) {
	outside := t.TempDir()
	ugly := "package a\nvar  X = 1\n"
	if err := os.WriteFile(filepath.Join(outside, "o.go"), []byte(ugly), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := module(t, map[string]string{
		"a/real.go":          ugly,
		"a/notes.txt":        "x",
		"a/testdata/fix.go":  ugly,
		"a/sub/x.go":         ugly,
		"a/sub/dir.go/x.txt": "x",
	})
	if err := os.Symlink("real.go", filepath.Join(dir, "a/link.go")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "o.go"), filepath.Join(dir, "a/out.go")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a/sub", filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	paths := []string{
		"a/link.go", "a/out.go", "linkdir/x.go", "../" + filepath.Base(outside) + "/o.go", "a/../a/real.go",
		filepath.Join(dir, "a/real.go"), "a/notes.txt", "a/testdata/fix.go", "a/sub/dir.go", "a/missing.go", "",
	}
	l := fix(t, dir, paths...)
	for _, x := range l {
		if x.Changed || !strings.HasPrefix(x.Error, "skipped:") {
			t.Errorf("%q not skipped: %+v", x.Path, x)
		}
		if strings.Contains(x.Error, dir) {
			t.Errorf("%q: error names the host dir: %s", x.Path, x.Error)
		}
	}
	for _, want := range []struct {
		i   int
		msg string
	}{{0, "symlink"}, {1, "symlink"}, {2, "through a symlink"}, {3, ".."}, {4, ".."}, {5, "absolute"}, {6, "not a .go"}, {7, "testdata"}, {8, "not a regular"}, {9, "no such file"}} {
		if !strings.Contains(l[want.i].Error, want.msg) {
			t.Errorf("%q: error %q does not say %q", l[want.i].Path, l[want.i].Error, want.msg)
		}
	}
	expectFile(t, dir, "a/real.go", ugly)
	expectFile(t, dir, "a/sub/x.go", ugly)
	expectFile(t, dir, "a/testdata/fix.go", ugly)
	expectFile(t, outside, "o.go", ugly)
}

func TestAssumedNames(t *testing.T) {
	for p, want := range map[string]string{
		"github.com/x/go-strings":     "strings",
		"gopkg.in/yaml.v3":            "yaml",
		"github.com/x/y/v2":           "y",
		"github.com/mattn/go-sqlite3": "sqlite3",
		"github.com/x/foo-go":         "foo",
	} {
		if got := assumedNames(p); !slices.Contains(got, want) {
			t.Errorf("assumedNames(%q) = %q, want it to contain %q", p, got, want)
		}
	}
}

func TestModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"module example.com/m\n":                "example.com/m",
		"// c\nmodule \"example.com/q\" // x\n": "example.com/q",
		"go 1.22\n":                             "",
		"modulex foo\n":                         "",
	} {
		if got := modulePath([]byte(in)); got != want {
			t.Errorf("modulePath(%q) = %q, want %q", in, got, want)
		}
	}
}
