//! The report of `coop-verify -fix` (see sandbox/image/verify/fix.go) and its
//! parser. Pure, like [`crate::parse`]: the parser never panics on any input.

use serde::{Deserialize, Serialize};

/// What the fixer did to one requested file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFix {
    /// The path as requested (relative to the worktree).
    pub path: String,
    /// The file was rewritten.
    pub changed: bool,
    /// gofmt alone (without the import fixes) would have changed the file.
    pub gofmt: bool,
    /// Removed unused imports: the import path, or `name path` for a named
    /// import.
    #[serde(default)]
    pub removed_imports: Vec<String>,
    /// Added standard-library import paths.
    #[serde(default)]
    pub added_imports: Vec<String>,
    /// Why the file was skipped (`skipped: ...`: absolute, `..`, symlink,
    /// not a regular `.go` file, under testdata/vendor), left untouched
    /// (`does not parse, ...`), or fixed only partly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of [`crate::Sandbox::fix`]: one entry per requested file, in
/// request order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixReport {
    pub files: Vec<FileFix>,
    /// Wall clock of the fix, container start to removal (0 when there was
    /// nothing to fix and no container was started).
    pub duration_ms: u64,
}

impl FixReport {
    /// The files that were rewritten, in request order.
    pub fn changed_paths(&self) -> Vec<&str> {
        self.files
            .iter()
            .filter(|f| f.changed)
            .map(|f| f.path.as_str())
            .collect()
    }
}

/// The fixer's output could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixParseError {
    #[error("line {line} is not a fixer line ({reason}): {text}")]
    Malformed {
        line: usize,
        text: String,
        reason: String,
    },
    #[error("line {line} has unknown kind {kind:?}: {text}")]
    UnknownKind {
        line: usize,
        kind: String,
        text: String,
    },
    #[error("line {line} follows the \"done\" line: {text}")]
    AfterDone { line: usize, text: String },
    #[error("no \"done\" line: the fixer stopped early or its output was cut")]
    NoDone,
    #[error("the fixer reported {got:?} where {want:?} was requested (entry {index})")]
    Mismatch {
        index: usize,
        got: Option<String>,
        want: Option<String>,
    },
}

/// How much of an offending line an error quotes.
const QUOTE_CAP: usize = 200;

fn quote(line: &str) -> String {
    if line.len() <= QUOTE_CAP {
        return line.to_string();
    }
    let mut end = QUOTE_CAP;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &line[..end])
}

#[derive(Deserialize)]
struct Kind {
    kind: String,
}

