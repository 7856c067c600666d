//! One Go file's map: package, imports, top-level declarations (with their
//! line ranges, doc comments included) and the identifiers it uses.

use crate::lexer::{Tok, Token, lex};
use std::collections::{BTreeSet, HashMap};

/// What a top-level declaration declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeclKind {
    Func,
    Method,
    Type,
    Var,
    Const,
}

impl DeclKind {
    pub fn code(self) -> u8 {
        self as u8
    }
    pub fn from_code(c: u8) -> Option<DeclKind> {
        [
            DeclKind::Func,
            DeclKind::Method,
            DeclKind::Type,
            DeclKind::Var,
            DeclKind::Const,
        ]
        .get(c as usize)
        .copied()
    }
}

/// A top-level declaration of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDecl<'a> {
    pub name: &'a str,
    pub kind: DeclKind,
    /// Receiver type of a method (`Server` for `func (s *Server) Serve()`).
    pub recv: Option<&'a str>,
    /// First line, its doc comment included (1-based).
    pub start: u32,
    /// Last line (1-based, inclusive).
    pub end: u32,
}

/// An import: its path and the name it is used by in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedImport<'a> {
    pub path: &'a str,
    /// The alias, or the path's last element; `.` and `_` as written.
    pub name: &'a str,
}

/// The map of one file, borrowing from its source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedFile<'a> {
    pub package: &'a str,
    pub imports: Vec<ParsedImport<'a>>,
    pub decls: Vec<ParsedDecl<'a>>,
    /// Identifiers used anywhere in the file (keywords and predeclared
    /// names left out), sorted, unique.
    pub refs: Vec<&'a str>,
    /// `pkg.Name` uses, where `pkg` is one of the file's imports: (import
    /// path, name), sorted, unique.
    pub qrefs: Vec<(&'a str, &'a str)>,
    pub lines: u32,
}

const KEYWORDS: &[&str] = &[
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
    // predeclared: frequent and never worth a definition lookup
    "bool",
    "byte",
    "complex64",
    "complex128",
    "error",
    "float32",
    "float64",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "rune",
    "string",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
    "any",
    "comparable",
    "true",
    "false",
    "iota",
    "nil",
    "append",
    "cap",
    "clear",
    "close",
    "complex",
    "copy",
    "delete",
    "imag",
    "len",
    "make",
    "max",
    "min",
    "new",
    "panic",
    "print",
    "println",
    "real",
    "recover",
    "_",
];

fn is_keyword(s: &str) -> bool {
    s.len() <= 11 && KEYWORDS.contains(&s)
}

fn last_path_element(p: &str) -> &str {
    let last = p.rsplit('/').next().unwrap_or(p);
    // gopkg.in/yaml.v3 is used as `yaml`; example.com/x/v2 as `x` (close enough).
    match last.split_once('.') {
        Some((head, _)) if !head.is_empty() => head,
        _ => last,
    }
}

