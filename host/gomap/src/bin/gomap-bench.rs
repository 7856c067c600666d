//! Benchmark of the module map on a large real corpus: by default the Go
//! standard library of the `go` on PATH (about three million lines).
//! Prints the cold build (no cache), the warm build (cache, nothing
//! changed), the working-set choice for a few tasks, and peak memory;
//! each time also as a ratio to a baseline measured in the same run
//! (reading and hashing every file: the I/O floor of a cold build).
//!
//! Usage: gomap-bench [ROOT]      (goals: cold ≤ 10 s, warm ≤ 200 ms, peak ≤ 1 GiB)

use coop_gomap::{Query, build, select};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn goroot_src() -> Option<PathBuf> {
    let out = std::process::Command::new("go")
        .args(["env", "GOROOT"])
        .output()
        .ok()?;
    Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("src"))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = match std::env::args().nth(1) {
        Some(r) => PathBuf::from(r),
        None => goroot_src().ok_or("no ROOT given and `go env GOROOT` failed")?,
    };
    let tmp = std::env::temp_dir().join(format!("gomap-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let cache = tmp.join("gomap.bin");

    // Baseline: read and hash every Go file once (what any content-hashed
    // cold build must at least do), on one thread.
    let t = Instant::now();
    let mut files = 0usize;
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)?.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if p.is_dir() {
                if !(name.starts_with('.')
                    || name.starts_with('_')
                    || name == "testdata"
                    || name == "vendor")
                {
                    stack.push(p);
                }
            } else if name.ends_with(".go") {
                let _ = Sha256::digest(std::fs::read(&p)?);
                files += 1;
            }
        }
    }
    let baseline = t.elapsed();

    let t = Instant::now();
    let (map, cold_stats) = build(&root, Some(&cache))?;
    let cold = t.elapsed();
    let peak_cold = peak_rss_mib();
    let cache_bytes = std::fs::metadata(&cache).map(|m| m.len()).unwrap_or(0);

    let mut warm = Vec::new();
    let mut warm_stats = None;
    for _ in 0..5 {
        let t = Instant::now();
        let (_, s) = build(&root, Some(&cache))?;
        warm.push(t.elapsed());
        warm_stats = Some(s);
    }
    let warm = median(warm);

    let tasks = [
        "Fix http.Client.Do in net/http/client.go: a redirect loses the request's Context.",
        "Add a ParseDuration unit for days to time.ParseDuration (time/format.go).",
        "strings.Builder.Grow panics with a negative count; return an error from a new TryGrow instead.",
        "Refactor encoding/json Decoder.Token to reuse tokenValueAllowed.",
    ];
    let est = |b: u64| b.div_ceil(4);
    let mut rows = Vec::new();
    for task in tasks {
        let q = Query {
            text: task.into(),
            files: vec![],
        };
        let mut times = Vec::new();
        let mut ws = None;
        for _ in 0..5 {
            let t = Instant::now();
            ws = Some(select(&map, &q, 8192, &est));
            times.push(t.elapsed());
        }
        rows.push((task, median(times), ws.unwrap_or_default()));
    }
    let peak = peak_rss_mib();

    println!(
        "module map benchmark on {} ({} Go files, {} lines, {} symbols)",
        root.display(),
        cold_stats.files,
        map.lines(),
        map.symbols.len()
    );
    println!(
        "baseline: read + sha256 of every file, one thread: {:.0} ms ({files} files)",
        ms(baseline)
    );
    println!(
        "cold build (no cache; read, hash, parse on {} threads, write the cache): {:.0} ms = {:.2}× baseline; {} parsed; cache {:.1} MiB  [goal ≤ 10 s]",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        ms(cold),
        cold.as_secs_f64() / baseline.as_secs_f64(),
        cold_stats.parsed,
        cache_bytes as f64 / 1048576.0
    );
    if let Some(s) = warm_stats {
        println!(
            "warm build (cache, nothing changed; median of 5): {:.1} ms = {:.3}× baseline; {} trusted by size+mtime, {} re-hashed, {} parsed  [goal ≤ 200 ms]",
            ms(warm),
            warm.as_secs_f64() / baseline.as_secs_f64(),
            s.trusted,
            s.rehashed,
            s.parsed
        );
    }
    for (task, t, ws) in &rows {
        let whole = ws.items.iter().filter(|i| i.decl.is_none()).count();
        println!(
            "working set (8192-token budget, median of 5): {:.1} ms; {} whole files + {} declarations, {} tokens, {} dropped; first: {} — {task}",
            ms(*t),
            whole,
            ws.items.len() - whole,
            ws.used,
            ws.dropped.len(),
            ws.items
                .first()
                .map(|i| format!(
                    "{}{}",
                    i.path,
                    i.decl
                        .as_deref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                ))
                .unwrap_or_else(|| "–".into())
        );
    }
    if let (Some(c), Some(p)) = (peak_cold, peak) {
        println!(
            "peak memory (VmHWM): {c:.0} MiB after the cold build, {p:.0} MiB at the end  [goal ≤ 1024 MiB]"
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}
