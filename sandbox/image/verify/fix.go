// The -fix mode: mechanical, behaviour-preserving fixes of the Go files a
// change touched, applied before verification so that a model is not sent
// back for a missing import or a formatting nit.
//
//	coop-verify -fix -dir /work [--] FILE...
//
// For each FILE (relative to -dir) it removes unused imports, adds missing
// standard-library imports and formats the file like gofmt, then writes it
// back in place if the bytes changed. It prints one JSON line per FILE and a
// final {"kind":"done"} line. It only parses Go source (the file, its
// package's sibling files, $GOROOT/src): it never runs the go command or any
// code of the repository.
//
// Every decision is conservative: an import is removed only when the name it
// binds is known for certain (an explicit alias, or the package clause of a
// standard-library or in-module package), and an import is added only when
// exactly the standard library can supply the name and nothing in the
// package declares it. Anything doubtful is left as it was; the verification
// that follows reports it.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// FixLine is the JSON line reported for one requested path.
type FixLine struct {
	Kind string `json:"kind"` // "fix"
	Path string `json:"path"`
	// The file was rewritten.
	Changed bool `json:"changed"`
	// gofmt alone (without the import fixes) would have changed the file.
	Gofmt bool `json:"gofmt"`
	// Removed imports: the import path, or "name path" for a named import.
	RemovedImports []string `json:"removed_imports"`
	// Added imports (standard-library import paths).
	AddedImports []string `json:"added_imports"`
	// Why the file was skipped, left untouched, or only partly fixed.
	Error string `json:"error,omitempty"`
}

type fixDone struct {
	Kind string `json:"kind"` // "done"
}

// fixer holds what is shared by the files of one run: the module, GOROOT and
// caches of what was learned about packages.
type fixer struct {
	dir     string // module root, absolute and symlink-free
	goroot  string // "" when unknown: then no std import is removed or added
	modPath string // module path from dir/go.mod, "" when unknown

	pkgNames map[string]string          // import path -> package name ("": unknown)
	exports  map[string]map[string]bool // std import path -> exported top-level names
	stdDirs  map[string][]string        // candidate package name -> std import paths; built lazily
	dirFiles map[string][]dirFile       // module dir -> its .go files, parsed once per run
}

// dirFile is what packageDecls needs of one .go file. Fixing a file never
// changes its package clause or top-level names, so this stays valid while
// the files of its directory are rewritten.
type dirFile struct {
	path     string
	pkg      string // "" when even the package clause does not parse
	names    map[string]bool
	parseErr bool
}

func defaultGoroot() string {
	if g := os.Getenv("GOROOT"); g != "" {
		return g
	}
	// The image always sets GOROOT; this fallback serves local runs only.
	return runtime.GOROOT() //nolint:staticcheck // fallback when GOROOT is unset
}

// runFix fixes paths (relative to dir) and writes the JSON lines to w. Only a
// failure to write the report is returned; per-file problems are reported in
// the file's line.
func runFix(w io.Writer, dir, goroot string, paths []string) error {
	enc := json.NewEncoder(w)
	f, err := newFixer(dir, goroot)
	for _, p := range paths {
		var l FixLine
		if err != nil {
			l = FixLine{Kind: "fix", Path: p, RemovedImports: []string{}, AddedImports: []string{}, Error: err.Error()}
		} else {
			l = f.fixFile(p)
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return enc.Encode(fixDone{Kind: "done"})
}

func newFixer(dir, goroot string) (*fixer, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("module dir %s: %v", dir, err)
	}
	// Resolved once so that a path can be checked for symlinks by comparing
	// it with its own resolution.
	abs, err = filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("module dir %s: %v", dir, err)
	}
	f := &fixer{
		dir:      abs,
		goroot:   goroot,
		pkgNames: map[string]string{},
		exports:  map[string]map[string]bool{},
		dirFiles: map[string][]dirFile{},
	}
	if gm, err := os.ReadFile(filepath.Join(abs, "go.mod")); err == nil {
		f.modPath = modulePath(gm)
	}
	return f, nil
}

