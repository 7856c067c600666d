//! A Go module proxy for tests: module versions built in the test (files,
//! zips, go.sum hashes), served over HTTP on 127.0.0.1 with the GOPROXY
//! protocol (`<module>/@v/list`, `.info`, `.mod`, `.zip`), and laid out as a
//! module cache the way `go mod download` leaves one. Shared by
//! sandbox/tests/docker_modules.rs and tests/e2e/modules.rs (included by
//! `#[path]`), which need axum, sha2 and tokio.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------- modules

/// A module version of the test proxy: its files (paths inside the module).
pub struct ModVer {
    pub path: &'static str,
    pub version: &'static str,
    pub files: Vec<(&'static str, String)>,
}

impl ModVer {
    pub fn go_mod(&self) -> &str {
        &self.files.iter().find(|(n, _)| *n == "go.mod").unwrap().1
    }

    /// The module zip: every file under `<path>@<version>/`.
    pub fn zip(&self) -> Vec<u8> {
        let entries: Vec<(String, &[u8])> = self
            .files
            .iter()
            .map(|(n, b)| (format!("{}@{}/{n}", self.path, self.version), b.as_bytes()))
            .collect();
        stored_zip(&entries)
    }

    /// go.sum's `h1:` of the zip (dirhash.Hash1 over the zip's file names).
    pub fn h1(&self) -> String {
        h1(self
            .files
            .iter()
            .map(|(n, b)| (format!("{}@{}/{n}", self.path, self.version), b.as_bytes())))
    }

    /// go.sum's `h1:` of the go.mod (dirhash.Hash1 of one file "go.mod").
    pub fn h1_mod(&self) -> String {
        h1(std::iter::once((
            "go.mod".to_string(),
            self.go_mod().as_bytes(),
        )))
    }

    pub fn go_sum_lines(&self) -> String {
        format!(
            "{p} {v} {}\n{p} {v}/go.mod {}\n",
            self.h1(),
            self.h1_mod(),
            p = self.path,
            v = self.version
        )
    }
}

/// `example.test/greet v1.0.0`, which requires `example.test/words v1.1.0`.
pub fn deps() -> Vec<ModVer> {
    vec![
        ModVer {
            path: "example.test/greet",
            version: "v1.0.0",
            files: vec![
                (
                    "go.mod",
                    "module example.test/greet\n\ngo 1.22\n\nrequire example.test/words v1.1.0\n"
                        .into(),
                ),
                (
                    "greet.go",
                    "// Package greet greets.\npackage greet\n\nimport \"example.test/words\"\n\n// Hello greets name.\nfunc Hello(name string) string { return words.Hello + \", \" + name }\n"
                        .into(),
                ),
            ],
        },
        ModVer {
            path: "example.test/words",
            version: "v1.1.0",
            files: vec![
                ("go.mod", "module example.test/words\n\ngo 1.22\n".into()),
                (
                    "words.go",
                    "// Package words holds words.\npackage words\n\n// Hello is a greeting.\nconst Hello = \"hello\"\n"
                        .into(),
                ),
            ],
        },
    ]
}

/// A module of the proxy that the test module does not name: a user cache
/// holding it must not show it to code under test.
pub fn other_module() -> ModVer {
    ModVer {
        path: "example.test/private",
        version: "v1.0.0",
        files: vec![
            ("go.mod", "module example.test/private\n\ngo 1.22\n".into()),
            (
                "secret.go",
                "package private\n\nconst Token = \"PRIVATE-MODULE-CANARY\"\n".into(),
            ),
        ],
    }
}

pub fn go_sum() -> String {
    deps().iter().map(ModVer::go_sum_lines).collect()
}

/// Lay `mods` out as the go command leaves a module cache after
/// `go mod download`: `cache/download/<path>/@v/<version>.{info,mod,zip,ziphash}`
/// and the extracted `<path>@<version>/`.
pub fn fill_cache(root: &Path, mods: &[ModVer]) {
    for m in mods {
        let dl = root.join("cache/download").join(m.path).join("@v");
        std::fs::create_dir_all(&dl).unwrap();
        std::fs::write(dl.join(format!("{}.info", m.version)), info(m.version)).unwrap();
        std::fs::write(dl.join(format!("{}.mod", m.version)), m.go_mod()).unwrap();
        std::fs::write(dl.join(format!("{}.zip", m.version)), m.zip()).unwrap();
        std::fs::write(dl.join(format!("{}.ziphash", m.version)), m.h1()).unwrap();
        let dir = root.join(format!("{}@{}", m.path, m.version));
        for (n, body) in &m.files {
            std::fs::create_dir_all(dir.join(n).parent().unwrap()).unwrap();
            std::fs::write(dir.join(n), body).unwrap();
        }
    }
    world_readable(root);
}

/// Make a tree readable by the container's unprivileged user.
pub fn world_readable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(p).unwrap();
    let mode = if meta.is_dir() { 0o755 } else { 0o644 };
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    if meta.is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            world_readable(&e.unwrap().path());
        }
    }
}

