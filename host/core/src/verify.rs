//! Results of Go verification (gofmt, go vet, go build, go test -json) as the
//! sandbox reports them.

use serde::{Deserialize, Serialize};

/// One verification step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerifyStep {
    Gofmt,
    Vet,
    Build,
    Test,
}

impl VerifyStep {
    pub const ALL: [VerifyStep; 4] = [
        VerifyStep::Gofmt,
        VerifyStep::Vet,
        VerifyStep::Build,
        VerifyStep::Test,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyStep::Gofmt => "gofmt",
            VerifyStep::Vet => "vet",
            VerifyStep::Build => "build",
            VerifyStep::Test => "test",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Passed,
    Failed,
    TimedOut,
    /// Not run because an earlier step it depends on failed.
    Skipped,
}

/// Outcome of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResult {
    pub step: VerifyStep,
    pub status: StepStatus,
    pub exit_code: Option<i64>,
    pub duration_ms: u64,
    /// Combined output, capped; `truncated` says whether the cap was hit.
    pub output: String,
    pub truncated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestStatus {
    Pass,
    Fail,
    Skip,
}

/// One test (or subtest) from `go test -json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    pub name: String,
    pub status: TestStatus,
    pub elapsed_s: f64,
    /// Output lines of the test (capped), useful mainly for failures.
    pub output: String,
}

/// One package from `go test -json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageResult {
    pub package: String,
    pub status: TestStatus,
    pub elapsed_s: f64,
    pub tests: Vec<TestResult>,
    /// Package-level output (build failures show up here).
    pub output: String,
}

/// A compiler or vet diagnostic with a location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub step: VerifyStep,
    pub file: String,
    pub line: u32,
    pub column: Option<u32>,
    pub message: String,
}

/// The whole verification report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationReport {
    pub passed: bool,
    pub steps: Vec<StepResult>,
    pub packages: Vec<PackageResult>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files `gofmt -l` listed.
    pub unformatted: Vec<String>,
    pub image: String,
    pub duration_ms: u64,
    /// Declarations the request asks for by signature that the module
    /// still lacks after the change (see [`crate::requested`]); any entry
    /// fails the verification.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<crate::requested::RequestedDecl>,
    /// Whether the change's own tests show what it changes (see
    /// [`crate::evidence`]); set only for the task types that need it and
    /// only on an otherwise passing report. Anything but `Shown` fails it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<crate::evidence::TestEvidence>,
    /// Secret files of the worktree ([`crate::secrets::is_secret_file`])
    /// that verification saw as empty files, so code under test could not
    /// print them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub masked: Vec<String>,
    /// The report judged against the same verification of the base commit
    /// (see [`crate::baseline`]): set when the base already fails in some
    /// way, so failures already there are not charged to the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<crate::baseline::BaseComparison>,
    /// The Go toolchain the steps ran with, and how it was chosen from the
    /// module's go.mod / go.work (sandbox `goversion`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toolchain: Option<GoToolchain>,
    /// Go files of a failing module that use cgo (`import "C"`), which
    /// verification leaves out: it builds with `CGO_ENABLED=0` and has no C
    /// compiler.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cgo: Vec<String>,
    /// The project's own checks (`[verify] commands`), after the tests, in
    /// their configured order; any not passing fails the report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckResult>,
}

/// One project check of a verification: a command the team runs, its exit
/// status and output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: String,
    /// `Skipped` when the code did not build.
    pub status: StepStatus,
    pub exit_code: Option<i64>,
    pub duration_ms: u64,
    /// stderr then stdout, capped.
    pub output: String,
    pub truncated: bool,
}