// modulePath returns the path of go.mod's module directive, "" if none.
func modulePath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "module")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		rest = strings.TrimSpace(rest)
		if u, err := strconv.Unquote(rest); err == nil {
			return u
		}
		return rest
	}
	return ""
}

// checkPath refuses what must never be rewritten: anything outside the
// module (absolute, "..", through a symlink), symlinks themselves (their
// target may be outside, or be a file the change did not touch), non-.go
// files, and files the go command ignores (testdata often holds fixtures
// whose exact bytes a test depends on).
func (f *fixer) checkPath(rel string) (string, string) {
	if rel == "" {
		return "", "skipped: empty path"
	}
	if strings.ContainsRune(rel, 0) {
		return "", "skipped: path contains NUL"
	}
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") {
		return "", "skipped: absolute path (paths are relative to the module)"
	}
	elems := strings.Split(filepath.ToSlash(rel), "/")
	if slices.Contains(elems, "..") {
		return "", "skipped: path contains .."
	}
	if !strings.HasSuffix(rel, ".go") {
		return "", "skipped: not a .go file"
	}
	for _, e := range elems[:len(elems)-1] {
		if e == "testdata" || e == "vendor" || (e != "." && (strings.HasPrefix(e, ".") || strings.HasPrefix(e, "_"))) {
			return "", fmt.Sprintf("skipped: under %s, which the go command ignores", e)
		}
	}
	full := filepath.Join(f.dir, rel)
	fi, err := os.Lstat(full)
	if err != nil {
		return "", "skipped: " + strings.Replace(err.Error(), f.dir+string(filepath.Separator), "", 1)
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return "", "skipped: symlink"
	case !fi.Mode().IsRegular():
		return "", "skipped: not a regular file"
	}
	resolved, err := filepath.EvalSymlinks(full)
	if err != nil || resolved != full {
		return "", "skipped: path goes through a symlink"
	}
	return full, ""
}

func (f *fixer) fixFile(rel string) FixLine {
	l := FixLine{Kind: "fix", Path: rel, RemovedImports: []string{}, AddedImports: []string{}}
	full, skip := f.checkPath(rel)
	if skip != "" {
		l.Error = skip
		return l
	}
	src, err := os.ReadFile(full)
	if err != nil {
		l.Error = "read: " + err.Error()
		return l
	}
	fset := token.NewFileSet()
	if _, err := parser.ParseFile(fset, rel, src, parser.ParseComments); err != nil {
		l.Error = "does not parse, left untouched: " + err.Error()
		return l
	}
	formatted, err := format.Source(src)
	if err != nil {
		l.Error = "gofmt: " + err.Error()
		return l
	}
	l.Gofmt = !bytes.Equal(formatted, src)
	out, removed, added, err := f.fixImports(full, rel, formatted)
	if err != nil {
		// The formatting is still applied; only the import edit is dropped.
		l.Error = "imports left as they were: " + err.Error()
		out, removed, added = formatted, nil, nil
	}
	l.RemovedImports = append(l.RemovedImports, removed...)
	l.AddedImports = append(l.AddedImports, added...)
	if bytes.Equal(out, src) {
		return l
	}
	// os.WriteFile keeps the mode (and owner) of an existing file.
	if err := os.WriteFile(full, out, 0o644); err != nil {
		l.Error = "write: " + strings.Replace(err.Error(), f.dir+string(filepath.Separator), "", 1)
		l.RemovedImports, l.AddedImports = []string{}, []string{}
		return l
	}
	l.Changed = true
	return l
}

// importName is the name an import binds: its alias, else the package name
// ("" when that is not known for certain).
func (f *fixer) importName(s *ast.ImportSpec) string {
	if s.Name != nil {
		return s.Name.Name
	}
	p, err := strconv.Unquote(s.Path.Value)
	if err != nil {
		return ""
	}
	return f.pkgName(p)
}

