//! Pure parsers: the verifier's JSON lines, `go test -json` events, and
//! compiler/vet diagnostics. No I/O here so everything is unit- and
//! property-testable; none of these functions may panic on any input.

use std::collections::HashMap;

use coop_core::{
    CheckResult, Diagnostic, PackageResult, StepResult, StepStatus, TestResult, TestStatus,
    VerificationReport, VerifyStep,
};
use serde::Deserialize;

/// One line printed by `coop-verify` (see sandbox/image/verify/main.go).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct VerifierLine {
    pub kind: String,
    #[serde(default)]
    pub go_version: Option<String>,
    #[serde(default)]
    pub cache_seed_ms: Option<u64>,
    #[serde(default)]
    pub cache_seeded: bool,
    #[serde(default)]
    pub step: Option<String>,
    /// A project check's name (`kind == "check"`).
    #[serde(default)]
    pub check: Option<String>,
    #[serde(default)]
    pub exit_code: Option<i64>,
    #[serde(default)]
    pub duration_ms: u64,
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: String,
    #[serde(default)]
    pub stdout_truncated: bool,
    #[serde(default)]
    pub stderr_truncated: bool,
    #[serde(default)]
    pub timed_out: bool,
    #[serde(default)]
    pub skipped: bool,
    #[serde(default)]
    pub error: Option<String>,
}

/// Everything the host learned from one container run.
#[derive(Debug, Clone, Default)]
pub struct ContainerRun {
    /// Container stdout (the verifier's JSON lines), possibly capped.
    pub stdout: String,
    /// Container stderr (the verifier's own complaints), possibly capped.
    pub stderr: String,
    /// The host hit its wall-clock limit and killed the container.
    pub timed_out: bool,
    /// The host stopped reading logs at its cap.
    pub logs_truncated: bool,
    pub exit_code: Option<i64>,
}

/// Why the host does not take a verification container's output as a
/// report. The verifier prints exactly one `start` line, one line per step
/// in [`VerifyStep::ALL`] order, and one `done` line, and exits 0 exactly
/// when every step passed; anything else means something other than the
/// verifier wrote to its output (or the verifier broke), so nothing in it
/// can be believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranscriptFault {
    #[error("line {line} is not a verifier line")]
    NotALine { line: usize },
    #[error("line {line}: expected the {expected} line, found {found}")]
    OutOfOrder {
        line: usize,
        expected: String,
        found: String,
    },
    #[error("line {line}: output after the verifier's final line")]
    AfterDone { line: usize },
    #[error(
        "the verifier's output ends before its {expected} line (container exit code {exit_code:?}) although nothing stopped it"
    )]
    Missing {
        expected: String,
        exit_code: Option<i64>,
    },
    #[error("every step reported passing, but the verifier's exit code is {exit_code:?}, not 0")]
    ExitMismatch { exit_code: Option<i64> },
}

/// The verifier's lines in the order it prints them, project checks
/// (`[verify] commands`) between the test step and `done`.
fn transcript(checks: &[String]) -> Vec<String> {
    let mut t: Vec<String> = ["start", "gofmt", "vet", "build", "test"]
        .map(String::from)
        .into();
    t.extend(checks.iter().map(|c| format!("check {c}")));
    t.push("done".into());
    t
}

fn line_label(l: &VerifierLine) -> String {
    match (l.kind.as_str(), l.step.as_deref(), l.check.as_deref()) {
        ("step", Some(s), _) => s.chars().take(40).collect(),
        ("check", _, Some(c)) => format!("check {}", c.chars().take(40).collect::<String>()),
        (k, _, _) => k.chars().take(40).collect(),
    }
}

/// What a step or check line says of its command's outcome.
fn line_status(l: &VerifierLine) -> StepStatus {
    if l.skipped {
        StepStatus::Skipped
    } else if l.timed_out {
        StepStatus::TimedOut
    } else if l.error.is_some() || l.exit_code != Some(0) {
        StepStatus::Failed
    } else {
        StepStatus::Passed
    }
}

/// [`check_transcript_with`] for a verification without project checks.
pub fn check_transcript(run: &ContainerRun) -> Result<Vec<VerifierLine>, TranscriptFault> {
    check_transcript_with(run, &[])
}