/// Map one Go source file.
pub fn parse(src: &str) -> ParsedFile<'_> {
    let (toks, comments) = lex(src);
    let lines = src.lines().count() as u32;
    let mut comment_first: HashMap<u32, u32> = HashMap::with_capacity(comments.len());
    for c in &comments {
        // Keep the earliest first line for a last line.
        let e = comment_first.entry(c.last).or_insert(c.first);
        *e = (*e).min(c.first);
    }
    let doc_start = |line: u32| {
        let mut start = line;
        while let Some(&first) = comment_first.get(&(start.saturating_sub(1))) {
            if first >= start {
                break;
            }
            start = first;
        }
        start
    };
    let mut out = ParsedFile {
        lines,
        ..ParsedFile::default()
    };
    let mut refs: BTreeSet<&str> = BTreeSet::new();
    let mut pairs: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut open: Vec<usize> = Vec::new(); // decls whose end is not known yet
    let (mut braces, mut parens, mut brackets) = (0i32, 0i32, 0i32);
    // Inside `var (`, `const (`, `type (` or `import (` at top level.
    let mut group: Option<&str> = None;
    let mut prev_line = 1u32;
    let mut i = 0usize;
    let n = toks.len();
    let ident = |k: usize| match toks.get(k) {
        Some(Token {
            tok: Tok::Ident(s), ..
        }) => Some(*s),
        _ => None,
    };
    let punct =
        |k: usize, p: u8| matches!(toks.get(k), Some(Token { tok: Tok::Punct(c), .. }) if *c == p);
    let close_open = |open: &mut Vec<usize>, decls: &mut Vec<ParsedDecl<'_>>, end: u32| {
        for d in open.drain(..) {
            decls[d].end = end.max(decls[d].start);
        }
    };
    while i < n {
        let t = toks[i];
        let top = braces == 0 && parens == 0 && brackets == 0;
        match t.tok {
            Tok::Ident(kw)
                if top
                    && group.is_none()
                    && matches!(kw, "package" | "import" | "func" | "type" | "var" | "const") =>
            {
                close_open(&mut open, &mut out.decls, prev_line);
                match kw {
                    "package" => {
                        if let Some(p) = ident(i + 1) {
                            out.package = p;
                            i += 1;
                        }
                    }
                    "import" => {
                        if punct(i + 1, b'(') {
                            group = Some("import");
                            parens += 1;
                            i += 1;
                        } else {
                            i = read_import(&toks, i + 1, &mut out.imports);
                            prev_line = toks[i.min(n - 1)].line;
                            i += 1;
                            continue;
                        }
                    }
                    "func" => {
                        let start = doc_start(t.line);
                        let mut k = i + 1;
                        let mut recv = None;
                        if punct(k, b'(') {
                            // Receiver: the type is the last identifier before
                            // any type parameters.
                            let mut depth = 0;
                            let mut sq = 0;
                            while k < n {
                                match toks[k].tok {
                                    Tok::Punct(b'(') => depth += 1,
                                    Tok::Punct(b')') => {
                                        depth -= 1;
                                        if depth == 0 {
                                            break;
                                        }
                                    }
                                    Tok::Punct(b'[') => sq += 1,
                                    Tok::Punct(b']') => sq -= 1,
                                    Tok::Ident(s) if sq == 0 => {
                                        recv = Some(s);
                                        refs.insert(s);
                                    }
                                    _ => {}
                                }
                                k += 1;
                            }
                            k += 1;
                        }
                        if let Some(name) = ident(k) {
                            let kind = if recv.is_some() {
                                DeclKind::Method
                            } else {
                                DeclKind::Func
                            };
                            out.decls.push(ParsedDecl {
                                name,
                                kind,
                                recv,
                                start,
                                end: t.line,
                            });
                            open.push(out.decls.len() - 1);
                        }
                        // The signature and body are scanned by the main loop
                        // (for references and depth).
                        i = k + 1;
                        prev_line = t.line;
                        continue;
                    }
                    _ => {
                        let kind = match kw {
                            "type" => DeclKind::Type,
                            "var" => DeclKind::Var,
                            _ => DeclKind::Const,
                        };
                        if punct(i + 1, b'(') {
                            group = Some(kw);
                            parens += 1;
                            i += 2;
                            // First spec of the group.
                            i = read_specs(&toks, i, kind, &doc_start, &mut out.decls, &mut open);
                            continue;
                        }
                        let start = doc_start(t.line);
                        i = read_names(&toks, i + 1, kind, start, &mut out.decls, &mut open);
                        continue;
                    }
                }
            }
            Tok::Punct(b')') if group.is_some() && braces == 0 && brackets == 0 && parens == 1 => {
                parens = 0;
                group = None;
                close_open(&mut open, &mut out.decls, prev_line);
            }
            Tok::Punct(b'(') => parens += 1,
            Tok::Punct(b')') => parens -= 1,
            Tok::Punct(b'{') => braces += 1,
            Tok::Punct(b'}') => braces -= 1,
            Tok::Punct(b'[') => brackets += 1,
            Tok::Punct(b']') => brackets -= 1,
            Tok::Ident(s) => {
                if let (true, Some(sel)) = (punct(i + 1, b'.'), ident(i + 2)) {
                    pairs.insert((s, sel));
                }
                if !is_keyword(s) {
                    refs.insert(s);
                }
            }
            _ => {}
        }
        // A new spec inside a group starts on a new line at group depth.
        if let Some(g) = group {
            let at_group_depth = parens == 1 && braces == 0 && brackets == 0;
            let next_starts_line = toks.get(i + 1).is_some_and(|nt| nt.line > t.line);
            if at_group_depth && next_starts_line && i + 1 < n {
                let nt = toks[i + 1];
                if g == "import" {
                    // One spec per line: read them all, each ending at its path.
                    let mut j = i;
                    while toks.get(j + 1).is_some_and(|nt| {
                        nt.line > toks[j].line && !matches!(nt.tok, Tok::Punct(b')'))
                    }) {
                        let k = read_import(&toks, j + 1, &mut out.imports);
                        if k <= j {
                            break;
                        }
                        j = k;
                    }
                    let _ = nt;
                    prev_line = toks[j.min(n - 1)].line;
                    i = j + 1;
                    continue;
                } else if !matches!(nt.tok, Tok::Punct(b')')) {
                    close_open(&mut open, &mut out.decls, t.line);
                    let kind = match g {
                        "type" => DeclKind::Type,
                        "var" => DeclKind::Var,
                        _ => DeclKind::Const,
                    };
                    prev_line = t.line;
                    i = read_specs(&toks, i + 1, kind, &doc_start, &mut out.decls, &mut open);
                    continue;
                }
            }
        }
        prev_line = t.line;
        i += 1;
    }
    close_open(&mut open, &mut out.decls, prev_line);
    // Import section identifiers are not references.
    let names: Vec<&str> = out.imports.iter().map(|im| im.name).collect();
    out.refs = refs.into_iter().filter(|r| *r != out.package).collect();
    out.qrefs = pairs
        .into_iter()
        .filter_map(|(x, y)| {
            out.imports
                .iter()
                .find(|im| im.name == x)
                .map(|im| (im.path, y))
        })
        .collect();
    out.qrefs.sort_unstable();
    out.qrefs.dedup();
    let _ = names;
    out
}