// fixImports removes unused and adds missing std imports of src (already
// gofmt'ed, so every import spec sits on its own lines) and formats the
// result.
func (f *fixer) fixImports(full, rel string, src []byte) (out []byte, removed, added []string, err error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, rel, src, parser.ParseComments)
	if err != nil {
		return nil, nil, nil, err
	}

	// X.Sel with X unresolved in the file: X can only be an import, a
	// package-level name of another file, or a predeclared name.
	used := map[string]map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Obj == nil {
				if used[id.Name] == nil {
					used[id.Name] = map[string]bool{}
				}
				used[id.Name][sel.Sel.Name] = true
			}
		}
		return true
	})

	var remove []*ast.ImportSpec
	imported := map[string]bool{}
	dotImport := false
	for _, s := range file.Imports {
		p, _ := strconv.Unquote(s.Path.Value)
		if s.Name != nil && s.Name.Name == "." {
			dotImport = true
		}
		if p == "C" || (s.Name != nil && (s.Name.Name == "_" || s.Name.Name == ".")) {
			continue
		}
		name := f.importName(s)
		if name == "" {
			// Unknown package: keep it, and treat every name it plausibly
			// binds as imported so no std package is added in its place.
			for _, g := range assumedNames(p) {
				imported[g] = true
			}
			continue
		}
		if used[name] == nil {
			remove = append(remove, s)
			continue
		}
		imported[name] = true
	}

	var missing []string
	// A dot import can supply any name, so nothing is missing for certain.
	if !dotImport && f.goroot != "" {
		for name := range used {
			if !imported[name] && !predeclared[name] {
				missing = append(missing, name)
			}
		}
	}
	var addPaths []string
	if len(missing) > 0 {
		declared, derr := f.packageDecls(full, file)
		if derr != nil {
			// Not knowing what the package declares, adding could bind a
			// name the package meant for itself.
			missing = nil
		}
		slices.Sort(missing)
		for _, name := range missing {
			if declared[name] {
				continue
			}
			if p := f.findStd(name, used[name]); p != "" {
				addPaths = append(addPaths, p)
			}
		}
	}
	if len(remove) == 0 && len(addPaths) == 0 {
		return src, nil, nil, nil
	}

	e := newLineEditor(fset, file, src)
	var kept []*ast.ImportSpec
	for _, s := range remove {
		if e.removeImport(s) {
			kept = append(kept, s)
			continue
		}
		removed = append(removed, specString(s))
	}
	if len(addPaths) > 0 {
		if e.addImports(addPaths) {
			added = addPaths
		}
	}
	if len(removed) == 0 && len(added) == 0 {
		return src, nil, nil, nil
	}
	out, err = format.Source(e.bytes())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("internal: edited imports do not parse: %v", err)
	}
	if err := checkImports(file, out, removed, added); err != nil {
		return nil, nil, nil, err
	}
	return out, removed, added, nil
}

func specString(s *ast.ImportSpec) string {
	p, _ := strconv.Unquote(s.Path.Value)
	if s.Name != nil {
		return s.Name.Name + " " + p
	}
	return p
}

// checkImports re-parses the result and checks that its imports are exactly
// the original ones minus removed plus added: the edit touched nothing else
// that matters.
func checkImports(orig *ast.File, out []byte, removed, added []string) error {
	nf, err := parser.ParseFile(token.NewFileSet(), "", out, parser.ImportsOnly)
	if err != nil {
		return fmt.Errorf("internal: result does not parse: %v", err)
	}
	count := map[string]int{}
	for _, s := range orig.Imports {
		count[specString(s)]++
	}
	for _, r := range removed {
		count[r]--
	}
	for _, a := range added {
		count[a]++
	}
	for _, s := range nf.Imports {
		count[specString(s)]--
	}
	for k, v := range count {
		if v != 0 {
			return fmt.Errorf("internal: import %q off by %d after the edit", k, v)
		}
	}
	return nil
}

