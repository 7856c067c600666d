//! Where a worktree's Go modules are, and so what verification runs on.
//!
//! - `go.mod` at the root: that module, `./...` (module mode), as always.
//! - `go.work` at the root: workspace mode with the repository's own
//!   go.work; each `use` directory's packages (`./dir/...`; go does not
//!   match `./...` across the modules of a workspace from a directory that is
//!   not itself a module).
//! - neither: the modules below the root (a monorepo's `go/` or `services/*`
//!   directories), found by their go.mod, verified together in a workspace
//!   the verifier writes outside the worktree (GOWORK on its tmpfs), so paths
//!   in diagnostics stay relative to the repository root like everything
//!   else coop shows.
//!
//! Pure apart from reading the directory tree, which is bounded.

use std::path::Path;

use crate::goversion::GoRequirement;

/// The most modules a worktree may hold without a go.work.
pub const MAX_MODULES: usize = 64;
/// Directories deeper than this are not searched for go.mod.
pub const MAX_DEPTH: usize = 6;
/// Directory entries the search reads at most.
const MAX_ENTRIES: usize = 200_000;

/// How the modules of a worktree are laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// A go.mod at the root.
    Root,
    /// The root's go.work and its `use` directories (root-relative, `.`
    /// for the root).
    Workspace { modules: Vec<String> },
    /// No go.mod or go.work at the root: the directories of the go.mod
    /// files below it, verified as one workspace coop writes.
    Modules { modules: Vec<String> },
}

impl Layout {
    /// The module directories (root-relative; `.` for the root).
    pub fn modules(&self) -> Vec<String> {
        match self {
            Layout::Root => vec![".".into()],
            Layout::Workspace { modules } | Layout::Modules { modules } => modules.clone(),
        }
    }

    /// The package patterns vet, build and test get, run from the root.
    pub fn patterns(&self) -> Vec<String> {
        self.modules()
            .iter()
            .map(|m| {
                if m == "." {
                    "./...".to_string()
                } else {
                    format!("./{m}/...")
                }
            })
            .collect()
    }

    /// The go.mod / go.work whose go and toolchain lines pick the toolchain:
    /// go.work's in a workspace; of several modules without one, the one
    /// asking for the newest Go (a workspace's go version must be at least
    /// each module's).
    pub fn requirement(&self, root: &Path) -> Option<GoRequirement> {
        let read = |rel: &str| {
            let text = crate::modules::read_mod_file(&root.join(rel)).ok()??;
            Some(GoRequirement::parse(rel, &text))
        };
        match self {
            Layout::Root => read("go.mod"),
            Layout::Workspace { .. } => read("go.work"),
            Layout::Modules { modules } => modules
                .iter()
                .filter_map(|m| read(&format!("{m}/go.mod")))
                .max_by(|a, b| a.wanted().cmp(&b.wanted())),
        }
    }

    /// How the layout reads in a message.
    pub fn describe(&self) -> String {
        match self {
            Layout::Root => "the module at the root".into(),
            Layout::Workspace { modules } => {
                format!("the go.work workspace of {}", modules.join(", "))
            }
            Layout::Modules { modules } if modules.len() == 1 => {
                format!("the module in {}", modules[0])
            }
            Layout::Modules { modules } => {
                format!("the modules in {} (as one workspace)", modules.join(", "))
            }
        }
    }
}

/// The `use` directories of a go.work text (root-relative, cleaned; `.` for
/// the root). Directories outside the root (`../x`) or absolute are
/// refused: verification mounts only the worktree.
pub fn parse_go_work_uses(text: &str) -> Result<Vec<String>, String> {
    let mut uses = Vec::new();
    let mut in_block = false;
    for raw in text.lines() {
        let line = raw.split("//").next().unwrap_or_default().trim();
        let dir = if in_block {
            if line == ")" {
                in_block = false;
                continue;
            }
            line
        } else if let Some(rest) = line.strip_prefix("use") {
            let rest = rest.trim();
            if rest == "(" {
                in_block = true;
                continue;
            }
            if rest.is_empty() || !line.starts_with("use ") && !line.starts_with("use\t") {
                continue;
            }
            rest
        } else {
            continue;
        };
        if dir.is_empty() {
            continue;
        }
        uses.push(clean_dir(dir.trim_matches('"'))?);
    }
    uses.sort();
    uses.dedup();
    if uses.is_empty() {
        return Err("go.work uses no module".into());
    }
    Ok(uses)
}

