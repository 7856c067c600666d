//! A map of a Go module for choosing what a model gets to read: packages,
//! files, top-level declarations with line ranges, imports, and which
//! identifiers each file uses; cached between runs and invalidated by file
//! content hashes; and a ranking that turns a task (and an architect's
//! design) into a working set of whole files and single declarations that
//! fits a token budget.

pub mod cache;
pub mod lexer;
pub mod module;
pub mod parse;
pub mod select;

pub use module::{BuildStats, Decl, FileEntry, MapError, ModuleMap, Sym, build};
pub use parse::DeclKind;
pub use select::{Item, Query, WorkingSet, fill, rank, select};