// assumedNames are the names an import of an unknown package may bind: its
// last element, or the one before a /vN suffix, as goimports guesses, plus
// variants without a go- prefix or -go suffix.
func assumedNames(p string) []string {
	elems := strings.Split(p, "/")
	last := elems[len(elems)-1]
	out := []string{last}
	if majorVersion.MatchString(last) && len(elems) > 1 {
		last = elems[len(elems)-2]
		out = append(out, last)
	}
	base := strings.TrimPrefix(last, "go-")
	base = strings.TrimSuffix(base, "-go")
	base = strings.TrimSuffix(base, ".go")
	out = append(out, base)
	// A package name is an identifier; cut at the first character that
	// cannot be in one (gopkg.in/yaml.v3 -> yaml).
	if i := strings.IndexFunc(base, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}); i > 0 {
		out = append(out, base[:i])
	}
	out = append(out, strings.NewReplacer("-", "", ".", "").Replace(base))
	return out
}

var majorVersion = regexp.MustCompile(`^v[0-9]+$`)

var predeclared = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`any bool byte comparable complex64 complex128 error float32 float64
		int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr
		true false iota nil
		append cap clear close complex copy delete imag len make max min new panic print println real recover`) {
		predeclared[n] = true
	}
}

// pkgName is the package name of importPath when it can be known for
// certain without running the go command: a standard-library package or a
// package of the module itself. "" otherwise.
func (f *fixer) pkgName(importPath string) string {
	if n, ok := f.pkgNames[importPath]; ok {
		return n
	}
	name := ""
	if slices.Contains(strings.Split(importPath, "/"), "..") || importPath == "" {
		// Not a valid import path; never guess.
	} else if f.modPath != "" && (importPath == f.modPath || strings.HasPrefix(importPath, f.modPath+"/")) {
		rel := strings.TrimPrefix(strings.TrimPrefix(importPath, f.modPath), "/")
		name = packageClause(filepath.Join(f.dir, filepath.FromSlash(rel)))
	} else if f.goroot != "" && !strings.Contains(strings.Split(importPath, "/")[0], ".") {
		name = packageClause(filepath.Join(f.goroot, "src", filepath.FromSlash(importPath)))
	}
	f.pkgNames[importPath] = name
	return name
}

// packageClause is the package name shared by the non-test .go files of
// dir, ignoring `//go:build ignore` files (generators, often package main).
// "" if there are none or they disagree.
func packageClause(dir string) string {
	names := map[string]bool{}
	for _, file := range goSources(dir, false) {
		af, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil || af.Name == nil || ignored(af) {
			continue
		}
		names[af.Name.Name] = true
	}
	if len(names) > 1 {
		delete(names, "main")
	}
	if len(names) != 1 {
		return ""
	}
	for n := range names {
		return n
	}
	return ""
}

// goSources lists the regular .go files of dir, sorted; test files only if
// withTests.
func goSources(dir string, withTests bool) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(n, ".go") || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
			continue
		}
		if !withTests && strings.HasSuffix(n, "_test.go") {
			continue
		}
		out = append(out, filepath.Join(dir, n))
	}
	return out
}

// ignored reports a `//go:build` constraint that needs the "ignore" tag.
func ignored(af *ast.File) bool {
	for _, cg := range af.Comments {
		if cg.Pos() >= af.Package {
			break
		}
		for _, c := range cg.List {
			if !constraint.IsGoBuild(c.Text) && !constraint.IsPlusBuild(c.Text) {
				continue
			}
			expr, err := constraint.Parse(c.Text)
			if err != nil {
				continue
			}
			needsIgnore := false
			expr.Eval(func(tag string) bool {
				if tag == "ignore" {
					needsIgnore = true
				}
				return true
			})
			if needsIgnore {
				return true
			}
		}
	}
	return false
}