/// Parse the fixer's stdout: one `{"kind":"fix",...}` line per requested
/// path, in order, then `{"kind":"done"}`. Unlike the verifier's lines,
/// nothing is skipped: the files were (or were not) rewritten, so every line
/// must be accounted for, and anything unexpected is an error naming the line.
pub fn parse_fix_output(stdout: &str, requested: &[&str]) -> Result<Vec<FileFix>, FixParseError> {
    let mut files = Vec::new();
    let mut done = false;
    for (i, text) in stdout.lines().enumerate() {
        let line = i + 1;
        if text.trim().is_empty() {
            continue;
        }
        if done {
            return Err(FixParseError::AfterDone {
                line,
                text: quote(text),
            });
        }
        let kind: Kind = serde_json::from_str(text).map_err(|e| FixParseError::Malformed {
            line,
            text: quote(text),
            reason: e.to_string(),
        })?;
        match kind.kind.as_str() {
            "fix" => {
                let f: FileFix =
                    serde_json::from_str(text).map_err(|e| FixParseError::Malformed {
                        line,
                        text: quote(text),
                        reason: e.to_string(),
                    })?;
                files.push(f);
            }
            "done" => done = true,
            other => {
                return Err(FixParseError::UnknownKind {
                    line,
                    kind: quote(other),
                    text: quote(text),
                });
            }
        }
    }
    if !done {
        return Err(FixParseError::NoDone);
    }
    for index in 0..files.len().max(requested.len()) {
        let got = files.get(index).map(|f| f.path.as_str());
        let want = requested.get(index).copied();
        if got != want {
            return Err(FixParseError::Mismatch {
                index,
                got: got.map(str::to_string),
                want: want.map(str::to_string),
            });
        }
    }
    Ok(files)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const OUT: &str = r#"{"kind":"fix","path":"a.go","changed":true,"gofmt":false,"removed_imports":["fmt"],"added_imports":[]}
{"kind":"fix","path":"b/c.go","changed":false,"gofmt":false,"removed_imports":[],"added_imports":[],"error":"does not parse, left untouched: b/c.go:3:1: expected declaration"}
{"kind":"fix","path":"d.go","changed":true,"gofmt":true,"removed_imports":[],"added_imports":["math/rand","strings"]}
{"kind":"done"}
"#;

    #[test]
    fn parses_lines_in_order() {
        let files = parse_fix_output(OUT, &["a.go", "b/c.go", "d.go"]).unwrap();
        assert_eq!(files.len(), 3);
        assert_eq!(
            files[0],
            FileFix {
                path: "a.go".into(),
                changed: true,
                gofmt: false,
                removed_imports: vec!["fmt".into()],
                added_imports: vec![],
                error: None,
            }
        );
        assert!(
            files[1]
                .error
                .as_deref()
                .unwrap()
                .contains("expected declaration")
        );
        assert_eq!(files[2].added_imports, vec!["math/rand", "strings"]);
        let report = FixReport {
            files,
            duration_ms: 5,
        };
        assert_eq!(report.changed_paths(), vec!["a.go", "d.go"]);
    }

    #[test]
    fn report_round_trips_through_json() {
        let report = FixReport {
            files: parse_fix_output(OUT, &["a.go", "b/c.go", "d.go"]).unwrap(),
            duration_ms: 7,
        };
        let json = serde_json::to_string(&report).unwrap();
        assert!(!json.contains("\"error\":null"), "{json}");
        assert_eq!(serde_json::from_str::<FixReport>(&json).unwrap(), report);
    }

    #[test]
    fn malformed_line_is_named() {
        let out = "{\"kind\":\"fix\",\"path\":\"a.go\",\"changed\":tru\n{\"kind\":\"done\"}\n";
        let err = parse_fix_output(out, &["a.go"]).unwrap_err();
        assert!(
            matches!(&err, FixParseError::Malformed { line: 1, text, .. } if text.contains("\"changed\":tru")),
            "{err:?}"
        );
        assert!(err.to_string().contains("line 1"), "{err}");
        // Valid JSON, wrong shape: a fix line without its fields.
        let err =
            parse_fix_output("{\"kind\":\"fix\"}\n{\"kind\":\"done\"}\n", &["a.go"]).unwrap_err();
        assert!(
            matches!(err, FixParseError::Malformed { line: 1, .. }),
            "{err:?}"
        );
        let err = parse_fix_output("not json\n", &[]).unwrap_err();
        assert!(
            matches!(err, FixParseError::Malformed { line: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn framing_errors() {
        assert_eq!(parse_fix_output("", &[]), Err(FixParseError::NoDone));
        let cut = OUT.lines().take(2).collect::<Vec<_>>().join("\n");
        assert_eq!(
            parse_fix_output(&cut, &["a.go", "b/c.go"]),
            Err(FixParseError::NoDone)
        );
        let err = parse_fix_output("{\"kind\":\"step\"}\n{\"kind\":\"done\"}\n", &[]).unwrap_err();
        assert!(
            matches!(err, FixParseError::UnknownKind { line: 1, .. }),
            "{err:?}"
        );
        let err = parse_fix_output("{\"kind\":\"done\"}\n{\"kind\":\"done\"}\n", &[]).unwrap_err();
        assert!(
            matches!(err, FixParseError::AfterDone { line: 2, .. }),
            "{err:?}"
        );
        let err = parse_fix_output(OUT, &["a.go", "b/c.go"]).unwrap_err();
        assert!(
            matches!(err, FixParseError::Mismatch { index: 2, .. }),
            "{err:?}"
        );
        let err = parse_fix_output(OUT, &["a.go", "x.go", "d.go"]).unwrap_err();
        assert!(
            matches!(err, FixParseError::Mismatch { index: 1, .. }),
            "{err:?}"
        );
        assert_eq!(
            parse_fix_output("\n{\"kind\":\"done\"}\n\n", &[]),
            Ok(vec![])
        );
    }

    #[test]
    fn long_lines_are_quoted_short() {
        let long = format!("{{\"kind\":\"x{}\"}}", "é".repeat(500));
        let err = parse_fix_output(&long, &[]).unwrap_err().to_string();
        assert!(err.len() < 2 * QUOTE_CAP + 200, "{}", err.len());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*", n in 0usize..3) {
            let req = ["a.go", "b.go", "c.go"];
            let _ = parse_fix_output(&s, &req[..n]);
        }

        #[test]
        fn never_panics_on_linelike_input(
            lines in proptest::collection::vec(
                (prop::sample::select(vec!["fix", "done", "step", ""]), prop::option::of("\\PC{0,8}"), any::<bool>()),
                0..8),
        ) {
            let s: String = lines.iter().map(|(k, p, c)| {
                serde_json::json!({"kind": k, "path": p, "changed": c, "gofmt": c}).to_string() + "\n"
            }).collect();
            let _ = parse_fix_output(&s, &["a.go"]);
        }
    }
}