/// `./a/b/` -> `a/b`, `.` -> `.`; refuses `..`, absolute paths and
/// characters a package pattern or a Docker path cannot carry.
fn clean_dir(dir: &str) -> Result<String, String> {
    if dir.starts_with('/') {
        return Err(format!(
            "go.work uses {dir}, outside the repository; verification sees only the repository"
        ));
    }
    let mut parts = Vec::new();
    for part in dir.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(format!(
                    "go.work uses {dir}, outside the repository; verification sees only the repository"
                ));
            }
            p if p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.+~@".contains(c)) =>
            {
                parts.push(p)
            }
            _ => return Err(format!("go.work uses {dir:?}: not a plain directory path")),
        }
    }
    Ok(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}

/// Find the layout of the worktree at `root`.
pub fn detect(root: &Path) -> Result<Layout, String> {
    if root.join("go.work").is_file() {
        let text = crate::modules::read_mod_file(&root.join("go.work"))?
            .ok_or_else(|| "go.work is not a regular file".to_string())?;
        let modules = parse_go_work_uses(&text)?;
        for m in &modules {
            if !root.join(m).join("go.mod").is_file() {
                return Err(format!("go.work uses {m}, which has no go.mod"));
            }
        }
        return Ok(Layout::Workspace { modules });
    }
    if root.join("go.mod").is_file() {
        return Ok(Layout::Root);
    }
    let modules = find_modules(root)?;
    if modules.is_empty() {
        return Err(format!(
            "no go.mod at the root or in a directory below it (up to {MAX_DEPTH} levels)"
        ));
    }
    Ok(Layout::Modules { modules })
}

/// The directories below `root` holding a go.mod, skipping what go skips
/// (`vendor`, `testdata`, names starting with `.` or `_`) and not looking
/// inside a module for more (a nested module inside one found is its own
/// business: `./...` of the outer one leaves it out, as go does).
fn find_modules(root: &Path) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    let mut seen = 0usize;
    while let Some((dir, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => return Err(format!("reading {}: {e}", dir.display())),
        };
        for entry in entries {
            let entry = entry.map_err(|e| format!("reading {}: {e}", dir.display()))?;
            seen += 1;
            if seen > MAX_ENTRIES {
                return Err(format!(
                    "more than {MAX_ENTRIES} files and directories while looking for go.mod"
                ));
            }
            // Symlinks are not followed: a link could lead out of the tree
            // or round in circles.
            let Ok(ft) = entry.file_type() else { continue };
            if !ft.is_dir() {
                continue;
            }
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.')
                || name.starts_with('_')
                || name == "vendor"
                || name == "testdata"
                || name == "node_modules"
            {
                continue;
            }
            let path = entry.path();
            if path.join("go.mod").is_file() {
                let rel = path
                    .strip_prefix(root)
                    .ok()
                    .and_then(Path::to_str)
                    .ok_or_else(|| format!("{} is not a UTF-8 path", path.display()))?;
                found.push(clean_dir(rel)?);
                if found.len() > MAX_MODULES {
                    return Err(format!(
                        "more than {MAX_MODULES} Go modules and no go.work at the root; add a go.work naming the ones to verify"
                    ));
                }
            } else if depth + 1 < MAX_DEPTH {
                stack.push((path, depth + 1));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The Go files under `root` that use cgo (`import "C"`), at most `limit`,
/// repository-relative and sorted. Verification builds with
/// `CGO_ENABLED=0` and has no C compiler, so go leaves these files out (or
/// fails on `-race`); a failing report names them so the reason is plain.
/// The walk skips what go skips and stops after a bounded number of
/// entries.
pub fn cgo_files(root: &Path, limit: usize) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES || found.len() >= limit {
                found.sort();
                return found;
            }
            let Ok(ft) = entry.file_type() else { continue };
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if ft.is_dir() {
                if !(name.starts_with('.')
                    || name.starts_with('_')
                    || name == "vendor"
                    || name == "testdata")
                {
                    stack.push(entry.path());
                }
                continue;
            }
            if !ft.is_file() || !name.ends_with(".go") {
                continue;
            }
            // The import of "C" comes right after the package clause and a
            // comment (the preamble); 64 KiB covers any real preamble.
            let path = entry.path();
            let Ok(mut f) = std::fs::File::open(&path) else {
                continue;
            };
            let mut head = Vec::new();
            use std::io::Read;
            if (&mut f).take(64 * 1024).read_to_end(&mut head).is_err() {
                continue;
            }
            if uses_cgo(&String::from_utf8_lossy(&head))
                && let Some(rel) = path.strip_prefix(root).ok().and_then(Path::to_str)
            {
                found.push(rel.to_string());
            }
        }
    }
    found.sort();
    found
}