/// `[name] "path"` at `k`; returns the index of the path token.
fn read_import<'a>(toks: &[Token<'a>], k: usize, imports: &mut Vec<ParsedImport<'a>>) -> usize {
    let (alias, k) = match toks.get(k).map(|t| t.tok) {
        Some(Tok::Ident(a)) => (Some(a), k + 1),
        Some(Tok::Punct(b'.')) => (Some("."), k + 1),
        _ => (None, k),
    };
    if let Some(Token {
        tok: Tok::Str(path),
        ..
    }) = toks.get(k)
    {
        imports.push(ParsedImport {
            path,
            name: alias.unwrap_or_else(|| last_path_element(path)),
        });
    }
    k
}

/// Names of a `var`/`const`/`type` spec at `k` (`a, b T = ...`); returns
/// the index after the last name.
fn read_names<'a>(
    toks: &[Token<'a>],
    mut k: usize,
    kind: DeclKind,
    start: u32,
    decls: &mut Vec<ParsedDecl<'a>>,
    open: &mut Vec<usize>,
) -> usize {
    let line = toks.get(k).map(|t| t.line).unwrap_or(start);
    while let Some(Token {
        tok: Tok::Ident(name),
        ..
    }) = toks.get(k)
    {
        decls.push(ParsedDecl {
            name,
            kind,
            recv: None,
            start,
            end: line,
        });
        open.push(decls.len() - 1);
        k += 1;
        if kind == DeclKind::Type || !matches!(toks.get(k).map(|t| t.tok), Some(Tok::Punct(b','))) {
            break;
        }
        k += 1;
    }
    k
}

