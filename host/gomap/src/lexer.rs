//! A Go lexer just good enough for a map: it knows comments, interpreted and
//! raw strings, runes, identifiers, numbers and punctuation, with line
//! numbers. It never fails: bytes it does not understand are punctuation.
//!
//! Why not a parser: the map needs top-level declarations, imports and the
//! identifiers a file uses. gofmt'ed Go states those at brace depth zero in
//! a fixed shape (`func`, `type`, `var`, `const`, `import`), so a lexer plus
//! a depth counter reads them exactly, at a few hundred MB/s, with no
//! toolchain, C library or grammar to ship (see docs/ARCHITECTURE.md).

/// One token. Identifiers and strings borrow from the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok<'a> {
    Ident(&'a str),
    /// A string literal's content, without quotes (escapes left as written).
    Str(&'a str),
    Punct(u8),
    /// Numbers and runes: their value never matters here.
    Other,
}

/// A token and its 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub tok: Tok<'a>,
    pub line: u32,
}

/// A comment: its 1-based first and last line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comment {
    pub first: u32,
    pub last: u32,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_byte(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit()
}

/// Tokens and comments of `src`.
pub fn lex(src: &str) -> (Vec<Token<'_>>, Vec<Comment>) {
    let b = src.as_bytes();
    let mut toks = Vec::with_capacity(b.len() / 5);
    let mut comments = Vec::new();
    let mut i = 0usize;
    let mut line = 1u32;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let start = line;
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                comments.push(Comment {
                    first: start,
                    last: start,
                });
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = line;
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                i = (i + 2).min(b.len());
                comments.push(Comment {
                    first: start,
                    last: line,
                });
            }
            b'"' => {
                let start = i + 1;
                let l = line;
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let end = i.min(b.len());
                toks.push(Token {
                    tok: Tok::Str(src.get(start..end).unwrap_or("")),
                    line: l,
                });
                i = (i + 1).min(b.len());
            }
            b'`' => {
                let start = i + 1;
                let l = line;
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                toks.push(Token {
                    tok: Tok::Str(src.get(start..i.min(b.len())).unwrap_or("")),
                    line: l,
                });
                i = (i + 1).min(b.len());
            }
            b'\'' => {
                i += 1;
                while i < b.len() && b[i] != b'\'' && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i = (i + 1).min(b.len());
                toks.push(Token {
                    tok: Tok::Other,
                    line,
                });
            }
            _ if is_ident_start(c) => {
                let start = i;
                while i < b.len() && is_ident_byte(b[i]) {
                    i += 1;
                }
                // Identifiers end on ASCII bytes, so the slice is on char
                // boundaries unless the file is not UTF-8 (then: skip it).
                if let Some(s) = src.get(start..i) {
                    toks.push(Token {
                        tok: Tok::Ident(s),
                        line,
                    });
                }
            }
            _ if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    i += 1;
                }
                toks.push(Token {
                    tok: Tok::Other,
                    line,
                });
            }
            _ => {
                toks.push(Token {
                    tok: Tok::Punct(c),
                    line,
                });
                i += 1;
            }
        }
    }
    (toks, comments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idents(src: &str) -> Vec<&str> {
        lex(src)
            .0
            .into_iter()
            .filter_map(|t| {
                if let Tok::Ident(s) = t.tok {
                    Some(s)
                } else {
                    None
                }
            })
            .collect()
    }

    #[test]
    fn comments_strings_and_runes_hide_their_content() {
        let src = "a // b c\n/* d\ne */ f \"g \\\" h\" `i\nj` 'k' '\\'' l";
        assert_eq!(idents(src), ["a", "f", "l"]);
        let (toks, comments) = lex(src);
        assert_eq!(
            comments,
            [Comment { first: 1, last: 1 }, Comment { first: 2, last: 3 }]
        );
        assert_eq!(
            toks.last().map(|t| t.line),
            Some(4),
            "raw strings count their lines"
        );
        assert!(toks.iter().any(|t| t.tok == Tok::Str("g \\\" h")));
    }

    #[test]
    fn unicode_identifiers_and_numbers() {
        assert_eq!(idents("π := 3.14e10 + x1_2 + 0x1F"), ["π", "x1_2"]);
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for src in ["\"abc", "`abc", "/* abc", "'a", "a.", "\u{feff}package x"] {
            let _ = lex(src);
        }
    }
}