/// Whether Go source imports "C", alone or in an import block.
fn uses_cgo(src: &str) -> bool {
    let mut in_block = false;
    for line in src.lines() {
        let l = line.trim();
        if in_block {
            if l.starts_with(')') {
                in_block = false;
            } else if l == "\"C\"" || l.ends_with(" \"C\"") {
                return true;
            }
        } else if l == "import \"C\"" {
            return true;
        } else if l == "import (" {
            in_block = true;
        } else if l.starts_with("func ") || l.starts_with("type ") || l.starts_with("var ") {
            // Imports come before any declaration.
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgo_imports_are_found_alone_and_in_blocks_and_nowhere_else() {
        assert!(uses_cgo(
            "package c

// #include <stdio.h>
import \"C\"
"
        ));
        assert!(uses_cgo(
            "package c

import (
	\"fmt\"
	\"C\"
)
"
        ));
        assert!(!uses_cgo(
            "package c

import \"fmt\"

var s = `\nimport \"C\"\n`
"
        ));
        assert!(!uses_cgo(
            "package c

func f() {}

// import \"C\"
"
        ));
        let d = tree(&["go.mod"]);
        std::fs::write(
            d.path().join("c.go"),
            "package c

import \"C\"
",
        )
        .unwrap();
        std::fs::create_dir_all(d.path().join("vendor/v")).unwrap();
        std::fs::write(
            d.path().join("vendor/v/v.go"),
            "package v

import \"C\"
",
        )
        .unwrap();
        std::fs::write(
            d.path().join("plain.go"),
            "package c
",
        )
        .unwrap();
        assert_eq!(cgo_files(d.path(), 10), vec!["c.go"]);
    }

    #[test]
    fn go_work_uses_are_read_in_both_forms_and_kept_inside_the_repository() {
        let uses = parse_go_work_uses(
            "go 1.23\n\nuse ./tools // the tools\nuse (\n\t./a\n\t\"./b/c/\"\n\t.\n)\n",
        )
        .unwrap();
        assert_eq!(uses, vec![".", "a", "b/c", "tools"]);
        for bad in [
            "use ../x\n",
            "use /abs\n",
            "use (\n\t./a b\n)\n",
            "go 1.23\n",
        ] {
            assert!(parse_go_work_uses(bad).is_err(), "{bad}");
        }
        // `user` is not `use`.
        assert!(parse_go_work_uses("user ./x\n").is_err());
    }

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in files {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "module x\n\ngo 1.27\n").unwrap();
        }
        d
    }

    #[test]
    fn layouts_are_found_from_the_files_there_are() {
        let d = tree(&["go.mod", "sub/go.mod"]);
        assert_eq!(detect(d.path()).unwrap(), Layout::Root);
        assert_eq!(Layout::Root.patterns(), vec!["./..."]);

        let d = tree(&["a/go.mod", "b/go.mod", "go.work"]);
        std::fs::write(
            d.path().join("go.work"),
            "go 1.27\n\nuse (\n\t./a\n\t./b\n)\n",
        )
        .unwrap();
        let l = detect(d.path()).unwrap();
        assert_eq!(l.patterns(), vec!["./a/...", "./b/..."]);
        assert!(matches!(l, Layout::Workspace { .. }));

        // One module in a subdirectory; vendor/testdata/hidden ones and
        // modules nested in a found one are not looked at.
        let d = tree(&[
            "go/service/go.mod",
            "go/service/inner/go.mod",
            "vendor/v/go.mod",
            "x/testdata/t/go.mod",
            ".hidden/go.mod",
            "README",
        ]);
        let l = detect(d.path()).unwrap();
        assert_eq!(
            l,
            Layout::Modules {
                modules: vec!["go/service".into()]
            }
        );
        assert_eq!(l.describe(), "the module in go/service");

        let d = tree(&["README"]);
        assert!(detect(d.path()).unwrap_err().contains("no go.mod"));

        // A go.work naming a directory without a go.mod.
        let d = tree(&["a/go.mod", "go.work"]);
        std::fs::write(d.path().join("go.work"), "go 1.27\n\nuse ./b\n").unwrap();
        assert!(
            detect(d.path())
                .unwrap_err()
                .contains("b, which has no go.mod")
        );
    }

    #[test]
    fn the_requirement_is_the_newest_of_several_modules() {
        let d = tree(&["a/go.mod", "b/go.mod"]);
        std::fs::write(d.path().join("b/go.mod"), "module b\n\ngo 1.23\n").unwrap();
        std::fs::write(d.path().join("a/go.mod"), "module a\n\ngo 1.21\n").unwrap();
        let l = detect(d.path()).unwrap();
        let r = l.requirement(d.path()).unwrap();
        assert_eq!(r.describe(), "b/go.mod: go 1.23");
    }
}
