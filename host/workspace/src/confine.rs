//! Path confinement: the one function that turns a model-supplied relative
//! path into a filesystem path, or refuses.

use std::io;
use std::path::{Path, PathBuf};

/// Why a relative path was refused.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("empty path")]
    Empty,
    #[error("{0:?}: path contains a NUL byte")]
    NulByte(String),
    #[error("{0:?}: backslashes are not allowed, use '/'")]
    Backslash(String),
    #[error("{0:?}: drive prefixes are not allowed")]
    DrivePrefix(String),
    #[error("{0:?}: absolute paths are not allowed")]
    Absolute(String),
    #[error("{0:?}: '..' components are not allowed")]
    ParentComponent(String),
    #[error("{0:?}: paths inside .git are not allowed")]
    GitDir(String),
    #[error("{path:?}: {component:?} is a symbolic link")]
    Symlink { path: String, component: String },
    #[error("{0:?}: resolves outside the workspace root")]
    OutsideRoot(String),
    #[error("workspace root {path}: {source}")]
    Root {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path:?}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// Resolves `rel` (a '/'-separated path relative to `root`) to a path inside
/// `root`, or refuses it.
///
/// Refused: empty paths (or paths naming the root itself), NUL bytes,
/// backslashes, drive prefixes (`C:`), absolute paths, `..` components, any
/// component that names `.git` in any case or disguise, and any *existing*
/// component that is a symbolic link — even one pointing inside the tree, so
/// no read or write ever goes through a link. `.` components and repeated
/// slashes are ignored.
///
/// Components that do not exist yet are accepted (a write may create them).
/// The check is made at call time; it relies on nothing else creating
/// symlinks in the worktree between the check and the use, which holds
/// because edits only ever create regular files and directories.
pub fn resolve_confined(root: &Path, rel: &str) -> Result<PathBuf, PathError> {
    let components = lexical_components(rel)?;
    let root = root.canonicalize().map_err(|source| PathError::Root {
        path: root.to_path_buf(),
        source,
    })?;

    let mut path = root.clone();
    let mut exists = true;
    for component in &components {
        path.push(component);
        if !exists {
            continue;
        }
        match path.symlink_metadata() {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(PathError::Symlink {
                    path: rel.to_string(),
                    component: (*component).to_string(),
                });
            }
            Ok(_) => {}
            // Nothing below a missing component can exist, so none of it can
            // be a link.
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    || e.kind() == io::ErrorKind::NotADirectory =>
            {
                exists = false;
            }
            Err(source) => {
                return Err(PathError::Io {
                    path: rel.to_string(),
                    source,
                });
            }
        }
    }
    // Belt and braces: the construction above cannot leave the root, but the
    // invariant is cheap to check and is what callers rely on.
    if !path.starts_with(&root) || path == root {
        return Err(PathError::OutsideRoot(rel.to_string()));
    }
    Ok(path)
}

/// The purely lexical part of [`resolve_confined`]: validates `rel` and
/// returns its normal components.
fn lexical_components(rel: &str) -> Result<Vec<&str>, PathError> {
    if rel.is_empty() {
        return Err(PathError::Empty);
    }
    if rel.contains('\0') {
        return Err(PathError::NulByte(rel.to_string()));
    }
    if rel.contains('\\') {
        return Err(PathError::Backslash(rel.to_string()));
    }
    let bytes = rel.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(PathError::DrivePrefix(rel.to_string()));
    }
    if rel.starts_with('/') {
        return Err(PathError::Absolute(rel.to_string()));
    }
    let mut components = Vec::new();
    for component in rel.split('/') {
        match component {
            "" | "." => continue,
            ".." => return Err(PathError::ParentComponent(rel.to_string())),
            c if is_git_name(c) => return Err(PathError::GitDir(rel.to_string())),
            c => components.push(c),
        }
    }
    if components.is_empty() {
        return Err(PathError::Empty);
    }
    Ok(components)
}

/// True if a file system could treat `component` as `.git`: any case, with
/// trailing dots/spaces (Windows), with Unicode ignorables (HFS+), or the
/// 8.3 short name `GIT~1`. Mirrors the checks git itself does with
/// core.protectNTFS/protectHFS.
fn is_git_name(component: &str) -> bool {
    let cleaned: String = component
        .chars()
        .filter(|c| !is_ignorable(*c))
        .collect::<String>()
        .trim_end_matches(['.', ' '])
        .to_ascii_lowercase();
    // NTFS alternate data streams: `.git::$INDEX_ALLOCATION`.
    let base = cleaned.split(':').next().unwrap_or_default();
    base == ".git" || base == "git~1"
}

/// Code points HFS+ ignores when comparing names.
fn is_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{206A}'..='\u{206F}' | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_names() {
        for name in [
            ".git",
            ".GIT",
            ".Git",
            ".git.",
            ".git ",
            ".g\u{200C}it",
            "GIT~1",
            ".git::$INDEX_ALLOCATION",
        ] {
            assert!(is_git_name(name), "{name:?}");
        }
        for name in ["git", ".github", ".gitignore", ".gitmodules", "x.git"] {
            assert!(!is_git_name(name), "{name:?}");
        }
    }

    #[test]
    fn lexical() {
        assert_eq!(
            lexical_components("a//b/./c").ok(),
            Some(vec!["a", "b", "c"])
        );
        assert!(matches!(lexical_components("./"), Err(PathError::Empty)));
        assert!(matches!(
            lexical_components("c:/x"),
            Err(PathError::DrivePrefix(_))
        ));
        assert!(matches!(
            lexical_components("a\\b"),
            Err(PathError::Backslash(_))
        ));
    }
}
