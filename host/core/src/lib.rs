//! `coop-core`: the types every other crate shares and the workflow state
//! machine. This crate does no I/O: no files, no clock, no network, no
//! processes. Everything it decides is a pure function of its inputs, which is
//! what lets the workflow be tested exhaustively and replayed exactly.

pub mod baseline;
pub mod conflict;
pub mod context;
pub mod evidence;
pub mod exit;
pub mod floor;
pub mod hash;
pub mod path;
pub mod requested;
pub mod secrets;
pub mod types;
pub mod verify;
pub mod workflow;

pub use exit::Outcome;
pub use types::*;
pub use verify::*;
