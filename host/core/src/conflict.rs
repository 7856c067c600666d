//! The strategy document's conflict-resolution table, as data.
//!
//! | situation                  | primary tiebreaker | secondary |
//! |----------------------------|--------------------|-----------|
//! | safety or security concern | Reviewer           | Architect |
//! | architectural disagreement | Architect          | Reviewer  |
//! | implementation detail      | Implementer        | Reviewer  |
//! | style or formatting        | project standards  | Reviewer  |
//! | unclear requirements       | Navigator          | User      |
//!
//! The workflow consults it when a disagreement persists: the reviewer
//! raises the same blocking findings again after the implementer's revision.

use crate::types::{Finding, Role};
use serde::{Deserialize, Serialize};

/// The kind of a persisting disagreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictKind {
    /// Lowest precedence first.
    ImplementationDetail,
    Style,
    UnclearRequirements,
    Architecture,
    Safety,
}

/// Who settles a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "by", content = "role")]
pub enum Tiebreaker {
    Role(Role),
    /// gofmt and go vet, i.e. the verification result.
    ProjectStandards,
    User,
}

/// The table: (primary, secondary) per kind.
pub fn tiebreakers(kind: ConflictKind) -> (Tiebreaker, Tiebreaker) {
    match kind {
        ConflictKind::Safety => (
            Tiebreaker::Role(Role::Reviewer),
            Tiebreaker::Role(Role::Architect),
        ),
        ConflictKind::Architecture => (
            Tiebreaker::Role(Role::Architect),
            Tiebreaker::Role(Role::Reviewer),
        ),
        ConflictKind::ImplementationDetail => (
            Tiebreaker::Role(Role::Implementer),
            Tiebreaker::Role(Role::Reviewer),
        ),
        ConflictKind::Style => (
            Tiebreaker::ProjectStandards,
            Tiebreaker::Role(Role::Reviewer),
        ),
        ConflictKind::UnclearRequirements => (Tiebreaker::Role(Role::Navigator), Tiebreaker::User),
    }
}

const SAFETY: &[&str] = &[
    "security",
    "secure",
    "insecure",
    "unsafe",
    "injection",
    "secret",
    "secrets",
    "password",
    "credential",
    "token",
    "auth",
    "authentication",
    "authorization",
    "crypto",
    "tls",
    "overflow",
    "traversal",
    "sanitize",
    "validate",
    "validation",
    "untrusted",
    "race",
    "data",
    "leak",
    "panic",
    "vulnerability",
    "xss",
    "csrf",
];
const ARCHITECTURE: &[&str] = &[
    "design",
    "architecture",
    "interface",
    "abstraction",
    "layering",
    "dependency",
    "coupling",
    "api",
    "package",
    "structure",
    "responsibility",
    "exported",
    "signature",
];
const STYLE: &[&str] = &[
    "style",
    "format",
    "formatting",
    "gofmt",
    "naming",
    "name",
    "comment",
    "comments",
    "indentation",
    "lint",
    "golint",
    "idiomatic",
    "readability",
    "typo",
    "spelling",
];
const UNCLEAR: &[&str] = &[
    "unclear",
    "ambiguous",
    "requirement",
    "requirements",
    "clarify",
    "contradictory",
    "unspecified",
];

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// Classify one finding by what its message is about.
pub fn classify(f: &Finding) -> ConflictKind {
    let text = format!("{} {}", f.message, f.suggestion.as_deref().unwrap_or(""));
    let ws = words(&text);
    let any = |set: &[&str]| ws.iter().any(|w| set.contains(&w.as_str()));
    if any(SAFETY) {
        ConflictKind::Safety
    } else if any(UNCLEAR) {
        ConflictKind::UnclearRequirements
    } else if any(ARCHITECTURE) {
        ConflictKind::Architecture
    } else if any(STYLE) {
        ConflictKind::Style
    } else {
        ConflictKind::ImplementationDetail
    }
}

/// The kind of a set of findings: the one with the highest precedence.
pub fn classify_all(findings: &[Finding]) -> ConflictKind {
    findings
        .iter()
        .map(classify)
        .max()
        .unwrap_or(ConflictKind::ImplementationDetail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Severity;

    fn f(msg: &str) -> Finding {
        Finding {
            severity: Severity::Blocking,
            file: None,
            line: None,
            message: msg.into(),
            suggestion: None,
        }
    }

    #[test]
    fn table_matches_the_strategy_document() {
        assert_eq!(
            tiebreakers(ConflictKind::Safety),
            (
                Tiebreaker::Role(Role::Reviewer),
                Tiebreaker::Role(Role::Architect)
            )
        );
        assert_eq!(
            tiebreakers(ConflictKind::Architecture),
            (
                Tiebreaker::Role(Role::Architect),
                Tiebreaker::Role(Role::Reviewer)
            )
        );
        assert_eq!(
            tiebreakers(ConflictKind::ImplementationDetail),
            (
                Tiebreaker::Role(Role::Implementer),
                Tiebreaker::Role(Role::Reviewer)
            )
        );
        assert_eq!(
            tiebreakers(ConflictKind::Style),
            (
                Tiebreaker::ProjectStandards,
                Tiebreaker::Role(Role::Reviewer)
            )
        );
        assert_eq!(
            tiebreakers(ConflictKind::UnclearRequirements),
            (Tiebreaker::Role(Role::Navigator), Tiebreaker::User)
        );
    }

    #[test]
    fn classification_and_precedence() {
        assert_eq!(
            classify(&f("The password is compared with ==, not in constant time")),
            ConflictKind::Safety
        );
        assert_eq!(
            classify(&f(
                "This should be an interface in package store, not a concrete type"
            )),
            ConflictKind::Architecture
        );
        assert_eq!(
            classify(&f("Variable name r is not idiomatic")),
            ConflictKind::Style
        );
        assert_eq!(
            classify(&f("The requirement is ambiguous about empty input")),
            ConflictKind::UnclearRequirements
        );
        assert_eq!(
            classify(&f("Use a strings.Builder instead of += in the loop")),
            ConflictKind::ImplementationDetail
        );
        assert_eq!(
            classify_all(&[
                f("Use a strings.Builder"),
                f("possible injection via the query")
            ]),
            ConflictKind::Safety
        );
        assert_eq!(classify_all(&[]), ConflictKind::ImplementationDetail);
    }
}