// packageDecls returns the names declared at package level by the files that
// share a scope with the file at full: same directory, same package clause
// (for a test file also test files, and the package under test for an
// external _test package). Files excluded by build tags are included: a name
// declared anywhere is never treated as missing.
func (f *fixer) packageDecls(full string, file *ast.File) (map[string]bool, error) {
	isTest := strings.HasSuffix(full, "_test.go")
	pkg := file.Name.Name
	declared := map[string]bool{}
	for _, sib := range f.parseDir(filepath.Dir(full)) {
		if sib.path == full || (!isTest && strings.HasSuffix(sib.path, "_test.go")) {
			continue
		}
		if sib.pkg == "" {
			return nil, fmt.Errorf("%s: no package clause", filepath.Base(sib.path))
		}
		n := sib.pkg
		if n != pkg && !(isTest && (n+"_test" == pkg || pkg+"_test" == n)) {
			continue
		}
		if sib.parseErr {
			return nil, fmt.Errorf("%s does not parse", filepath.Base(sib.path))
		}
		for name := range sib.names {
			declared[name] = true
		}
	}
	return declared, nil
}

func (f *fixer) parseDir(dir string) []dirFile {
	if d, ok := f.dirFiles[dir]; ok {
		return d
	}
	var out []dirFile
	for _, p := range goSources(dir, true) {
		df := dirFile{path: p}
		af, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if af != nil && af.Name != nil {
			df.pkg = af.Name.Name
			df.names = topLevelNames(af, false)
		}
		df.parseErr = err != nil
		out = append(out, df)
	}
	f.dirFiles[dir] = out
	return out
}

// topLevelNames are the package-level names af declares (only exported ones
// if exportedOnly). Methods are not package-level names.
func topLevelNames(af *ast.File, exportedOnly bool) map[string]bool {
	out := map[string]bool{}
	add := func(id *ast.Ident) {
		if id != nil && id.Name != "_" && (!exportedOnly || id.IsExported()) {
			out[id.Name] = true
		}
	}
	for _, d := range af.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				add(d.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					add(s.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						add(n)
					}
				}
			}
		}
	}
	return out
}

// findStd returns the std import path whose package is called name and
// exports every one of sels; "" if none. Ties go to the fewest path elements,
// then the lexicographically first path, so the choice is deterministic.
func (f *fixer) findStd(name string, sels map[string]bool) string {
	f.buildStdDirs()
	var cands []string
	for _, p := range f.stdDirs[name] {
		if f.pkgName(p) != name {
			continue
		}
		exp := f.stdExports(p)
		ok := true
		for s := range sels {
			if !exp[s] {
				ok = false
				break
			}
		}
		if ok {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return ""
	}
	slices.SortFunc(cands, func(a, b string) int {
		if d := strings.Count(a, "/") - strings.Count(b, "/"); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return cands[0]
}

// buildStdDirs indexes the std directories by the package name they likely
// have: their base name, or for a major-version directory (math/rand/v2) its
// parent's. Only directory names are read here; packages are parsed on
// demand by findStd.
func (f *fixer) buildStdDirs() {
	if f.stdDirs != nil {
		return
	}
	f.stdDirs = map[string][]string{}
	root := filepath.Join(f.goroot, "src")
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if p == root {
			return nil
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil {
			return filepath.SkipDir
		}
		rel = filepath.ToSlash(rel)
		n := d.Name()
		if n == "testdata" || n == "vendor" || n == "internal" || rel == "cmd" || rel == "builtin" ||
			strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
			return filepath.SkipDir
		}
		key := n
		if majorVersion.MatchString(n) && strings.Contains(rel, "/") {
			key = path.Base(path.Dir(rel))
		}
		f.stdDirs[key] = append(f.stdDirs[key], rel)
		return nil
	})
}

func (f *fixer) stdExports(importPath string) map[string]bool {
	if e, ok := f.exports[importPath]; ok {
		return e
	}
	e := map[string]bool{}
	for _, file := range goSources(filepath.Join(f.goroot, "src", filepath.FromSlash(importPath)), false) {
		af, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution|parser.ParseComments)
		if err != nil || ignored(af) {
			continue
		}
		for n := range topLevelNames(af, true) {
			e[n] = true
		}
	}
	f.exports[importPath] = e
	return e
}

// lineEditor edits gofmt'ed source by whole lines: lines are deleted and
// text is inserted before a line. Working on lines (rather than mutating the
// AST and its positions) keeps every byte outside the edited import lines as
// it was; gofmt then tidies blank lines left in import blocks.
type lineEditor struct {
	file    *ast.File
	tf      *token.File
	src     []byte
	starts  []int // byte offset of each line (0-based line index)
	deleted map[int]bool
	insert  map[int]string // before line index; len(starts) = at the end
}

