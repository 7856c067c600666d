//! The one spelling of a repository path that every check sees.
//!
//! A plugin's path reaches several checks: the edit and read grants (globs),
//! the secret-file rule, the risky-action classifier, the confirmation
//! prompt, confinement. Each used to look at the string as the plugin wrote
//! it, and only confinement normalised it, so `.env/`, `go.mod/` or
//! `./.github/workflows/x.yml` reached the file a check was meant to catch
//! under a spelling the check did not know. The host now turns every path a
//! plugin hands it into its canonical form here, once, where the path
//! enters, and refuses what has none.

/// Why a path has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathRefusal {
    #[error("empty path")]
    Empty,
    #[error("{0:?}: absolute paths are not allowed")]
    Absolute(String),
    #[error("{0:?}: backslashes are not allowed, use '/'")]
    Backslash(String),
    #[error("{0:?}: drive prefixes are not allowed")]
    DrivePrefix(String),
    #[error("{0:?}: '..' components are not allowed")]
    Parent(String),
    #[error(
        "{0:?}: control characters and invisible formatting characters are not allowed in paths"
    )]
    Control(String),
    #[error("path is {0} bytes long; at most 4096 are allowed")]
    TooLong(usize),
}

/// Characters a path may not hold: C0 and C1 controls (newlines, escape
/// sequences that could redraw a terminal prompt) and the invisible
/// formatting characters that make one name look like another (zero-width
/// spaces and joiners, bidirectional overrides and isolates, the BOM).
fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}'
        )
}

/// The canonical form of a relative, `/`-separated repository path: no
/// empty or `.` components, no leading `./`, no trailing `/`. Refused:
/// empty paths (or ones naming the root), absolute paths, backslashes,
/// drive prefixes, `..` components, control and invisible formatting
/// characters, and paths over 4096 bytes.
///
/// Letter case is kept: the checks that guard a name a case-folding file
/// system would also open under other cases (`GO.MOD`, `.GITHUB/`) compare
/// without case themselves.
pub fn canonical_path(raw: &str) -> Result<String, PathRefusal> {
    if raw.len() > 4096 {
        return Err(PathRefusal::TooLong(raw.len()));
    }
    if raw.chars().any(forbidden) {
        return Err(PathRefusal::Control(raw.escape_debug().to_string()));
    }
    if raw.contains('\\') {
        return Err(PathRefusal::Backslash(raw.to_string()));
    }
    if raw.starts_with('/') {
        return Err(PathRefusal::Absolute(raw.to_string()));
    }
    let b = raw.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err(PathRefusal::DrivePrefix(raw.to_string()));
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err(PathRefusal::Parent(raw.to_string())),
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err(PathRefusal::Empty);
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spellings_of_one_path_become_one() {
        for raw in [".env", ".env/", "./.env", ".//.env", "./.env/."] {
            assert_eq!(canonical_path(raw).as_deref(), Ok(".env"), "{raw:?}");
        }
        for raw in ["./.github/workflows/x.yml", ".github//workflows/./x.yml/"] {
            assert_eq!(
                canonical_path(raw).as_deref(),
                Ok(".github/workflows/x.yml"),
                "{raw:?}"
            );
        }
        assert_eq!(canonical_path("go.mod/").as_deref(), Ok("go.mod"));
        assert_eq!(
            canonical_path("GO.MOD").as_deref(),
            Ok("GO.MOD"),
            "case is kept"
        );
    }

    #[test]
    fn paths_without_a_canonical_form_are_refused() {
        assert_eq!(canonical_path(""), Err(PathRefusal::Empty));
        assert_eq!(canonical_path("./"), Err(PathRefusal::Empty));
        assert!(matches!(
            canonical_path("/etc/passwd"),
            Err(PathRefusal::Absolute(_))
        ));
        assert!(matches!(
            canonical_path("a/../../b"),
            Err(PathRefusal::Parent(_))
        ));
        assert!(matches!(
            canonical_path("a\\b"),
            Err(PathRefusal::Backslash(_))
        ));
        assert!(matches!(
            canonical_path("C:/x"),
            Err(PathRefusal::DrivePrefix(_))
        ));
        for raw in [
            "a\nb.go",
            "a\u{1b}[2Kb.go",
            "x\u{7f}",
            "a\u{202E}og.txt",
            "a\u{200B}.go",
            "\u{85}x",
            "a\0b",
        ] {
            assert!(
                matches!(canonical_path(raw), Err(PathRefusal::Control(_))),
                "{raw:?}"
            );
        }
        // The message shows the path escaped, never raw.
        let m = canonical_path("a\u{1b}[31mred").unwrap_err().to_string();
        assert!(!m.contains('\u{1b}') && m.contains("\\u{1b}"), "{m}");
        assert!(matches!(
            canonical_path(&"a/".repeat(3000)),
            Err(PathRefusal::TooLong(_))
        ));
    }

    proptest! {
        #[test]
        fn canonical_is_a_fixed_point_and_never_holds_what_checks_trip_on(raw in "[a-z./\\\\\n:]{0,24}") {
            if let Ok(c) = canonical_path(&raw) {
                prop_assert_eq!(canonical_path(&c), Ok(c.clone()));
                prop_assert!(!c.starts_with('/') && !c.ends_with('/') && !c.contains("//"));
                prop_assert!(c.split('/').all(|p| p != "." && p != ".." && !p.is_empty()));
                prop_assert!(!c.contains('\n') && !c.contains('\\'));
            }
        }
    }
}
