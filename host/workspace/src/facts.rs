//! Repository facts for the router: Go module, packages and files.

use crate::error::WorkspaceError;
use crate::worktree::Worktree;
use coop_core::{FileFact, RepoFacts};
use std::collections::BTreeSet;
use std::fs;
use std::io::Read;

/// How much of a Go file is read to find its package clause; the clause comes
/// after at most a license header and build tags.
const PACKAGE_SCAN_BYTES: u64 = 64 * 1024;

/// Gathers [`RepoFacts`] from the files [`Worktree::list_files`] reports.
///
/// Packages are directories holding `.go` files, named by import path
/// (module path of the nearest enclosing `go.mod` plus the directory).
/// Like the go tool, directories named `testdata` or starting with `.` or
/// `_`, and `vendor/` trees, are not packages. Without a `go.mod` the
/// module path is empty and packages are plain directory paths.
pub fn repo_facts(worktree: &Worktree) -> Result<RepoFacts, WorkspaceError> {
    let paths = worktree.list_files()?;
    facts_from(
        paths,
        |p| worktree.resolve(p),
        |p, max| worktree.read_file(p, max),
    )
}

/// [`repo_facts`] for a plain checkout (no coop worktree), e.g. for
/// `coop route --repo`: lists files with git, reads them confined to `dir`.
pub fn repo_facts_at(dir: &std::path::Path) -> Result<RepoFacts, WorkspaceError> {
    let repo = crate::worktree::Repo::open(dir)?;
    let root = repo.root().to_path_buf();
    let paths = crate::worktree::list_files_in(&root)?;
    facts_from(
        paths,
        |p| Ok(crate::confine::resolve_confined(&root, p)?),
        |p, max| {
            let abs = crate::confine::resolve_confined(&root, p)?;
            crate::worktree::read_regular(&abs, p, max)
        },
    )
}

fn facts_from(
    paths: Vec<String>,
    resolve: impl Fn(&str) -> Result<std::path::PathBuf, WorkspaceError>,
    read: impl Fn(&str, u64) -> Result<String, WorkspaceError>,
) -> Result<RepoFacts, WorkspaceError> {
    // Every module root (directory of a go.mod) with its module path.
    let mut modules: Vec<(String, String)> = Vec::new();
    for p in paths
        .iter()
        .filter(|p| *p == "go.mod" || p.ends_with("/go.mod"))
    {
        let text = read(p, 1024 * 1024)?;
        if let Some(module) = parse_module_path(&text) {
            let dir = p
                .strip_suffix("go.mod")
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string();
            modules.push((dir, module));
        }
    }
    // Longest directory first, so the nearest go.mod wins.
    modules.sort_by_key(|(dir, _)| std::cmp::Reverse(dir.len()));
    let module_path = modules
        .iter()
        .find(|(dir, _)| dir.is_empty())
        .map(|(_, m)| m.clone())
        .unwrap_or_default();

    let mut files = Vec::with_capacity(paths.len());
    let mut packages = BTreeSet::new();
    for p in &paths {
        let abs = resolve(p)?;
        let bytes = abs
            .symlink_metadata()
            .map_err(|e| WorkspaceError::io(&abs, e))?
            .len();
        let is_go = p.ends_with(".go");
        let package = if is_go {
            read_package_clause(&abs).unwrap_or_default()
        } else {
            String::new()
        };
        let is_test = p.ends_with("_test.go");
        if is_go {
            let dir = p.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            if is_package_dir(dir) {
                packages.insert(import_path(dir, &modules));
            }
        }
        files.push(FileFact {
            path: p.clone(),
            bytes,
            package,
            is_test,
        });
    }
    let has_tests = files.iter().any(|f| f.is_test);
    Ok(RepoFacts {
        module_path,
        packages: packages.into_iter().collect(),
        files,
        has_tests,
    })
}

fn is_package_dir(dir: &str) -> bool {
    dir.is_empty()
        || dir
            .split('/')
            .all(|c| c != "testdata" && c != "vendor" && !c.starts_with('.') && !c.starts_with('_'))
}

