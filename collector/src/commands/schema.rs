//! `wattcast schema`: writes the JSON Schemas generated from the estimator's types.

use std::path::Path;
use std::process::ExitCode;

use super::{to_pretty_json, write_atomic};

/// Writes every schema into `out`.
pub fn run(out: &Path) -> anyhow::Result<ExitCode> {
    for (name, schema) in estimator::schema::all() {
        let path = out.join(name);
        write_atomic(&path, &to_pretty_json(&schema)?)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