/// Check the verifier's stdout line by line against the one sequence it
/// prints and return its lines. Only the host's own interventions explain
/// a short transcript: after a wall-clock kill (`timed_out`) or at the log
/// cap (`logs_truncated`) a prefix is accepted, and its last line may be
/// cut. Everything else — a line that is not the verifier's, a step twice,
/// out of order or unknown, a project check not in `checks` or not in their
/// order, anything after `done`, an end nothing caused — is a
/// [`TranscriptFault`].
pub fn check_transcript_with(
    run: &ContainerRun,
    checks: &[String],
) -> Result<Vec<VerifierLine>, TranscriptFault> {
    let expected_lines = transcript(checks);
    let cut_short = run.timed_out || run.logs_truncated;
    let mut lines = Vec::new();
    let segments: Vec<&str> = run.stdout.split('\n').collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        let line = i + 1;
        // The text after the final newline: empty when the output ended
        // with a whole line.
        if i == last && seg.is_empty() {
            break;
        }
        if lines.len() == expected_lines.len() {
            return Err(TranscriptFault::AfterDone { line });
        }
        let parsed = serde_json::from_str::<VerifierLine>(seg).ok();
        let Some(l) = parsed else {
            if i == last && cut_short {
                break;
            }
            return Err(TranscriptFault::NotALine { line });
        };
        let expected = expected_lines[lines.len()].as_str();
        let kind_ok = match expected {
            "start" | "done" => l.kind == expected && l.step.is_none() && l.check.is_none(),
            e => match e.strip_prefix("check ") {
                Some(name) => {
                    l.kind == "check" && l.step.is_none() && l.check.as_deref() == Some(name)
                }
                None => l.kind == "step" && l.step.as_deref() == Some(e) && l.check.is_none(),
            },
        };
        if !kind_ok {
            return Err(TranscriptFault::OutOfOrder {
                line,
                expected: expected.to_string(),
                found: line_label(&l),
            });
        }
        lines.push(l);
    }
    if lines.len() < expected_lines.len() && !cut_short {
        return Err(TranscriptFault::Missing {
            expected: expected_lines[lines.len()].clone(),
            exit_code: run.exit_code,
        });
    }
    Ok(lines)
}

/// `gofmt -l` prints one path per line.
pub fn parse_gofmt(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(normalize_path)
        .collect()
}

/// Make a path repo-relative: Go prints `./pkg/x.go`, sometimes the absolute
/// mount path `/work/pkg/x.go`.
pub fn normalize_path(p: &str) -> String {
    let p = p.trim();
    let p = p.strip_prefix("/work/").unwrap_or(p);
    let mut p = p;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p.to_string()
}

fn is_source_file(file: &str) -> bool {
    let base = file.rsplit('/').next().unwrap_or(file);
    !file.is_empty()
        && !file.starts_with(char::is_whitespace)
        && (base.ends_with(".go") || matches!(base, "go.mod" | "go.sum" | "go.work"))
}

/// Parse `file:line[:col]: message` diagnostics as printed by `go build` and
/// `go vet`. Indented lines right after a diagnostic (e.g. `\thave (int)` /
/// `\twant (string)`) are continuation lines and are appended to its message.
/// Package headers (`# pkg`) and other chatter are skipped.
pub fn parse_diagnostics(step: VerifyStep, text: &str) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = Vec::new();
    let mut last_was_diag = false;
    for raw in text.lines() {
        if (raw.starts_with('\t') || raw.starts_with("    ")) && last_was_diag {
            if let Some(d) = out.last_mut() {
                d.message.push('\n');
                d.message.push_str(raw.trim());
            }
            continue;
        }
        last_was_diag = false;
        let line = raw.trim_end();
        // vet prefixes type-checking errors with "vet: ".
        let line = line.strip_prefix("vet: ").unwrap_or(line);
        if let Some(d) = parse_diagnostic_line(step, line) {
            out.push(d);
            last_was_diag = true;
        }
    }
    out
}

fn parse_diagnostic_line(step: VerifyStep, line: &str) -> Option<Diagnostic> {
    let mut parts = line.splitn(4, ':');
    let file = parts.next()?;
    if !is_source_file(file) {
        return None;
    }
    let line_no: u32 = parts.next()?.parse().ok()?;
    let third = parts.next()?;
    let (column, message) = match third.parse::<u32>() {
        Ok(col) => (Some(col), parts.next()?),
        // `file:line: message` — the message may itself contain ':'.
        Err(_) => {
            let rest = parts.next();
            let msg = match rest {
                Some(r) => format!("{third}:{r}"),
                None => third.to_string(),
            };
            let msg = msg.strip_prefix(' ')?.to_string();
            return Some(Diagnostic {
                step,
                file: normalize_path(file),
                line: line_no,
                column: None,
                message: msg,
            });
        }
    };
    let message = message.strip_prefix(' ')?.to_string();
    if message.is_empty() {
        return None;
    }
    Some(Diagnostic {
        step,
        file: normalize_path(file),
        line: line_no,
        column,
        message,
    })
}

/// One `go test -json` (test2json) event. Newer Go also emits
/// `build-output`/`build-fail` events keyed by `ImportPath`, and package
/// failures caused by a build error carry `FailedBuild`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TestEvent {
    #[serde(default)]
    action: String,
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    test: Option<String>,
    #[serde(default)]
    elapsed: Option<f64>,
    #[serde(default)]
    output: Option<String>,
    #[serde(default)]
    import_path: Option<String>,
    #[serde(default)]
    failed_build: Option<String>,
}

/// What `go test -json` said, digested.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GoTestOutput {
    pub packages: Vec<PackageResult>,
    /// Compiler output of failed builds (`build-output` events), for
    /// diagnostics.
    pub build_output: String,
    /// All `Output` text in event order, i.e. what `go test -v` would print.
    pub text: String,
    pub text_truncated: bool,
    /// The test binary's own -timeout fired (a test hung).
    pub test_timed_out: bool,
}