pub fn info(version: &str) -> String {
    format!("{{\"Version\":\"{version}\",\"Time\":\"2024-01-01T00:00:00Z\"}}")
}

// ------------------------------------------------------------- hashing, zip

pub fn h1<'a>(files: impl Iterator<Item = (String, &'a [u8])>) -> String {
    let mut lines: Vec<String> = files
        .map(|(name, body)| format!("{:x}  {name}\n", Sha256::digest(body)))
        .collect();
    lines.sort();
    format!("h1:{}", base64(&Sha256::digest(lines.concat().as_bytes())))
}

pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip of `entries` stored without compression (valid for Go's
/// archive/zip and golang.org/x/mod/zip).
pub fn stored_zip(entries: &[(String, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, body) in entries {
        let offset = out.len() as u32;
        let crc = crc32(body);
        let len = body.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&0u16.to_le_bytes()); // stored
            h.extend_from_slice(&0u16.to_le_bytes()); // time
            h.extend_from_slice(&0x21u16.to_le_bytes()); // 1980-01-01
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&len.to_le_bytes());
            h.extend_from_slice(&len.to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&[0; 6]); // comment, disk, internal attrs
                h.extend_from_slice(&0u32.to_le_bytes()); // external attrs
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(body);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    let n = entries.len() as u16;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

// ------------------------------------------------------------------ proxy

/// A module proxy on 127.0.0.1 (GOPROXY protocol), recording every request.
pub struct Proxy {
    pub url: String,
    pub requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Files = Arc<BTreeMap<String, Vec<u8>>>;

pub async fn proxy(mods: &[ModVer]) -> Proxy {
    let mut files = BTreeMap::new();
    let mut lists: BTreeMap<&str, String> = BTreeMap::new();
    for m in mods {
        let base = format!("/{}/@v/{}", m.path, m.version);
        files.insert(format!("{base}.info"), info(m.version).into_bytes());
        files.insert(format!("{base}.mod"), m.go_mod().as_bytes().to_vec());
        files.insert(format!("{base}.zip"), m.zip());
        lists
            .entry(m.path)
            .or_default()
            .push_str(&format!("{}\n", m.version));
    }
    for (p, list) in lists {
        files.insert(format!("/{p}/@v/list"), list.into_bytes());
    }
    let requests = Arc::new(Mutex::new(Vec::new()));
    let state = (Arc::new(files), requests.clone());
    async fn serve(
        State((files, log)): State<(Files, Arc<Mutex<Vec<String>>>)>,
        uri: Uri,
    ) -> (StatusCode, Vec<u8>) {
        log.lock().unwrap().push(uri.path().to_string());
        match files.get(uri.path()) {
            Some(b) => (StatusCode::OK, b.clone()),
            // 404: "not found here", so go tries the next proxy of a list.
            None => (StatusCode::NOT_FOUND, b"not found".to_vec()),
        }
    }
    let router = axum::Router::new().fallback(serve).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Proxy {
        url,
        requests,
        task,
    }
}