fn read_specs<'a>(
    toks: &[Token<'a>],
    k: usize,
    kind: DeclKind,
    doc_start: &dyn Fn(u32) -> u32,
    decls: &mut Vec<ParsedDecl<'a>>,
    open: &mut Vec<usize>,
) -> usize {
    match toks.get(k) {
        Some(
            t @ Token {
                tok: Tok::Ident(_), ..
            },
        ) => read_names(toks, k, kind, doc_start(t.line), decls, open),
        _ => k,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"// Package shop sells things.
package shop

import (
	"errors"
	str "strings"
	_ "embed"
)

import "fmt"

// ErrEmpty is returned for an empty cart.
var ErrEmpty = errors.New("shop: empty cart")

const (
	// MaxItems caps a cart.
	MaxItems = 10
	minItems, spare = 1, 2
)

type (
	// Cart holds items.
	Cart struct {
		Items []Item
	}
	Item string
)

// Total sums the cart.
// It never fails.
func (c *Cart) Total() int {
	n := 0
	for range c.Items {
		n++
	}
	return n
}

func New[T any](xs ...T) *Cart {
	return &Cart{}
}

func (l *List[T]) Len() int { return 0 }

func describe(c Cart) string {
	return fmt.Sprintf("%d", len(c.Items)) + str.ToUpper("x")
}
"#;

    #[test]
    fn maps_package_imports_and_declarations() {
        let f = parse(SRC);
        assert_eq!(f.package, "shop");
        let imports: Vec<(&str, &str)> = f.imports.iter().map(|i| (i.path, i.name)).collect();
        assert_eq!(
            imports,
            [
                ("errors", "errors"),
                ("strings", "str"),
                ("embed", "_"),
                ("fmt", "fmt")
            ]
        );
        let decls: Vec<(&str, DeclKind, Option<&str>, u32, u32)> = f
            .decls
            .iter()
            .map(|d| (d.name, d.kind, d.recv, d.start, d.end))
            .collect();
        assert_eq!(
            decls,
            [
                ("ErrEmpty", DeclKind::Var, None, 12, 13),
                ("MaxItems", DeclKind::Const, None, 16, 17),
                ("minItems", DeclKind::Const, None, 18, 18),
                ("spare", DeclKind::Const, None, 18, 18),
                ("Cart", DeclKind::Type, None, 22, 25),
                ("Item", DeclKind::Type, None, 26, 26),
                ("Total", DeclKind::Method, Some("Cart"), 29, 37),
                ("New", DeclKind::Func, None, 39, 41),
                ("Len", DeclKind::Method, Some("List"), 43, 43),
                ("describe", DeclKind::Func, None, 45, 47),
            ]
        );
    }

    #[test]
    fn references_and_qualified_uses() {
        let f = parse(SRC);
        for r in ["Cart", "Item", "Items", "Sprintf", "ToUpper", "c", "n", "T"] {
            assert!(f.refs.contains(&r), "{r} in {:?}", f.refs);
        }
        for k in ["func", "return", "len", "int", "string", "shop"] {
            assert!(!f.refs.contains(&k), "{k}");
        }
        assert_eq!(
            f.qrefs,
            [
                ("errors", "New"),
                ("fmt", "Sprintf"),
                ("strings", "ToUpper")
            ]
        );
    }

    #[test]
    fn odd_input_is_mapped_without_panicking() {
        for src in [
            "",
            "package",
            "func",
            "func (",
            "var (",
            "type X",
            "import (",
            "}}}",
            "package p\nfunc (x) {",
        ] {
            let _ = parse(src);
        }
    }
}
