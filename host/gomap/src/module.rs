//! The map of a whole module, built in parallel, with an on-disk cache
//! whose entries are keyed by file content hash (sha256). A file whose size
//! and modification time are unchanged is trusted without reading (as git's
//! index does); any other file is read and hashed, and re-parsed only when
//! its hash changed.

use crate::parse::{DeclKind, parse};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// An interned identifier or path: an index into [`ModuleMap::symbols`].
pub type Sym = u32;

/// A top-level declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decl {
    pub name: Sym,
    pub kind: DeclKind,
    pub recv: Option<Sym>,
    pub start: u32,
    pub end: u32,
}

/// One file of the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Path relative to the module root, `/`-separated.
    pub path: String,
    pub size: u64,
    pub mtime_ns: i64,
    pub sha256: [u8; 32],
    pub package: Sym,
    pub lines: u32,
    /// (name used in the file, import path)
    pub imports: Vec<(Sym, Sym)>,
    pub decls: Vec<Decl>,
    pub refs: Vec<Sym>,
    /// (import path, selected name)
    pub qrefs: Vec<(Sym, Sym)>,
}

impl FileEntry {
    pub fn is_test(&self) -> bool {
        self.path.ends_with("_test.go")
    }
    /// Directory of the file: its package's directory.
    pub fn dir(&self) -> &str {
        self.path.rfind('/').map(|i| &self.path[..i]).unwrap_or("")
    }
}

/// The map of a module.
#[derive(Debug, Clone, Default)]
pub struct ModuleMap {
    /// Module path from go.mod (empty when there is none).
    pub module_path: String,
    pub symbols: Vec<String>,
    index: HashMap<String, Sym>,
    /// Sorted by path.
    pub files: Vec<FileEntry>,
}

/// What a build did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BuildStats {
    pub files: usize,
    /// Read and parsed.
    pub parsed: usize,
    /// Read and hashed, unchanged content: the cached map kept.
    pub rehashed: usize,
    /// Trusted from the cache by size and modification time.
    pub trusted: usize,
    pub bytes_read: u64,
    pub lines: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the map cache {0} is not a map cache of this version")]
    BadCache(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> MapError + '_ {
    move |source| MapError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl ModuleMap {
    pub fn sym(&self, s: Sym) -> &str {
        self.symbols
            .get(s as usize)
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The symbol of `s`, if any file uses it.
    pub fn lookup(&self, s: &str) -> Option<Sym> {
        self.index.get(s).copied()
    }

    fn intern(&mut self, s: &str) -> Sym {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.symbols.len() as Sym;
        self.symbols.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }

    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.files[i])
    }

    /// Number of source lines mapped.
    pub fn lines(&self) -> u64 {
        self.files.iter().map(|f| u64::from(f.lines)).sum()
    }
}