/// The Go toolchain of one verification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoToolchain {
    /// What the verifier reported running (`go1.23.9`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What the module asks for (`go.mod: go 1.23`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// Why the toolchain is not the one the module asks for, when it is not
    /// (no go line, a go line older than Go 1.21, matching turned off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl VerificationReport {
    /// Record the requested declarations the changed module lacks; any
    /// fails the report.
    pub fn set_missing(&mut self, missing: Vec<crate::requested::RequestedDecl>) {
        if !missing.is_empty() {
            self.passed = false;
        }
        self.missing = missing;
    }

    /// Judge this report against `base`, the same verification of the
    /// base commit. Failures the base already has are not the change's: if
    /// they are all this report has (and no requested declaration is
    /// missing), the report passes. Base failures the change no longer has
    /// are credited. Nothing changes when the base is clean or when either
    /// report holds a failure that cannot be compared (a timeout, tests
    /// that did not run).
    pub fn judge_against_base(&mut self, base: &VerificationReport) {
        let Some(c) = crate::baseline::compare(base, self) else {
            return;
        };
        if c.preexisting.is_empty() && c.fixed.is_empty() {
            return;
        }
        if !self.passed && c.new.is_empty() && self.missing.is_empty() && self.evidence.is_none() {
            self.passed = true;
        }
        self.base = Some(c);
    }

    /// Record the judgement on the change's tests; missing evidence fails
    /// the report.
    pub fn set_evidence(&mut self, evidence: crate::evidence::TestEvidence) {
        if !evidence.is_shown() {
            self.passed = false;
        }
        self.evidence = Some(evidence);
    }

    /// A compact text form for a model prompt: failures first, bounded.
    pub fn summary_for_model(&self, max_chars: usize) -> String {
        self.summary_for_model_with(max_chars, &|_, _| None)
    }

    /// [`Self::summary_for_model`] with the offending source lines: `source`
    /// returns line `n` (1-based) of a file named in a diagnostic or in a
    /// failing test's output (`x_test.go:12: got 1, want 2`), and that line
    /// is shown under it, so a model sees what the compiler or test saw
    /// without being handed the whole file. The same diagnostic reported by
    /// both vet and build is listed once.
    pub fn summary_for_model_with(
        &self,
        max_chars: usize,
        source: &dyn Fn(&str, u32) -> Option<String>,
    ) -> String {
        let quote = |out: &mut String, file: &str, line: u32| {
            if let Some(text) = source(file, line) {
                let t = text.trim_end();
                if !t.trim().is_empty() {
                    out.push_str(&format!(
                        "    {line} | {}\n",
                        truncate_chars(t, 200).trim_end()
                    ));
                }
            }
        };
        let mut out = String::new();
        out.push_str(if self.passed {
            "Verification PASSED.\n"
        } else {
            "Verification FAILED.\n"
        });
        for s in &self.steps {
            out.push_str(&format!("- {}: {:?}\n", s.step.as_str(), s.status));
        }
        if let Some(b) = &self.base {
            let list = |v: &[crate::baseline::Failure]| {
                v.iter()
                    .map(|f| f.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            if !b.preexisting.is_empty() {
                out.push_str(&format!(
                    "Already failing on the base commit, not counted against this change: {}\n",
                    list(&b.preexisting)
                ));
            }
            if !b.fixed.is_empty() {
                out.push_str(&format!(
                    "Failing on the base commit and fixed by this change: {}\n",
                    list(&b.fixed)
                ));
            }
        }
        for m in &self.missing {
            out.push_str(&format!(
                "The task asks for `{}`, but no Go file of the module declares or uses `{}`: add it.\n",
                m.written, m.name
            ));
        }
        if let Some(msg) = self.evidence.as_ref().and_then(|e| e.message()) {
            out.push_str(&msg);
            out.push('\n');
        }
        if !self.masked.is_empty() && !self.passed {
            out.push_str(&format!(
                "These secret files were empty during verification (their content is never shown to tests or models): {}\n",
                self.masked.join(", ")
            ));
        }
        if !self.cgo.is_empty() && !self.passed {
            out.push_str(&format!(
                "These files use cgo (import \"C\"), which verification does not build (CGO_ENABLED=0, no C compiler): {}\n",
                self.cgo.join(", ")
            ));
        }
        if !self.unformatted.is_empty() {
            out.push_str(&format!(
                "gofmt would reformat: {}\n",
                self.unformatted.join(", ")
            ));
        }
        for c in self
            .checks
            .iter()
            .filter(|c| c.status != StepStatus::Passed)
        {
            let how = match (c.status, c.exit_code) {
                (StepStatus::Skipped, _) => "did not run (the code does not build)".to_string(),
                (StepStatus::TimedOut, _) => "timed out".to_string(),
                (_, Some(code)) => format!("failed (exit {code})"),
                _ => "failed".to_string(),
            };
            out.push_str(&format!("check {} {how}\n", c.name));
            if c.status != StepStatus::Skipped && !c.output.trim().is_empty() {
                out.push_str(c.output.trim_end());
                out.push('\n');
            }
        }
        let mut seen: Vec<(&str, u32, &str)> = Vec::new();
        for d in &self.diagnostics {
            if seen.contains(&(d.file.as_str(), d.line, d.message.as_str())) {
                continue;
            }
            seen.push((d.file.as_str(), d.line, d.message.as_str()));
            let col = d.column.map(|c| format!(":{c}")).unwrap_or_default();
            out.push_str(&format!(
                "{} {}:{}{}: {}\n",
                d.step.as_str(),
                d.file,
                d.line,
                col,
                d.message
            ));
            quote(&mut out, &d.file, d.line);
        }
        for p in &self.packages {
            for t in p.tests.iter().filter(|t| t.status == TestStatus::Fail) {
                out.push_str(&format!("FAIL {} {}\n", p.package, t.name));
                let mut quoted: Vec<(String, u32)> = Vec::new();
                for l in t.output.trim_end().lines() {
                    out.push_str(l);
                    out.push('\n');
                    if let Some((file, n)) = go_file_ref(l)
                        && !quoted.contains(&(file.to_string(), n))
                    {
                        quote(&mut out, file, n);
                        quoted.push((file.to_string(), n));
                    }
                }
            }
            if p.status == TestStatus::Fail && p.tests.iter().all(|t| t.status != TestStatus::Fail)
            {
                out.push_str(&format!("FAIL {}\n{}\n", p.package, p.output.trim_end()));
            }
        }
        for s in &self.steps {
            if (s.status == StepStatus::Failed || s.status == StepStatus::TimedOut)
                && s.step != VerifyStep::Test
                && self.diagnostics.iter().all(|d| d.step != s.step)
            {
                out.push_str(&format!(
                    "{} output:\n{}\n",
                    s.step.as_str(),
                    s.output.trim_end()
                ));
            }
        }
        truncate_chars(&mask_durations(&out), max_chars)
    }
}

/// The first `file.go:N` a line of test output names (as `t.Errorf`
/// prefixes its messages).
pub fn go_file_ref(line: &str) -> Option<(&str, u32)> {
    let t = line.trim_start();
    let end = t.find(".go:")? + 3;
    let file = &t[..end];
    if file.is_empty() || file.contains(char::is_whitespace) {
        return None;
    }
    let rest = &t[end + 1..];
    let digits: &str = &rest[..rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len())];
    let n: u32 = digits.parse().ok()?;
    (n > 0).then_some((file, n))
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    fn report() -> VerificationReport {
        let d = |step, msg: &str| Diagnostic {
            step,
            file: "a/b.go".into(),
            line: 3,
            column: Some(2),
            message: msg.into(),
        };
        VerificationReport {
            passed: false,
            steps: vec![],
            packages: vec![PackageResult {
                package: "m/a".into(),
                status: TestStatus::Fail,
                elapsed_s: 0.0,
                tests: vec![TestResult {
                    name: "TestX".into(),
                    status: TestStatus::Fail,
                    elapsed_s: 0.0,
                    output: "=== RUN   TestX\n    b_test.go:7: got 1, want 2\n    b_test.go:7: again\n--- FAIL: TestX (0.00s)\n".into(),
                }],
                output: String::new(),
            }],
            diagnostics: vec![d(VerifyStep::Vet, "undefined: strings"), d(VerifyStep::Build, "undefined: strings")],
            unformatted: vec![],
            image: String::new(),
            duration_ms: 0,
            missing: vec![],
            evidence: None,
            masked: Vec::new(),
            base: None,
            toolchain: None,
            cgo: Vec::new(),
            checks: Vec::new(),
        }
    }

    #[test]
    fn source_lines_are_quoted_under_diagnostics_and_test_failures() {
        let src = |f: &str, n: u32| match (f, n) {
            ("a/b.go", 3) => Some("\treturn strings.ToUpper(s)".to_string()),
            ("b_test.go", 7) => Some("\t\tt.Errorf(\"got %d, want %d\", got, want)".to_string()),
            _ => None,
        };
        let s = report().summary_for_model_with(10_000, &src);
        assert_eq!(
            s.matches("undefined: strings").count(),
            1,
            "vet and build report it once: {s}"
        );
        assert!(
            s.contains("vet a/b.go:3:2: undefined: strings\n    3 | \treturn strings.ToUpper(s)\n"),
            "{s}"
        );
        assert_eq!(
            s.matches("    7 | ").count(),
            1,
            "each test line quoted once: {s}"
        );
        assert!(
            s.contains("b_test.go:7: got 1, want 2\n    7 | \t\tt.Errorf"),
            "{s}"
        );
        // Without a source, the same report minus the quotes.
        assert!(!report().summary_for_model(10_000).contains(" | "));
    }

    #[test]
    fn file_refs_in_test_output() {
        assert_eq!(
            go_file_ref("    x_test.go:12: got 1"),
            Some(("x_test.go", 12))
        );
        assert_eq!(go_file_ref("a/b.go:3:4: err"), Some(("a/b.go", 3)));
        assert_eq!(go_file_ref("no file here"), None);
        assert_eq!(go_file_ref("see x.go: later"), None);
        assert_eq!(go_file_ref("weird .go:0:"), None);
    }
}

