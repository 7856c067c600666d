#![allow(clippy::unwrap_used, clippy::expect_used)]

use coop_workspace::resolve_confined;
use proptest::prelude::*;
use std::fs;

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_string()),
        Just(".".to_string()),
        Just("".to_string()),
        Just(".git".to_string()),
        Just(".GiT".to_string()),
        Just("dir".to_string()),
        Just("file".to_string()),
        Just("out".to_string()),
        Just("in".to_string()),
        Just("C:".to_string()),
        Just("\\..".to_string()),
        Just("\0".to_string()),
        "[a-z./\\\\:~ ]{0,6}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_escapes_root(parts in prop::collection::vec(segment(), 0..6), lead in prop_oneof![Just(""), Just("/"), Just("./")]) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        fs::create_dir_all(root.join("dir")).unwrap();
        fs::write(root.join("dir/file"), "x").unwrap();
        std::os::unix::fs::symlink(tmp.path(), root.join("out")).unwrap();
        std::os::unix::fs::symlink(root.join("dir"), root.join("in")).unwrap();
        let canonical = root.canonicalize().unwrap();

        let rel = format!("{lead}{}", parts.join("/"));
        if let Ok(p) = resolve_confined(&root, &rel) {
            prop_assert!(p.starts_with(&canonical), "{rel:?} -> {p:?}");
            prop_assert!(p != canonical);
            let inner = p.strip_prefix(&canonical).unwrap();
            for c in inner.components() {
                let c = c.as_os_str().to_string_lossy().to_ascii_lowercase();
                prop_assert!(c != ".." && c != ".git", "{rel:?} -> {p:?}");
            }
            // No existing prefix is a symlink.
            let mut cur = canonical.clone();
            for c in inner.components() {
                cur.push(c);
                if let Ok(m) = cur.symlink_metadata() {
                    prop_assert!(!m.file_type().is_symlink(), "{rel:?} -> {p:?}");
                }
            }
        }
    }

    #[test]
    fn arbitrary_strings(rel in any::<String>()) {
        let tmp = tempfile::tempdir().unwrap();
        let canonical = tmp.path().canonicalize().unwrap();
        if let Ok(p) = resolve_confined(tmp.path(), &rel) {
            prop_assert!(p.starts_with(&canonical) && p != canonical, "{rel:?} -> {p:?}");
        }
    }
}