fn push_capped(buf: &mut String, s: &str, cap: usize) -> bool {
    if buf.len() >= cap {
        return !s.is_empty();
    }
    let room = cap - buf.len();
    if s.len() <= room {
        buf.push_str(s);
        false
    } else {
        let mut cut = room;
        while cut > 0 && !s.is_char_boundary(cut) {
            cut -= 1;
        }
        buf.push_str(&s[..cut]);
        true
    }
}

struct PkgAcc {
    result: PackageResult,
    finished: bool,
    test_index: HashMap<String, usize>,
    test_finished: Vec<bool>,
    failed_build: Option<String>,
}

/// Parse `go test -json` output. Non-JSON lines are ignored (older Go printed
/// build failures as plain text). Packages or tests that started but never
/// reported a result (killed, truncated output, timeout panic) count as
/// failed: they did not pass. `cap` bounds each output string.
pub fn parse_go_test_json(stdout: &str, cap: usize) -> GoTestOutput {
    let mut order: Vec<String> = Vec::new();
    let mut pkgs: HashMap<String, PkgAcc> = HashMap::new();
    let mut build_out: HashMap<String, String> = HashMap::new();
    let mut build_order: Vec<String> = Vec::new();
    let mut out = GoTestOutput::default();

    for line in stdout.lines() {
        let line = line.trim();
        if !line.starts_with('{') {
            continue;
        }
        let Ok(ev) = serde_json::from_str::<TestEvent>(line) else {
            continue;
        };
        if let Some(o) = &ev.output {
            out.text_truncated |= push_capped(&mut out.text, o, cap);
            if o.contains("panic: test timed out after") {
                out.test_timed_out = true;
            }
        }
        if ev.action == "build-output" || ev.action == "build-fail" {
            if let Some(ip) = &ev.import_path {
                if !build_out.contains_key(ip) {
                    build_order.push(ip.clone());
                }
                let b = build_out.entry(ip.clone()).or_default();
                if let Some(o) = &ev.output {
                    push_capped(b, o, cap);
                }
            }
            continue;
        }
        let Some(pkg) = ev.package.clone() else {
            continue;
        };
        let acc = pkgs.entry(pkg.clone()).or_insert_with(|| {
            order.push(pkg.clone());
            PkgAcc {
                result: PackageResult {
                    package: pkg.clone(),
                    status: TestStatus::Fail,
                    elapsed_s: 0.0,
                    tests: Vec::new(),
                    output: String::new(),
                },
                finished: false,
                test_index: HashMap::new(),
                test_finished: Vec::new(),
                failed_build: None,
            }
        });
        let status = match ev.action.as_str() {
            "pass" => Some(TestStatus::Pass),
            "fail" => Some(TestStatus::Fail),
            "skip" => Some(TestStatus::Skip),
            _ => None,
        };
        match &ev.test {
            Some(name) => {
                let idx = match acc.test_index.get(name) {
                    Some(i) => *i,
                    None => {
                        acc.result.tests.push(TestResult {
                            name: name.clone(),
                            status: TestStatus::Fail,
                            elapsed_s: 0.0,
                            output: String::new(),
                        });
                        acc.test_finished.push(false);
                        let i = acc.result.tests.len() - 1;
                        acc.test_index.insert(name.clone(), i);
                        i
                    }
                };
                if let (Some(t), Some(done)) = (
                    acc.result.tests.get_mut(idx),
                    acc.test_finished.get_mut(idx),
                ) {
                    if ev.action == "output"
                        && let Some(o) = &ev.output
                    {
                        push_capped(&mut t.output, o, cap);
                    }
                    if let Some(s) = status {
                        t.status = s;
                        t.elapsed_s = ev.elapsed.unwrap_or(0.0);
                        *done = true;
                    }
                }
            }
            None => {
                if ev.action == "output"
                    && let Some(o) = &ev.output
                {
                    push_capped(&mut acc.result.output, o, cap);
                }
                if let Some(s) = status {
                    acc.result.status = s;
                    acc.result.elapsed_s = ev.elapsed.unwrap_or(0.0);
                    acc.finished = true;
                }
                if ev.failed_build.is_some() {
                    acc.failed_build = ev.failed_build.clone();
                }
            }
        }
    }

    for ip in &build_order {
        if let Some(b) = build_out.get(ip) {
            push_capped(&mut out.build_output, b, cap);
        }
    }
    for name in order {
        let Some(mut acc) = pkgs.remove(&name) else {
            continue;
        };
        if !acc.finished {
            acc.result.status = TestStatus::Fail;
        }
        // A build failure's compiler errors belong to the package that
        // could not be tested; put them where a reader looks.
        if let Some(fb) = &acc.failed_build
            && let Some(b) = build_out.get(fb)
            && !acc.result.output.contains(b.as_str())
        {
            let mut merged = b.clone();
            push_capped(&mut merged, &acc.result.output, cap);
            acc.result.output = merged;
        }
        out.packages.push(acc.result);
    }
    out
}