/// Replace elapsed times such as `(0.01s)` or `0.005s` in tool output by
/// `[t]`. They tell a model nothing, and without them the same failure gives
/// the same prompt on every run, so a recorded run replays exactly.
pub fn mask_durations(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        let at_word_start = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.');
        if b[i].is_ascii_digit() && at_word_start {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
                let mut k = j + 1;
                while k < b.len() && b[k].is_ascii_digit() {
                    k += 1;
                }
                let ends_word = k + 1 >= b.len() || !b[k + 1].is_ascii_alphanumeric();
                if k < b.len() && b[k] == b's' && ends_word {
                    out.push_str(&s[last..i]);
                    out.push_str("[t]");
                    i = k + 1;
                    last = i;
                    continue;
                }
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out.push_str(&s[last..]);
    out
}

#[cfg(test)]
mod mask_tests {
    use super::mask_durations;

    #[test]
    fn masks_go_test_times_only() {
        assert_eq!(
            mask_durations("--- FAIL: TestX (0.00s)"),
            "--- FAIL: TestX ([t])"
        );
        assert_eq!(
            mask_durations("FAIL\texample.com/a\t0.005s\n"),
            "FAIL\texample.com/a\t[t]\n"
        );
        assert_eq!(mask_durations("took 12.5s."), "took [t].");
        // Not durations: versions, identifiers, plain numbers, units other than s.
        for keep in [
            "go1.22.5s",
            "v1.2s3",
            "x1.5s",
            "got 1.5, want 2",
            "1.5ms",
            "3.14 pi",
            "a.go:12:3: bad",
            "é 1.0s",
        ] {
            let masked = mask_durations(keep);
            if keep == "é 1.0s" {
                assert_eq!(masked, "é [t]");
            } else {
                assert_eq!(masked, keep, "{keep}");
            }
        }
    }
}

/// Cut `s` to at most `max` chars on a char boundary, marking the cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(20)).collect();
    t.push_str("\n[... truncated]\n");
    t
}
