//! Guards over what comes from outside the host's trust: repository content,
//! tool output and model replies.
//!
//! - [`risk`]: which proposed edits are *risky actions* that need the user's
//!   explicit yes (deleting files, changing dependencies, touching CI or
//!   scripts, editing outside the files in scope, adding code generators or
//!   cgo), and the `--allow` classes that pre-approve them.
//! - [`injection`]: detection of instructions embedded in content that is
//!   data to the models ("ignore previous instructions", "run this",
//!   "send the .env", fake chat-role markers, invisible characters).
//!
//! Both are pure functions over text, so they are tested exhaustively here;
//! the CLI decides what to do with their verdicts (ask, refuse, audit).

pub mod injection;
pub mod risk;

pub use injection::{Detector, InjectionHit, InjectionKind, neutralise_hidden};
pub use risk::{AllowSet, BatchView, ParseAllowError, RiskClass, classify};