fn step_name(step: VerifyStep) -> &'static str {
    step.as_str()
}

/// Join stdout and stderr of a step into the single capped output string of
/// `StepResult`.
fn combine(a: &str, b: &str, cap: usize) -> (String, bool) {
    let mut s = String::new();
    let mut cut = push_capped(&mut s, a, cap);
    if !a.is_empty() && !b.is_empty() && !a.ends_with('\n') {
        cut |= push_capped(&mut s, "\n", cap);
    }
    cut |= push_capped(&mut s, b, cap);
    (s, cut)
}

/// Turn one container run into the report, after [`check_transcript`].
/// Steps the verifier never reported (only possible when the host cut the
/// run short): if the host killed the container, the first one is
/// `TimedOut` (it was running) and the rest `Skipped`; at the log cap they
/// are `Failed`. A report whose steps all passed must come from a verifier
/// that exited 0.
pub fn build_report(
    run: &ContainerRun,
    image: &str,
    duration_ms: u64,
    output_cap: usize,
) -> Result<VerificationReport, TranscriptFault> {
    build_report_with(run, image, duration_ms, output_cap, &[])
}

/// [`build_report`] of a verification with project checks (`checks`, the
/// names in the order the verifier runs them): each becomes a
/// [`CheckResult`]; one not reported (the run was cut short) is `TimedOut`
/// after a wall-clock kill, else `Failed`.
pub fn build_report_with(
    run: &ContainerRun,
    image: &str,
    duration_ms: u64,
    output_cap: usize,
    checks: &[String],
) -> Result<VerificationReport, TranscriptFault> {
    let lines = check_transcript_with(run, checks)?;
    let mut steps = Vec::new();
    let mut packages = Vec::new();
    let mut diagnostics = Vec::new();
    let mut unformatted = Vec::new();
    let mut missing_seen = false;

    for step in VerifyStep::ALL {
        let line = lines
            .iter()
            .find(|l| l.kind == "step" && l.step.as_deref() == Some(step_name(step)));
        let Some(l) = line else {
            let (status, output) = if run.timed_out {
                if missing_seen {
                    (StepStatus::Skipped, String::new())
                } else {
                    (
                        StepStatus::TimedOut,
                        "killed: the whole verification exceeded its time limit".to_string(),
                    )
                }
            } else {
                let mut msg = String::from("the verifier did not report this step");
                if run.logs_truncated {
                    msg.push_str(" (its output exceeded the log cap)");
                }
                if let Some(c) = run.exit_code {
                    msg.push_str(&format!("; container exit code {c}"));
                }
                if !run.stderr.is_empty() {
                    msg.push('\n');
                    msg.push_str(&run.stderr);
                }
                (StepStatus::Failed, msg)
            };
            missing_seen = true;
            let (output, truncated) = combine(&output, "", output_cap);
            steps.push(StepResult {
                step,
                status,
                exit_code: None,
                duration_ms: 0,
                output,
                truncated,
            });
            continue;
        };

        let mut status = line_status(l);
        let mut output_src = (l.stdout.clone(), l.stderr.clone());
        let mut truncated = l.stdout_truncated || l.stderr_truncated;
        match step {
            VerifyStep::Gofmt => {
                unformatted = parse_gofmt(&l.stdout);
                if status == StepStatus::Passed && !unformatted.is_empty() {
                    status = StepStatus::Failed;
                }
                diagnostics.extend(parse_diagnostics(step, &l.stderr));
            }
            VerifyStep::Vet | VerifyStep::Build => {
                diagnostics.extend(parse_diagnostics(step, &l.stderr));
                diagnostics.extend(parse_diagnostics(step, &l.stdout));
            }
            VerifyStep::Test => {
                let t = parse_go_test_json(&l.stdout, output_cap);
                let mut diag_src = t.build_output.clone();
                diag_src.push('\n');
                diag_src.push_str(&l.stderr);
                diagnostics.extend(parse_diagnostics(step, &diag_src));
                if t.test_timed_out && status != StepStatus::Skipped {
                    status = StepStatus::TimedOut;
                }
                // The raw JSON stream is noise to a reader; the test output
                // text (what `go test -v` prints) is what matters.
                output_src = (l.stderr.clone(), t.text.clone());
                truncated |= t.text_truncated;
                packages = t.packages;
            }
        }
        if let Some(e) = &l.error {
            output_src.1.push_str(&format!("\ncoop-verify: {e}"));
        }
        let (output, cut) = combine(&output_src.0, &output_src.1, output_cap);
        steps.push(StepResult {
            step,
            status,
            exit_code: l.exit_code,
            duration_ms: l.duration_ms,
            output,
            truncated: truncated || cut,
        });
    }

    let mut check_results = Vec::new();
    for name in checks {
        let Some(l) = lines
            .iter()
            .find(|l| l.kind == "check" && l.check.as_deref() == Some(name.as_str()))
        else {
            check_results.push(CheckResult {
                name: name.clone(),
                status: if run.timed_out {
                    StepStatus::TimedOut
                } else {
                    StepStatus::Failed
                },
                exit_code: None,
                duration_ms: 0,
                output: "the verifier did not report this check".into(),
                truncated: false,
            });
            continue;
        };
        let status = line_status(l);
        let mut err = l.stderr.clone();
        if let Some(e) = &l.error {
            err.push_str(&format!("\ncoop-verify: {e}"));
        }
        let (output, cut) = combine(&err, &l.stdout, output_cap);
        check_results.push(CheckResult {
            name: name.clone(),
            status,
            exit_code: l.exit_code,
            duration_ms: l.duration_ms,
            output,
            truncated: cut || l.stdout_truncated || l.stderr_truncated,
        });
    }

    let passed = steps.iter().all(|s| s.status == StepStatus::Passed)
        && check_results.iter().all(|c| c.status == StepStatus::Passed);
    if passed && run.exit_code != Some(0) {
        return Err(TranscriptFault::ExitMismatch {
            exit_code: run.exit_code,
        });
    }
    Ok(VerificationReport {
        passed,
        steps,
        packages,
        diagnostics,
        unformatted,
        image: image.to_string(),
        duration_ms,
        missing: Vec::new(),
        evidence: None,
        masked: Vec::new(),
        base: None,
        // The Go the verifier ran (its start line); the sandbox adds how
        // it was chosen.
        toolchain: lines
            .iter()
            .find(|l| l.kind == "start")
            .and_then(|l| l.go_version.clone())
            .map(|v| coop_core::GoToolchain {
                version: Some(v),
                ..Default::default()
            }),
        cgo: Vec::new(),
        checks: check_results,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn diagnostics_build_errors() {
        let text = "# example.com/m/strutil\n./strutil/reverse.go:12:5: undefined: x\nstrutil/b.go:3:1: syntax error: unexpected }\n";
        let d = parse_diagnostics(VerifyStep::Build, text);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].file, "strutil/reverse.go");
        assert_eq!(d[0].line, 12);
        assert_eq!(d[0].column, Some(5));
        assert_eq!(d[0].message, "undefined: x");
        assert_eq!(d[1].file, "strutil/b.go");
        assert_eq!(d[1].step, VerifyStep::Build);
    }

    #[test]
    fn diagnostics_vet_and_continuations() {
        let text = "# example.com/m\n# [example.com/m]\nvet: ./a.go:4:2: cannot use s (variable of type string) as int value\n\thave (string)\n\twant (int)\n/work/b/c.go:7: possible misuse: of something\ngo.mod:3: unknown directive: foo\nnote: module requires Go 1.30\n";
        let d = parse_diagnostics(VerifyStep::Vet, text);
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!(d[0].file, "a.go");
        assert_eq!(
            d[0].message,
            "cannot use s (variable of type string) as int value\nhave (string)\nwant (int)"
        );
        assert_eq!(d[1].file, "b/c.go");
        assert_eq!(d[1].column, None);
        assert_eq!(d[1].message, "possible misuse: of something");
        assert_eq!(d[2].file, "go.mod");
    }

    #[test]
    fn diagnostics_ignore_non_locations() {
        let d = parse_diagnostics(
            VerifyStep::Build,
            "go: downloading x\nFAIL\tm [build failed]\nfoo.go:abc: x\nfoo.go:1:\n",
        );
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn gofmt_paths() {
        assert_eq!(parse_gofmt("a.go\n./b/c.go\n\n"), vec!["a.go", "b/c.go"]);
    }

    const PASS_FAIL: &str = r#"{"Action":"start","Package":"m/a"}
{"Action":"run","Package":"m/a","Test":"TestOK"}
{"Action":"output","Package":"m/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"pass","Package":"m/a","Test":"TestOK","Elapsed":0.01}
{"Action":"run","Package":"m/a","Test":"TestBad"}
{"Action":"output","Package":"m/a","Test":"TestBad","Output":"    a_test.go:9: got 1, want 2\n"}
{"Action":"fail","Package":"m/a","Test":"TestBad","Elapsed":0.02}
{"Action":"run","Package":"m/a","Test":"TestBad/sub"}
{"Action":"skip","Package":"m/a","Test":"TestBad/sub","Elapsed":0}
{"Action":"output","Package":"m/a","Output":"FAIL\n"}
{"Action":"fail","Package":"m/a","Elapsed":0.5}
{"Action":"start","Package":"m/b"}
{"Action":"output","Package":"m/b","Output":"?   \tm/b\t[no test files]\n"}
{"Action":"skip","Package":"m/b","Elapsed":0}
"#;

    #[test]
    fn go_test_json_pass_fail_skip() {
        let t = parse_go_test_json(PASS_FAIL, 1 << 20);
        assert_eq!(t.packages.len(), 2);
        let a = &t.packages[0];
        assert_eq!(a.package, "m/a");
        assert_eq!(a.status, TestStatus::Fail);
        assert_eq!(a.elapsed_s, 0.5);
        assert_eq!(a.tests.len(), 3);
        assert_eq!(a.tests[0].status, TestStatus::Pass);
        assert_eq!(a.tests[1].status, TestStatus::Fail);
        assert!(a.tests[1].output.contains("got 1, want 2"));
        assert_eq!(a.tests[2].status, TestStatus::Skip);
        assert_eq!(t.packages[1].status, TestStatus::Skip);
        assert!(t.text.contains("=== RUN   TestOK"));
        assert!(!t.test_timed_out);
    }

    #[test]
    fn go_test_json_build_failure_new_style() {
        let s = r##"{"ImportPath":"m/a [m/a.test]","Action":"build-output","Output":"# m/a [m/a.test]\n"}
{"ImportPath":"m/a [m/a.test]","Action":"build-output","Output":"a/a_test.go:5:2: undefined: y\n"}
{"ImportPath":"m/a [m/a.test]","Action":"build-fail"}
{"Action":"start","Package":"m/a"}
{"Action":"output","Package":"m/a","Output":"FAIL\tm/a [build failed]\n"}
{"Action":"fail","Package":"m/a","Elapsed":0,"FailedBuild":"m/a [m/a.test]"}
"##;
        let t = parse_go_test_json(s, 1 << 20);
        assert_eq!(t.packages.len(), 1);
        assert_eq!(t.packages[0].status, TestStatus::Fail);
        assert!(
            t.packages[0].output.contains("undefined: y"),
            "{:?}",
            t.packages[0].output
        );
        assert!(t.build_output.contains("a/a_test.go:5:2"));
        let d = parse_diagnostics(VerifyStep::Test, &t.build_output);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].file, "a/a_test.go");
    }

    #[test]
    fn go_test_json_old_style_and_unfinished() {
        // Older Go: build errors as plain text lines, no build-output events.
        let s = "# m/a\na/a.go:1:1: bad\n{\"Action\":\"run\",\"Package\":\"m/c\",\"Test\":\"TestHang\"}\n{\"Action\":\"output\",\"Package\":\"m/c\",\"Test\":\"TestHang\",\"Output\":\"panic: test timed out after 5s\\n\"}\n{\"Action\":\"outp";
        let t = parse_go_test_json(s, 1 << 20);
        assert_eq!(t.packages.len(), 1);
        assert_eq!(t.packages[0].status, TestStatus::Fail);
        assert_eq!(t.packages[0].tests[0].status, TestStatus::Fail);
        assert!(t.test_timed_out);
    }

    #[test]
    fn caps_are_respected_on_char_boundaries() {
        let mut s = String::new();
        assert!(push_capped(&mut s, "héllo wörld", 2));
        assert_eq!(s, "h");
        let t = parse_go_test_json(PASS_FAIL, 10);
        assert!(t.text.len() <= 10);
        assert!(t.text_truncated);
    }

    fn step_line(step: &str, code: i64, stdout: &str, stderr: &str) -> String {
        serde_json::json!({"kind":"step","step":step,"exit_code":code,"duration_ms":3,"stdout":stdout,"stderr":stderr}).to_string()
    }

    #[test]
    fn report_from_verifier_lines() {
        let stdout = [
            r#"{"kind":"start","go_version":"go1.27.3","cache_seed_ms":5,"cache_seeded":true}"#
                .to_string(),
            step_line("gofmt", 0, "./x.go\n", ""),
            step_line("vet", 0, "", ""),
            step_line("build", 1, "", "# m\n./x.go:3:9: undefined: z\n"),
            r#"{"kind":"step","step":"test","skipped":true}"#.to_string(),
            r#"{"kind":"done"}"#.to_string(),
        ]
        .join("\n");
        let run = ContainerRun {
            stdout,
            exit_code: Some(0),
            ..Default::default()
        };
        let r = build_report(&run, "img", 7, 1000).unwrap();
        assert!(!r.passed);
        let st: Vec<_> = r.steps.iter().map(|s| s.status).collect();
        assert_eq!(
            st,
            vec![
                StepStatus::Failed,
                StepStatus::Passed,
                StepStatus::Failed,
                StepStatus::Skipped
            ]
        );
        assert_eq!(r.unformatted, vec!["x.go"]);
        assert_eq!(r.diagnostics.len(), 1);
        assert_eq!(r.diagnostics[0].message, "undefined: z");
        assert_eq!(r.image, "img");
        assert_eq!(r.duration_ms, 7);
    }

    #[test]
    fn report_when_container_killed() {
        let run = ContainerRun {
            stdout: format!(
                "{}\n{}\n",
                r#"{"kind":"start","go_version":"go1.27.3"}"#,
                step_line("gofmt", 0, "", "")
            ),
            timed_out: true,
            ..Default::default()
        };
        let r = build_report(&run, "img", 1, 100).unwrap();
        let st: Vec<_> = r.steps.iter().map(|s| s.status).collect();
        assert_eq!(
            st,
            vec![
                StepStatus::Passed,
                StepStatus::TimedOut,
                StepStatus::Skipped,
                StepStatus::Skipped
            ]
        );
        assert!(!r.passed);
    }

    #[test]
    fn report_when_verifier_silent() {
        let run = ContainerRun {
            stderr: "exec failed".into(),
            exit_code: Some(127),
            ..Default::default()
        };
        // Nothing stopped it, so a silent verifier is not a report at all.
        assert_eq!(
            build_report(&run, "img", 1, 100).map(|r| r.passed),
            Err(TranscriptFault::Missing {
                expected: "start".into(),
                exit_code: Some(127)
            })
        );
    }

    fn passing_transcript() -> Vec<String> {
        let mut v =
            vec![r#"{"kind":"start","go_version":"go1.27.3","cache_seeded":true}"#.to_string()];
        for s in ["gofmt", "vet", "build", "test"] {
            v.push(step_line(s, 0, "", ""));
        }
        v.push(r#"{"kind":"done"}"#.to_string());
        v
    }

    fn run_of(lines: &[String], exit: Option<i64>) -> ContainerRun {
        ContainerRun {
            stdout: lines.join("\n") + "\n",
            exit_code: exit,
            ..Default::default()
        }
    }

    #[test]
    fn a_whole_passing_transcript_with_exit_zero_is_a_pass() {
        let r = build_report(&run_of(&passing_transcript(), Some(0)), "img", 1, 100).unwrap();
        assert!(r.passed);
    }

    #[test]
    fn project_checks_are_expected_by_name_and_order_and_fail_the_report() {
        let check_line = |name: &str, code: i64| {
            format!(
                r#"{{"kind":"check","check":"{name}","exit_code":{code},"duration_ms":3,"stdout":"out {name}"}}"#
            )
        };
        let names = vec!["lint".to_string(), "golden".to_string()];
        let with = |checks: &[String]| {
            let mut v = passing_transcript();
            let done = v.pop().unwrap();
            v.extend(checks.iter().cloned());
            v.push(done);
            v
        };
        let ok = with(&[check_line("lint", 0), check_line("golden", 0)]);
        let r = build_report_with(&run_of(&ok, Some(0)), "img", 1, 100, &names).unwrap();
        assert!(r.passed);
        assert_eq!(r.checks.len(), 2);
        let failing = with(&[check_line("lint", 0), check_line("golden", 1)]);
        let r = build_report_with(&run_of(&failing, Some(1)), "img", 1, 100, &names).unwrap();
        assert!(!r.passed);
        assert_eq!(r.checks[1].status, StepStatus::Failed);
        assert!(r.checks[1].output.contains("out golden"));
        // Out of order, unknown, missing, or not expected at all: faults.
        for (lines, checks) in [
            (
                with(&[check_line("golden", 0), check_line("lint", 0)]),
                &names,
            ),
            (
                with(&[check_line("lint", 0), check_line("other", 0)]),
                &names,
            ),
            (with(&[check_line("lint", 0)]), &names),
            (with(&[check_line("lint", 0)]), &Vec::new()),
        ] {
            assert!(
                build_report_with(&run_of(&lines, Some(0)), "img", 1, 100, checks).is_err(),
                "{lines:?}"
            );
        }
        // Cut short by the host's kill: the unreported check timed out.
        let mut cut = with(&[check_line("lint", 0)]);
        cut.pop();
        let run = ContainerRun {
            timed_out: true,
            ..run_of(&cut, None)
        };
        let r = build_report_with(&run, "img", 1, 100, &names).unwrap();
        assert_eq!(r.checks[1].status, StepStatus::TimedOut);
        assert!(!r.passed);
    }

    #[test]
    fn forged_duplicate_missing_or_extra_lines_are_faults_never_a_pass() {
        let good = passing_transcript();
        let fail_test = step_line("test", 1, "", "FAIL");
        // A test that writes a passing "test" line before the verifier
        // writes the real, failing one (what /proc/1/fd/1 allowed).
        let mut forged = good.clone();
        forged[4] = step_line("test", 0, "", "");
        forged.insert(5, fail_test.clone());
        let cases: Vec<(Vec<String>, TranscriptFault)> = vec![
            (
                forged,
                TranscriptFault::OutOfOrder {
                    line: 6,
                    expected: "done".into(),
                    found: "test".into(),
                },
            ),
            (
                {
                    let mut v = good.clone();
                    v.push(r#"{"kind":"done"}"#.into());
                    v
                },
                TranscriptFault::AfterDone { line: 7 },
            ),
            (
                {
                    let mut v = good.clone();
                    v.insert(2, "PASS".into());
                    v
                },
                TranscriptFault::NotALine { line: 3 },
            ),
            (
                {
                    let mut v = good.clone();
                    v.remove(2);
                    v
                },
                TranscriptFault::OutOfOrder {
                    line: 3,
                    expected: "vet".into(),
                    found: "build".into(),
                },
            ),
            (
                good[..5].to_vec(),
                TranscriptFault::Missing {
                    expected: "done".into(),
                    exit_code: Some(0),
                },
            ),
            (
                {
                    let mut v = good.clone();
                    v.insert(1, r#"{"kind":"step","step":"lint","exit_code":0}"#.into());
                    v
                },
                TranscriptFault::OutOfOrder {
                    line: 2,
                    expected: "gofmt".into(),
                    found: "lint".into(),
                },
            ),
        ];
        for (lines, want) in cases {
            let got = build_report(&run_of(&lines, Some(0)), "img", 1, 100).map(|r| r.passed);
            assert_eq!(got, Err(want), "{lines:#?}");
        }
        // The verifier's exit code is the second channel: all steps passing
        // from a verifier that did not exit 0 is refused.
        for exit in [Some(1), Some(2), None] {
            assert_eq!(
                build_report(&run_of(&good, exit), "img", 1, 100).map(|r| r.passed),
                Err(TranscriptFault::ExitMismatch { exit_code: exit })
            );
        }
        // A failing step with exit 1 is an ordinary failed report.
        let mut failing = good.clone();
        failing[4] = fail_test;
        let r = build_report(&run_of(&failing, Some(1)), "img", 1, 100).unwrap();
        assert!(!r.passed);
    }

    #[test]
    fn only_the_hosts_own_cut_explains_a_short_transcript() {
        let good = passing_transcript();
        // At the log cap the last line may be cut mid-way.
        let mut stdout = good[..3].join("\n");
        stdout.push_str("\n{\"kind\":\"step\",\"st");
        let run = ContainerRun {
            stdout,
            logs_truncated: true,
            ..Default::default()
        };
        let r = build_report(&run, "img", 1, 100).unwrap();
        assert!(!r.passed);
        assert_eq!(r.steps[1].status, StepStatus::Passed);
        assert_eq!(r.steps[2].status, StepStatus::Failed);
        // Without the cap, the same cut line is a fault.
        let run = ContainerRun {
            logs_truncated: false,
            exit_code: Some(0),
            ..run
        };
        assert_eq!(
            build_report(&run, "img", 1, 100).map(|r| r.passed),
            Err(TranscriptFault::NotALine { line: 4 })
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC*", cap in 0usize..64) {
            let _ = parse_go_test_json(&s, cap);
            let _ = parse_diagnostics(VerifyStep::Build, &s);
            let _ = parse_gofmt(&s);
            let run = ContainerRun { stdout: s.clone(), stderr: s.clone(), ..Default::default() };
            let _ = build_report(&run, "img", 0, cap);
        }

        /// Whatever is inserted into a passing transcript, wherever, and
        /// whatever the exit code, the result is never a pass.
        #[test]
        fn no_insertion_into_a_transcript_makes_a_pass(
            at in 0usize..7,
            extra in prop_oneof![
                Just(r#"{"kind":"step","step":"test","exit_code":0}"#.to_string()),
                Just(r#"{"kind":"done"}"#.to_string()),
                Just(r#"{"kind":"start"}"#.to_string()),
                "\\PC{0,40}",
            ],
            exit in prop::option::of(-1i64..3),
            cut in any::<bool>(),
        ) {
            let mut lines = passing_transcript();
            lines.insert(at, extra);
            let run = ContainerRun { exit_code: exit, logs_truncated: cut, ..run_of(&lines, exit) };
            let r = build_report(&run, "img", 0, 100);
            prop_assert!(!matches!(r, Ok(ref r) if r.passed), "{:?}", lines);
        }

        #[test]
        fn go_test_json_never_panics_on_eventlike_lines(
            lines in proptest::collection::vec(
                (prop::sample::select(vec!["start","run","pass","fail","skip","output","pause","cont","build-output","build-fail","bench"]),
                 prop::option::of("[a-c/]{0,4}"), prop::option::of("[A-Za-z/]{0,6}"), prop::option::of("\\PC{0,12}"), prop::option::of("[a-c]{0,3}")),
                0..40),
            cap in 0usize..32,
        ) {
            let s: String = lines.iter().map(|(a, p, t, o, fb)| {
                serde_json::json!({"Action": a, "Package": p, "Test": t, "Output": o, "FailedBuild": fb, "ImportPath": fb, "Elapsed": 0.1}).to_string() + "\n"
            }).collect();
            let out = parse_go_test_json(&s, cap);
            for p in &out.packages {
                prop_assert!(p.output.len() <= cap);
                for t in &p.tests {
                    prop_assert!(t.output.len() <= cap);
                }
            }
        }

        #[test]
        fn diagnostic_roundtrip(file in "[a-z]{1,8}(/[a-z]{1,8}){0,2}\\.go", line in 1u32..100000, col in 1u32..500, msg in "[a-zA-Z][ -~]{0,40}") {
            let text = format!("./{file}:{line}:{col}: {msg}\n");
            let d = parse_diagnostics(VerifyStep::Vet, &text);
            prop_assert_eq!(d.len(), 1);
            prop_assert_eq!(&d[0].file, &file);
            prop_assert_eq!(d[0].line, line);
            prop_assert_eq!(d[0].column, Some(col));
            prop_assert_eq!(d[0].message.as_str(), msg.trim_end());
        }
    }
}