/// Go files under `root`, skipping what the go tool skips (`testdata`,
/// directories starting with `.` or `_`) and `vendor`.
fn go_files(root: &Path) -> Result<Vec<(String, PathBuf, u64, i64)>, MapError> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(io(&dir))?;
        for e in rd.flatten() {
            // A name that is not UTF-8 or has no canonical repository
            // spelling (control characters, invisible formatting ones) is
            // left out: the map reaches prompts, where such a name could
            // break out of the fence around repository text.
            let Some(name) = e.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if coop_core::path::canonical_path(&name).as_deref() != Ok(name.as_str()) {
                continue;
            }
            let Ok(ft) = e.file_type() else { continue };
            let child_rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if ft.is_dir() {
                if name.starts_with('.')
                    || name.starts_with('_')
                    || name == "testdata"
                    || name == "vendor"
                {
                    continue;
                }
                stack.push((e.path(), child_rel));
            } else if ft.is_file() && name.ends_with(".go") {
                let Ok(md) = e.metadata() else { continue };
                let mtime = md
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map(|d| d.as_nanos() as i64)
                    .unwrap_or(0);
                out.push((child_rel, e.path(), md.len(), mtime));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// A parsed file before interning (built on worker threads).
struct Loose {
    package: String,
    lines: u32,
    imports: Vec<(String, String)>,
    decls: Vec<(String, DeclKind, Option<String>, u32, u32)>,
    refs: Vec<String>,
    qrefs: Vec<(String, String)>,
}

fn loose(src: &str) -> Loose {
    let p = parse(src);
    Loose {
        package: p.package.to_string(),
        lines: p.lines,
        imports: p
            .imports
            .iter()
            .map(|i| (i.name.to_string(), i.path.to_string()))
            .collect(),
        decls: p
            .decls
            .iter()
            .map(|d| {
                (
                    d.name.to_string(),
                    d.kind,
                    d.recv.map(str::to_string),
                    d.start,
                    d.end,
                )
            })
            .collect(),
        refs: p.refs.iter().map(|r| r.to_string()).collect(),
        qrefs: p
            .qrefs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    }
}

enum Work {
    /// Cached entry index, trusted by stat.
    Trusted(usize),
    /// Content hash matched a cached entry (index).
    Same(usize, [u8; 32], u64),
    New([u8; 32], u64, Loose),
}

/// Build (or refresh) the map of the module at `root`. With `cache`, the
/// previous map is loaded from that file when it exists and is valid, and
/// the new map is written back.
pub fn build(root: &Path, cache: Option<&Path>) -> Result<(ModuleMap, BuildStats), MapError> {
    let old = match cache {
        Some(c) if c.exists() => crate::cache::load(c).ok(),
        _ => None,
    };
    let found = go_files(root)?;
    let old_by_path: HashMap<&str, usize> = old
        .as_ref()
        .map(|m| {
            m.files
                .iter()
                .enumerate()
                .map(|(i, f)| (f.path.as_str(), i))
                .collect()
        })
        .unwrap_or_default();
    let old_by_hash: HashMap<[u8; 32], usize> = old
        .as_ref()
        .map(|m| {
            m.files
                .iter()
                .enumerate()
                .map(|(i, f)| (f.sha256, i))
                .collect()
        })
        .unwrap_or_default();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let chunk = found.len().div_ceil(workers).max(1);
    let results: Vec<Result<Work, MapError>> = std::thread::scope(|s| {
        let handles: Vec<_> = found
            .chunks(chunk)
            .map(|part| {
                let old = old.as_ref();
                let (by_path, by_hash) = (&old_by_path, &old_by_hash);
                s.spawn(move || {
                    part.iter()
                        .map(|(rel, abs, size, mtime)| {
                            if let (Some(m), Some(&i)) = (old, by_path.get(rel.as_str())) {
                                let f = &m.files[i];
                                if f.size == *size && f.mtime_ns == *mtime && *mtime != 0 {
                                    return Ok(Work::Trusted(i));
                                }
                            }
                            let bytes = std::fs::read(abs).map_err(io(abs))?;
                            let sha: [u8; 32] = Sha256::digest(&bytes).into();
                            if let Some(&i) = by_hash.get(&sha) {
                                return Ok(Work::Same(i, sha, bytes.len() as u64));
                            }
                            let text = String::from_utf8_lossy(&bytes);
                            Ok(Work::New(sha, bytes.len() as u64, loose(&text)))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut map = ModuleMap {
        module_path: module_path(root),
        ..ModuleMap::default()
    };
    let mut stats = BuildStats {
        files: found.len(),
        ..BuildStats::default()
    };
    // Reuse the old symbol table so cached entries keep their symbols.
    if let Some(o) = &old {
        map.symbols = o.symbols.clone();
        map.index = o.index.clone();
    }
    for ((rel, _, size, mtime), w) in found.iter().zip(results) {
        let entry = match w? {
            Work::Trusted(i) => {
                stats.trusted += 1;
                old.as_ref().map(|m| m.files[i].clone())
            }
            Work::Same(i, sha, n) => {
                stats.rehashed += 1;
                stats.bytes_read += n;
                old.as_ref().map(|m| FileEntry {
                    path: rel.clone(),
                    size: *size,
                    mtime_ns: *mtime,
                    sha256: sha,
                    ..m.files[i].clone()
                })
            }
            Work::New(sha, n, l) => {
                stats.parsed += 1;
                stats.bytes_read += n;
                Some(intern_file(&mut map, rel, *size, *mtime, sha, l))
            }
        };
        if let Some(e) = entry {
            stats.lines += u64::from(e.lines);
            map.files.push(e);
        }
    }
    if let (Some(c), true) = (cache, stats.parsed + stats.rehashed > 0 || old.is_none()) {
        crate::cache::save(&map, c)?;
    }
    Ok((map, stats))
}

fn intern_file(
    map: &mut ModuleMap,
    rel: &str,
    size: u64,
    mtime: i64,
    sha: [u8; 32],
    l: Loose,
) -> FileEntry {
    let package = map.intern(&l.package);
    let imports = l
        .imports
        .iter()
        .map(|(n, p)| (map.intern(n), map.intern(p)))
        .collect();
    let decls = l
        .decls
        .iter()
        .map(|(n, k, r, s, e)| Decl {
            name: map.intern(n),
            kind: *k,
            recv: r.as_deref().map(|r| map.intern(r)),
            start: *s,
            end: *e,
        })
        .collect();
    let refs = l.refs.iter().map(|r| map.intern(r)).collect();
    let qrefs = l
        .qrefs
        .iter()
        .map(|(a, b)| (map.intern(a), map.intern(b)))
        .collect();
    FileEntry {
        path: rel.to_string(),
        size,
        mtime_ns: mtime,
        sha256: sha,
        package,
        lines: l.lines,
        imports,
        decls,
        refs,
        qrefs,
    }
}

fn module_path(root: &Path) -> String {
    std::fs::read_to_string(root.join("go.mod"))
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.trim()
                    .strip_prefix("module ")
                    .map(|m| m.trim().trim_matches('"').to_string())
            })
        })
        .unwrap_or_default()
}

/// Rebuild the lookup index after loading symbols from a cache.
pub(crate) fn from_parts(
    module_path: String,
    symbols: Vec<String>,
    files: Vec<FileEntry>,
) -> ModuleMap {
    let index = symbols
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), i as Sym))
        .collect();
    ModuleMap {
        module_path,
        symbols,
        index,
        files,
    }
}