func newLineEditor(fset *token.FileSet, file *ast.File, src []byte) *lineEditor {
	starts := []int{0}
	for i, b := range src {
		if b == '\n' && i+1 < len(src) {
			starts = append(starts, i+1)
		}
	}
	return &lineEditor{file: file, tf: fset.File(file.Package), src: src, starts: starts, deleted: map[int]bool{}, insert: map[int]string{}}
}

func (e *lineEditor) line(p token.Pos) int   { return e.tf.Line(p) - 1 }
func (e *lineEditor) offset(p token.Pos) int { return e.tf.Offset(p) }

func (e *lineEditor) lineEnd(i int) int {
	if i+1 < len(e.starts) {
		return e.starts[i+1] - 1
	}
	return len(e.src)
}

// ownLines reports whether [from, to) covers whole lines apart from
// surrounding white space and a trailing line comment (which belongs to
// what it follows), and returns those lines.
func (e *lineEditor) ownLines(from, to token.Pos) (int, int, bool) {
	a, b := e.line(from), e.line(to)
	before := e.src[e.starts[a]:e.offset(from)]
	after := bytes.TrimSpace(e.src[e.offset(to):e.lineEnd(b)])
	if len(bytes.TrimSpace(before)) != 0 || (len(after) != 0 && !bytes.HasPrefix(after, []byte("//"))) {
		return 0, 0, false
	}
	return a, b, true
}

func (e *lineEditor) deleteLines(a, b int) {
	for i := a; i <= b; i++ {
		e.deleted[i] = true
	}
}

func declOf(file *ast.File, s *ast.ImportSpec) *ast.GenDecl {
	for _, d := range file.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT && slices.Contains(g.Specs, ast.Spec(s)) {
			return g
		}
	}
	return nil
}

func specRange(s *ast.ImportSpec) (token.Pos, token.Pos) {
	from, to := s.Pos(), s.End()
	if s.Doc != nil {
		from = s.Doc.Pos()
	}
	if s.Comment != nil {
		to = s.Comment.End()
	}
	return from, to
}

// removeImport deletes the lines of s (with its comments), or its whole
// declaration when s is the declaration's last remaining spec. It reports
// true when it could not (s shares a line with other code) and s is kept.
func (e *lineEditor) removeImport(s *ast.ImportSpec) (kept bool) {
	d := declOf(e.file, s)
	if d == nil {
		return true
	}
	remaining := 0
	for _, sp := range d.Specs {
		sl := e.line(sp.Pos())
		if !e.deleted[sl] && sp != ast.Spec(s) {
			remaining++
		}
	}
	from, to := specRange(s)
	if remaining == 0 {
		if d.Doc != nil {
			from = d.Doc.Pos()
		} else {
			from = d.Pos()
		}
		if d.End() > to {
			to = d.End()
		}
	}
	a, b, ok := e.ownLines(from, to)
	if !ok {
		return true
	}
	e.deleteLines(a, b)
	return false
}

func isStdPath(p string) bool {
	return p != "C" && !strings.Contains(strings.Split(p, "/")[0], ".")
}

func specPath(s ast.Spec) string {
	p, _ := strconv.Unquote(s.(*ast.ImportSpec).Path.Value)
	return p
}

func quoteLines(paths []string, indent string) string {
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(indent + strconv.Quote(p) + "\n")
	}
	return b.String()
}

