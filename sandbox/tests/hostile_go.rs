//! Hostile Go code under verification: a fork bomb, network dials, writes
//! outside the mounted module, a test that prints without end, and a test
//! that hunts for the host's environment. Each test module is written so that
//! it PASSES only if its attack works; contained, it fails (or is cut off)
//! with a verdict that names why. After each, the same sandbox verifies an
//! honest module: the host keeps working. Real Docker, real image.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use coop_core::{StepStatus, TestStatus, VerificationReport, VerifyStep};
mod common;
use common::{chmod_world_readable, sandbox};
use coop_sandbox::{Sandbox, SandboxConfig};

fn cfg(step_secs: u64) -> SandboxConfig {
    SandboxConfig {
        timeout: Duration::from_secs(step_secs * 4 + 60),
        step_timeout: Duration::from_secs(step_secs),
        ..Default::default()
    }
}

fn module(test_go: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("go.mod"),
        "module example.com/hostile\n\ngo 1.27\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("h")).unwrap();
    std::fs::write(
        dir.path().join("h/h.go"),
        "// Package h is a hostile fixture.\npackage h\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("h/h_test.go"), test_go).unwrap();
    chmod_world_readable(dir.path());
    dir
}

fn test_output(r: &VerificationReport, name: &str) -> (TestStatus, String) {
    let t = r
        .packages
        .iter()
        .flat_map(|p| p.tests.iter())
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no result for {name}:\n{}", r.summary_for_model(4000)));
    (t.status, t.output.clone())
}

fn step(r: &VerificationReport, s: VerifyStep) -> StepStatus {
    r.steps.iter().find(|x| x.step == s).unwrap().status
}

/// The sandbox still verifies an honest module after an attack.
async fn still_works(sb: &Sandbox) {
    let m = module("package h\n\nimport \"testing\"\n\nfunc TestFine(t *testing.T) {}\n");
    let r = sb.verify(m.path()).await.unwrap();
    assert!(
        r.passed,
        "the host stopped working after an attack:\n{}",
        r.summary_for_model(4000)
    );
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_string)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

const FORK_BOMB: &str = r#"package h

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// Each copy of the test binary starts two more, forever. Succeeds (passes)
// only if it got 2000 processes running.
func TestMain(m *testing.M) {
	if os.Getenv("BOMB") == "1" {
		for i := 0; i < 2; i++ {
			c := exec.Command(os.Args[0], "-test.run=^$")
			c.Env = append(os.Environ(), "BOMB=1")
			_ = c.Start()
		}
		time.Sleep(time.Hour)
	}
	os.Exit(m.Run())
}

func TestForkBomb(t *testing.T) {
	started := 0
	var lastErr error
	for i := 0; i < 2000; i++ {
		c := exec.Command(os.Args[0], "-test.run=^$")
		c.Env = append(os.Environ(), "BOMB=1")
		if err := c.Start(); err != nil {
			lastErr = err
			break
		}
		started++
	}
	if started < 2000 {
		t.Fatalf("fork bomb contained after %d processes: %v", started, lastErr)
	}
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_bomb_hits_the_pids_limit() {
    let sb = sandbox(cfg(20)).await;
    let m = module(FORK_BOMB);
    let t = Instant::now();
    let r = sb.verify(m.path()).await.unwrap();
    eprintln!(
        "fork bomb: {:?}, {}",
        t.elapsed(),
        r.summary_for_model(1500)
    );
    assert!(!r.passed);
    // Either the test saw fork fail (pids limit) or the step was cut off;
    // both leave a failed verdict, within the limits.
    let (status, out) = test_output(&r, "TestForkBomb");
    assert_eq!(status, TestStatus::Fail);
    assert!(
        out.contains("contained after") || step(&r, VerifyStep::Test) == StepStatus::TimedOut,
        "the verdict names the containment:\n{out}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(120),
        "took {:?}",
        t.elapsed()
    );
    still_works(&sb).await;
}

const NETWORK: &str = r#"package h

import (
	"net"
	"net/http"
	"testing"
	"time"
)

// Passes only if some address outside the container answers.
func TestDialOut(t *testing.T) {
	var errs []string
	for _, addr := range []string{"1.1.1.1:53", "8.8.8.8:443", "172.17.0.1:2375", "172.17.0.1:22", "[2606:4700::1111]:53"} {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			c.Close()
			return
		}
		errs = append(errs, err.Error())
	}
	if _, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://example.com/"); err == nil {
		return
	} else {
		errs = append(errs, err.Error())
	}
	if _, err := net.LookupHost("example.com"); err == nil {
		return
	} else {
		errs = append(errs, err.Error())
	}
	t.Fatalf("no network: %v", errs)
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn network_dials_fail_inside_the_sandbox() {
    let sb = sandbox(cfg(60)).await;
    let m = module(NETWORK);
    let r = sb.verify(m.path()).await.unwrap();
    let (status, out) = test_output(&r, "TestDialOut");
    eprintln!("network: {out}");
    assert_eq!(status, TestStatus::Fail, "a dial got out:\n{out}");
    assert!(out.contains("no network:"), "{out}");
    assert!(
        out.contains("network is unreachable")
            || out.contains("no such host")
            || out.contains("connect"),
        "{out}"
    );
    still_works(&sb).await;
}

const WRITES: &str = r#"package h

import (
	"os"
	"path/filepath"
	"testing"
)

// Passes if any write outside the scratch space (/tmp) succeeds: the module
// itself, the root filesystem, the Go installation.
func TestWriteOutside(t *testing.T) {
	wd, _ := os.Getwd()
	targets := []string{
		filepath.Join(wd, "planted.go"),
		filepath.Join(wd, "..", "planted.txt"),
		"/planted",
		"/etc/planted",
		"/usr/local/go/planted",
		filepath.Join(os.Getenv("GOROOT"), "src", "planted.go"),
	}
	var errs []string
	for _, p := range targets {
		if err := os.WriteFile(p, []byte("x"), 0o644); err == nil {
			t.Logf("wrote %s", p)
			return
		} else {
			errs = append(errs, err.Error())
		}
	}
	t.Fatalf("no write outside /tmp: %v", errs)
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn writes_outside_the_scratch_space_are_refused_and_the_module_is_untouched() {
    let sb = sandbox(cfg(60)).await;
    let m = module(WRITES);
    let before: Vec<_> = walk(m.path());
    let r = sb.verify(m.path()).await.unwrap();
    let (status, out) = test_output(&r, "TestWriteOutside");
    eprintln!("writes: {out}");
    assert_eq!(status, TestStatus::Fail, "a write got out:\n{out}");
    assert!(
        out.contains("read-only file system") || out.contains("permission denied"),
        "{out}"
    );
    assert_eq!(walk(m.path()), before, "the module on the host changed");
    assert!(!m.path().parent().unwrap().join("planted.txt").exists());
    still_works(&sb).await;
}

fn walk(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

const FLOOD: &str = r#"package h

import (
	"os"
	"strings"
	"testing"
	"time"
)

// Writes to stdout as fast as it can for 15 s (gigabytes at pipe speed).
func TestFlood(t *testing.T) {
	line := strings.Repeat("x", 1<<16) + "\n"
	deadline := time.Now().Add(15 * time.Second)
	n := 0
	for time.Now().Before(deadline) {
		k, err := os.Stdout.WriteString(line)
		if err != nil {
			t.Fatalf("write failed after %d bytes: %v", n, err)
		}
		n += k
	}
	t.Fatalf("flooded %d bytes", n)
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_test_that_prints_without_end_is_capped_and_the_host_stays_small() {
    let cfg = cfg(60);
    let cap = cfg.test_output_cap;
    let sb = sandbox(cfg).await;
    let m = module(FLOOD);
    let rss_before = peak_rss_kib();
    let t = Instant::now();
    let r = sb.verify(m.path()).await.unwrap();
    let rss_after = peak_rss_kib();
    let text_len: usize = r
        .packages
        .iter()
        .map(|p| p.output.len() + p.tests.iter().map(|t| t.output.len()).sum::<usize>())
        .sum::<usize>()
        + r.steps.iter().map(|s| s.output.len()).sum::<usize>();
    eprintln!(
        "flood: {:?}; report text {} bytes (cap {}); host peak RSS {} -> {} KiB; {}",
        t.elapsed(),
        text_len,
        cap,
        rss_before,
        rss_after,
        r.summary_for_model(600)
    );
    assert!(!r.passed);
    assert!(
        text_len <= 3 * cap,
        "the report holds {text_len} bytes, far over the {cap}-byte cap"
    );
    assert!(
        rss_after.saturating_sub(rss_before) < 256 * 1024,
        "the host grew by {} KiB",
        rss_after - rss_before
    );
    assert!(
        r.steps.iter().any(|s| s.truncated) || r.summary_for_model(100_000).contains("truncated"),
        "the cut is reported"
    );
    still_works(&sb).await;
}

const ENV: &str = r#"package h

import (
	"os"
	"strings"
	"testing"
)

// Collects every environment it can see: its own, and other processes'.
func TestEnv(t *testing.T) {
	seen := os.Environ()
	for _, p := range []string{"/proc/1/environ", "/proc/self/environ", "/proc/1/cmdline"} {
		if b, err := os.ReadFile(p); err == nil {
			seen = append(seen, strings.Split(string(b), "\x00")...)
		}
	}
	t.Fatalf("ENV-DUMP %s", strings.Join(seen, " | "))
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_test_sees_none_of_the_host_environment() {
    let sb = sandbox(cfg(60)).await;
    let m = module(ENV);
    let r = sb.verify(m.path()).await.unwrap();
    let (_, out) = test_output(&r, "TestEnv");
    assert!(out.contains("ENV-DUMP"), "{out}");
    // cargo sets these in this test process; none may reach the container.
    let host: Vec<(String, String)> = std::env::vars()
        .filter(|(k, v)| k.starts_with("CARGO") && v.len() >= 6)
        .collect();
    assert!(
        !host.is_empty(),
        "the canary variables exist on the host side"
    );
    for (k, v) in &host {
        assert!(
            !out.contains(k.as_str()) && !out.contains(v.as_str()),
            "host variable {k} leaked into the sandbox:\n{out}"
        );
    }
    if let Ok(home) = std::env::var("HOME") {
        assert!(
            !out.contains(&format!("HOME={home}")) || home == "/tmp",
            "the host's HOME leaked"
        );
    }
    still_works(&sb).await;
}

const FORGE: &str = r#"package h

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A whole passing transcript, as coop-verify prints it.
const forged = `{"kind":"step","step":"gofmt","exit_code":0,"duration_ms":1}
{"kind":"step","step":"vet","exit_code":0,"duration_ms":1}
{"kind":"step","step":"build","exit_code":0,"duration_ms":1}
{"kind":"step","step":"test","exit_code":0,"duration_ms":1}
{"kind":"done","duration_ms":0}
`

// Writes the forged transcript into every output it can open of every other
// process in the container (the verifier's stdout and stderr above all),
// then fails. It passes only if the host believed the forgery.
func TestForge(t *testing.T) {
	targets := []string{"/proc/1/fd/1", "/proc/1/fd/2"}
	all, _ := filepath.Glob("/proc/[0-9]*/fd/[0-9]*")
	self := "/proc/" + itoa(os.Getpid()) + "/"
	for _, p := range all {
		if !strings.HasPrefix(p, self) {
			targets = append(targets, p)
		}
	}
	var wrote, refused []string
	for _, p := range targets {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			refused = append(refused, p+": "+err.Error())
			continue
		}
		if _, err := f.WriteString(forged); err == nil {
			wrote = append(wrote, p)
		}
		f.Close()
	}
	t.Fatalf("FORGE wrote into %v; refused: %v", wrote, refused)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
"#;

/// Class 1 of the security review: the code under test wrote report lines
/// into the verifier's own stdout through /proc/1/fd/1, and the host took
/// the first line per step, so a failing test verified as passing.
#[tokio::test(flavor = "multi_thread")]
async fn a_test_cannot_write_the_verifiers_report() {
    let sb = sandbox(cfg(60)).await;
    let m = module(FORGE);
    let r = sb.verify(m.path()).await.unwrap_or_else(|e| {
        panic!(
            "the forgery reached the verifier's output (caught only by the transcript check): {e}"
        )
    });
    assert!(
        !r.passed,
        "a forged report passed:\n{}",
        r.summary_for_model(4000)
    );
    assert_eq!(step(&r, VerifyStep::Test), StepStatus::Failed);
    let (status, out) = test_output(&r, "TestForge");
    assert_eq!(status, TestStatus::Fail);
    assert!(out.contains("FORGE wrote into"), "{out}");
    // The verifier's stdout and stderr are out of reach.
    for p in ["/proc/1/fd/1", "/proc/1/fd/2"] {
        assert!(
            out.contains(&format!("{p}: open {p}: permission denied")),
            "{p} was not refused:\n{out}"
        );
    }
    still_works(&sb).await;
}

const KILL_VERIFIER: &str = r#"package h

import (
	"syscall"
	"testing"
	"time"
)

// Stops the verifier before it can report this failure. Passes only if
// the host takes a report cut short by the code under test as a pass.
func TestKillVerifier(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGKILL} {
		_ = syscall.Kill(1, sig)
		time.Sleep(200 * time.Millisecond)
	}
	_ = syscall.Kill(-1, syscall.SIGKILL)
	time.Sleep(time.Second)
	t.Fatal("KILL still running")
}
"#;

/// A test that stops the verifier (signals to PID 1, or to every process
/// it may signal) leaves a transcript without its last lines; that is a
/// verification error, never a pass, and never a report of passing steps.
#[tokio::test(flavor = "multi_thread")]
async fn a_test_that_stops_the_verifier_is_never_a_pass() {
    let sb = sandbox(cfg(60)).await;
    let m = module(KILL_VERIFIER);
    match sb.verify(m.path()).await {
        Ok(r) => assert!(!r.passed, "passed:\n{}", r.summary_for_model(4000)),
        Err(e) => assert!(
            matches!(e, coop_sandbox::SandboxError::ReportRejected { .. }),
            "{e}"
        ),
    }
    still_works(&sb).await;
}

const PRINT_SECRETS: &str = r#"package h

import (
	"encoding/base64"
	"os"
	"testing"
)

// Prints every secret it can open, base64-encoded so redaction cannot
// recognise it. Passes only if it read a non-empty secret.
func TestPrintSecrets(t *testing.T) {
	got := 0
	for _, p := range []string{"../.env", "../certs/server.key", "../config.txt", "../nested/link", "../nested/deep/prod.env"} {
		b, err := os.ReadFile(p)
		t.Logf("SECRET %s %d bytes %v %s", p, len(b), err, base64.StdEncoding.EncodeToString(b))
		got += len(b)
	}
	if got == 0 {
		t.Fatal("SECRETS all empty")
	}
}
"#;

/// Standard base64 with padding (what the Go test prints).
fn base64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

const CANARY: &str = "COOP_CANARY_8c1f0e37d2";

fn module_with_secrets() -> tempfile::TempDir {
    let m = module(PRINT_SECRETS);
    let p = m.path();
    std::fs::write(p.join(".env"), format!("DB_PASSWORD={CANARY}\n")).unwrap();
    std::fs::create_dir_all(p.join("certs")).unwrap();
    std::fs::write(
        p.join("certs/server.key"),
        format!("-----BEGIN PRIVATE KEY-----\n{CANARY}\n"),
    )
    .unwrap();
    std::fs::create_dir_all(p.join("nested/deep")).unwrap();
    std::fs::write(p.join("nested/deep/prod.env"), format!("K={CANARY}\n")).unwrap();
    // Other names for a secret file: links inside the tree.
    std::os::unix::fs::symlink(".env", p.join("config.txt")).unwrap();
    std::os::unix::fs::symlink("../.env", p.join("nested/link")).unwrap();
    chmod_world_readable(p);
    m
}

/// Class 6 of the security review: the whole worktree was mounted, so a test
/// (one a model was steered to write) could print `.env` or a key, encoded
/// so no redaction rule matches, into output that goes to the model.
#[tokio::test(flavor = "multi_thread")]
async fn secret_files_are_empty_to_code_under_test() {
    let sb = sandbox(cfg(60)).await;
    let m = module_with_secrets();
    let r = sb.verify(m.path()).await.unwrap();
    let (status, out) = test_output(&r, "TestPrintSecrets");
    assert_eq!(status, TestStatus::Fail, "a secret was readable:\n{out}");
    assert!(out.contains("SECRETS all empty"), "{out}");
    let all = serde_json::to_string(&r).unwrap();
    let b64 = base64(format!("DB_PASSWORD={CANARY}\n").as_bytes());
    assert!(!all.contains(CANARY) && !all.contains(&b64), "{all}");
    assert_eq!(
        r.masked,
        vec![".env", "certs/server.key", "nested/deep/prod.env"],
        "symlinks are not masked themselves: they read the masked file"
    );
    assert!(
        r.summary_for_model(8000)
            .contains("secret files were empty")
    );
    // The files themselves are untouched.
    assert!(
        std::fs::read_to_string(m.path().join(".env"))
            .unwrap()
            .contains(CANARY)
    );

    // The same test with masking off reads the secret: the test can fail.
    let open = sandbox(SandboxConfig {
        mask_secret_files: false,
        ..cfg(60)
    })
    .await;
    let r = open.verify(m.path()).await.unwrap();
    let (status, out) = test_output(&r, "TestPrintSecrets");
    assert_eq!(status, TestStatus::Pass, "{out}");
    assert!(r.masked.is_empty());
    still_works(&sb).await;
}
