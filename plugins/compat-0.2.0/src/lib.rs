//! A role plugin built against the frozen `coop:mob@0.2.0` WIT
//! (`wit/frozen/0.2.0/`), as a third party's plugin from before 0.2.1 would
//! be. `host/plugins/tests/hostile.rs` loads it on the current host: its
//! imports name `@0.2.0` and must resolve to the host's 0.2.1 definitions.
//! It reads `README.md`, logs, and answers with what it read.

wit_bindgen::generate!({
    world: "role",
    path: "../../wit/frozen/0.2.0",
});

use coop::mob::types::Navigation;
use coop::mob::{log, workspace};

coop_plugin_sdk::embed_manifest!("manifest.json");

struct Compat;

impl Guest for Compat {
    fn run(h: Handoff) -> Result<RoleOutput, RoleFailure> {
        let read = match workspace::read_file("README.md") {
            Ok(t) => format!("ok:{}", t.trim()),
            Err(e) => format!("err:{e:?}"),
        };
        log::write(log::Level::Info, "compat 0.2.0 plugin ran");
        Ok(RoleOutput::Navigation(Navigation {
            summary: format!("compat-0.2.0 seq {}: {read}", h.seq),
            next_steps: Vec::new(),
            blockers: Vec::new(),
            question: None,
        }))
    }
}

export!(Compat);