fn import_path(dir: &str, modules: &[(String, String)]) -> String {
    for (mod_dir, module) in modules {
        if mod_dir.is_empty() {
            return if dir.is_empty() {
                module.clone()
            } else {
                format!("{module}/{dir}")
            };
        }
        if dir == mod_dir {
            return module.clone();
        }
        if let Some(rest) = dir
            .strip_prefix(mod_dir.as_str())
            .and_then(|r| r.strip_prefix('/'))
        {
            return format!("{module}/{rest}");
        }
    }
    if dir.is_empty() {
        ".".to_string()
    } else {
        dir.to_string()
    }
}

fn read_package_clause(path: &std::path::Path) -> Option<String> {
    let mut buf = Vec::new();
    fs::File::open(path)
        .ok()?
        .take(PACKAGE_SCAN_BYTES)
        .read_to_end(&mut buf)
        .ok()?;
    parse_package_clause(&String::from_utf8_lossy(&buf))
}

/// The module path declared in a `go.mod` file.
pub fn parse_module_path(go_mod: &str) -> Option<String> {
    for line in go_mod.lines() {
        let line = line.split("//").next().unwrap_or_default().trim();
        let mut words = line.split_whitespace();
        if words.next() == Some("module") {
            let module = words
                .next()
                .unwrap_or_default()
                .trim_matches(|c| c == '"' || c == '`');
            if !module.is_empty() {
                return Some(module.to_string());
            }
        }
    }
    None
}

/// The package name of Go source text: the first `package x` clause outside
/// comments.
pub fn parse_package_clause(src: &str) -> Option<String> {
    let mut in_block = false;
    for raw in src.lines() {
        let mut line = raw;
        // Strip block comments, which may open and close on one line.
        let mut code = String::new();
        loop {
            if in_block {
                match line.find("*/") {
                    Some(i) => {
                        in_block = false;
                        line = &line[i + 2..];
                    }
                    None => break,
                }
            } else {
                match line.find("/*") {
                    Some(i) => {
                        code.push_str(&line[..i]);
                        code.push(' ');
                        in_block = true;
                        line = &line[i + 2..];
                    }
                    None => {
                        code.push_str(line);
                        break;
                    }
                }
            }
        }
        let code = code.split("//").next().unwrap_or_default().trim();
        if code.is_empty() {
            continue;
        }
        let mut words = code.split_whitespace();
        if words.next() == Some("package") {
            let name = words.next()?.trim_end_matches(';');
            return Some(name.to_string());
        }
        // Any other token before the clause means this is not valid Go.
        return None;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_path() {
        assert_eq!(
            parse_module_path("// x\nmodule example.com/foo // c\n\ngo 1.22\n").as_deref(),
            Some("example.com/foo")
        );
        assert_eq!(
            parse_module_path("module \"example.com/q\"\n").as_deref(),
            Some("example.com/q")
        );
        assert_eq!(parse_module_path("modulex foo\n"), None);
        assert_eq!(parse_module_path("go 1.22\n"), None);
    }

    #[test]
    fn package_clause() {
        let src = "// Copyright\n/* block\n package nope */\n//go:build linux\n\npackage server // x\n\nimport \"fmt\"\n";
        assert_eq!(parse_package_clause(src).as_deref(), Some("server"));
        assert_eq!(
            parse_package_clause("/* a */ package main\n").as_deref(),
            Some("main")
        );
        assert_eq!(parse_package_clause("func main() {}\n"), None);
    }

    #[test]
    fn import_paths() {
        let modules = vec![
            ("sub".to_string(), "ex.com/sub".to_string()),
            (String::new(), "ex.com/m".to_string()),
        ];
        assert_eq!(import_path("", &modules), "ex.com/m");
        assert_eq!(import_path("a/b", &modules), "ex.com/m/a/b");
        assert_eq!(import_path("sub", &modules), "ex.com/sub");
        assert_eq!(import_path("sub/x", &modules), "ex.com/sub/x");
        assert_eq!(import_path("subway", &modules), "ex.com/m/subway");
        assert!(!is_package_dir("a/testdata"));
        assert!(!is_package_dir("_tools"));
        assert!(is_package_dir("internal/x"));
    }
}
