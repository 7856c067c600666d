//! The map cache file: a compact binary encoding (little-endian integers,
//! interned strings), because the warm path must load a standard-library
//! sized map in well under 200 ms; JSON of the same map takes longer to
//! parse than the whole warm check. Written atomically (temp file, rename);
//! a file that does not decode is ignored and rebuilt.

use crate::module::{Decl, FileEntry, MapError, ModuleMap, from_parts};
use crate::parse::DeclKind;
use std::path::Path;

const MAGIC: &[u8; 8] = b"COOPMAP1";
const NONE: u32 = u32::MAX;

struct W(Vec<u8>);

impl W {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
}

struct R<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> R<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.i..self.i.checked_add(n)?)?;
        self.i += n;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn str(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    /// A count, bounded by what the remaining bytes could hold.
    fn count(&mut self, min_item_bytes: usize) -> Option<usize> {
        let n = self.u32()? as usize;
        (n.saturating_mul(min_item_bytes) <= self.b.len() - self.i).then_some(n)
    }
}

pub fn encode(m: &ModuleMap) -> Vec<u8> {
    let mut w = W(Vec::with_capacity(
        m.symbols.len() * 12 + m.files.len() * 512,
    ));
    w.0.extend_from_slice(MAGIC);
    w.str(&m.module_path);
    w.u32(m.symbols.len() as u32);
    for s in &m.symbols {
        w.str(s);
    }
    w.u32(m.files.len() as u32);
    for f in &m.files {
        w.str(&f.path);
        w.u64(f.size);
        w.u64(f.mtime_ns as u64);
        w.0.extend_from_slice(&f.sha256);
        w.u32(f.package);
        w.u32(f.lines);
        w.u32(f.imports.len() as u32);
        for (a, b) in &f.imports {
            w.u32(*a);
            w.u32(*b);
        }
        w.u32(f.decls.len() as u32);
        for d in &f.decls {
            w.u32(d.name);
            w.0.push(d.kind.code());
            w.u32(d.recv.unwrap_or(NONE));
            w.u32(d.start);
            w.u32(d.end);
        }
        w.u32(f.refs.len() as u32);
        for r in &f.refs {
            w.u32(*r);
        }
        w.u32(f.qrefs.len() as u32);
        for (a, b) in &f.qrefs {
            w.u32(*a);
            w.u32(*b);
        }
    }
    w.0
}

pub fn decode(b: &[u8]) -> Option<ModuleMap> {
    let mut r = R { b, i: 0 };
    if r.take(8)? != MAGIC {
        return None;
    }
    let module_path = r.str()?;
    let ns = r.count(4)?;
    let mut symbols = Vec::with_capacity(ns);
    for _ in 0..ns {
        symbols.push(r.str()?);
    }
    let valid = |s: u32| (s as usize) < ns;
    let nf = r.count(64)?;
    let mut files = Vec::with_capacity(nf);
    for _ in 0..nf {
        let path = r.str()?;
        let size = r.u64()?;
        let mtime_ns = r.u64()? as i64;
        let sha256: [u8; 32] = r.take(32)?.try_into().ok()?;
        let package = r.u32()?;
        let lines = r.u32()?;
        let n = r.count(8)?;
        let mut imports = Vec::with_capacity(n);
        for _ in 0..n {
            let (a, b) = (r.u32()?, r.u32()?);
            (valid(a) && valid(b)).then_some(())?;
            imports.push((a, b));
        }
        let n = r.count(17)?;
        let mut decls = Vec::with_capacity(n);
        for _ in 0..n {
            let name = r.u32()?;
            let kind = DeclKind::from_code(r.take(1)?[0])?;
            let recv = r.u32()?;
            let (start, end) = (r.u32()?, r.u32()?);
            (valid(name) && (recv == NONE || valid(recv))).then_some(())?;
            decls.push(Decl {
                name,
                kind,
                recv: (recv != NONE).then_some(recv),
                start,
                end,
            });
        }
        let n = r.count(4)?;
        let mut refs = Vec::with_capacity(n);
        for _ in 0..n {
            let s = r.u32()?;
            valid(s).then_some(())?;
            refs.push(s);
        }
        let n = r.count(8)?;
        let mut qrefs = Vec::with_capacity(n);
        for _ in 0..n {
            let (a, b) = (r.u32()?, r.u32()?);
            (valid(a) && valid(b)).then_some(())?;
            qrefs.push((a, b));
        }
        valid(package).then_some(())?;
        files.push(FileEntry {
            path,
            size,
            mtime_ns,
            sha256,
            package,
            lines,
            imports,
            decls,
            refs,
            qrefs,
        });
    }
    (r.i == b.len()).then(|| from_parts(module_path, symbols, files))
}

pub fn load(path: &Path) -> Result<ModuleMap, MapError> {
    let b = std::fs::read(path).map_err(|source| MapError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode(&b).ok_or_else(|| MapError::BadCache(path.to_path_buf()))
}

pub fn save(m: &ModuleMap, path: &Path) -> Result<(), MapError> {
    let err = |source| MapError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, encode(m)).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}