// addImports inserts std import specs: into the std group of the first
// parenthesized import declaration (a new first group if it has none), by
// turning a single-spec declaration into a block, or as a new declaration
// after the last import (or the package clause). gofmt sorts them into
// place. It reports whether the imports were inserted.
func (e *lineEditor) addImports(paths []string) bool {
	var decls []*ast.GenDecl
	for _, d := range e.file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		decls = append(decls, g)
	}
	for _, g := range decls {
		if len(g.Specs) == 0 || slices.ContainsFunc(g.Specs, func(s ast.Spec) bool { return specPath(s) == "C" }) {
			// import "C" must stay alone right after its cgo preamble.
			continue
		}
		allDeleted := true
		for _, s := range g.Specs {
			if !e.deleted[e.line(s.Pos())] {
				allDeleted = false
			}
		}
		if allDeleted {
			continue
		}
		if g.Lparen.IsValid() {
			return e.addToBlock(g, paths)
		}
		return e.toBlock(g, paths)
	}
	// A new declaration after the last import, else after the package clause.
	after := e.file.Name.End()
	if len(decls) > 0 {
		after = decls[len(decls)-1].End()
		if s := decls[len(decls)-1].Specs; len(s) > 0 {
			if c := s[len(s)-1].(*ast.ImportSpec).Comment; c != nil && c.End() > after {
				after = c.End()
			}
		}
	}
	l := e.line(after)
	rest := bytes.TrimSpace(e.src[e.offset(after):e.lineEnd(l)])
	if len(rest) > 0 && !bytes.HasPrefix(rest, []byte("//")) {
		return false
	}
	var text string
	if len(paths) == 1 {
		text = "\nimport " + strconv.Quote(paths[0]) + "\n"
	} else {
		text = "\nimport (\n" + quoteLines(paths, "\t") + ")\n"
	}
	e.insert[l+1] += text
	return true
}

func (e *lineEditor) addToBlock(g *ast.GenDecl, paths []string) bool {
	// Groups are runs of specs without a blank line between them.
	var groups [][]*ast.ImportSpec
	prevEnd := -10
	for _, s := range g.Specs {
		is := s.(*ast.ImportSpec)
		from, to := specRange(is)
		if e.line(from) > prevEnd+1 || len(groups) == 0 {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], is)
		prevEnd = e.line(to)
	}
	for _, grp := range groups {
		std := true
		live := false
		for _, s := range grp {
			if !isStdPath(specPath(s)) {
				std = false
			}
			if !e.deleted[e.line(s.Pos())] {
				live = true
			}
		}
		if std && live {
			from, _ := specRange(grp[0])
			e.insert[e.line(from)] += quoteLines(paths, "\t")
			return true
		}
	}
	from, _ := specRange(g.Specs[0].(*ast.ImportSpec))
	e.insert[e.line(from)] += quoteLines(paths, "\t") + "\n"
	return true
}

// toBlock turns `import "x"` into a parenthesized block holding it and paths.
func (e *lineEditor) toBlock(g *ast.GenDecl, paths []string) bool {
	s := g.Specs[0].(*ast.ImportSpec)
	_, to := specRange(s)
	a, b, ok := e.ownLines(g.Pos(), to)
	if !ok {
		return false
	}
	spec := string(e.src[e.offset(s.Pos()):e.offset(to)])
	var text string
	if isStdPath(specPath(s)) {
		text = "import (\n\t" + spec + "\n" + quoteLines(paths, "\t") + ")\n"
	} else {
		text = "import (\n" + quoteLines(paths, "\t") + "\n\t" + spec + "\n)\n"
	}
	e.deleteLines(a, b)
	e.insert[a] += text
	return true
}

func (e *lineEditor) bytes() []byte {
	var out bytes.Buffer
	for i, st := range e.starts {
		out.WriteString(e.insert[i])
		if e.deleted[i] {
			continue
		}
		end := len(e.src)
		if i+1 < len(e.starts) {
			end = e.starts[i+1]
		}
		out.Write(e.src[st:end])
	}
	if t, ok := e.insert[len(e.starts)]; ok {
		if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
			out.WriteByte('\n')
		}
		out.WriteString(t)
	}
	return out.Bytes()
}

// fixMain runs -fix mode and returns the process exit code.
func fixMain(dir, goroot string, paths []string) int {
	if err := runFix(os.Stdout, dir, goroot, paths); err != nil {
		fmt.Fprintf(os.Stderr, "coop-verify -fix: %v\n", err)
		return 1
	}
	return 0
}
