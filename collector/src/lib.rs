//! The `wattcast` CLI as a library: the same modules the binary runs, exposed so that the fuzz targets
//! (`fuzz/`) and tests can drive the importers and parsers directly. `main.rs` is a thin shell over it.

pub mod cli;
pub mod commands;
pub mod distributed;
pub mod error;
pub mod import;
pub mod profiles;
pub mod record;
pub mod recorder;
pub mod source;
