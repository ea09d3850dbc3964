//! One module per command; `run` dispatches.

pub mod devices;
pub mod estimate;
pub mod fit;
pub mod import;
pub mod record;
pub mod references;
pub mod schema;
pub mod validate;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, Command, ImportCommand};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Estimate { query, json } => estimate::run(&query, json),
        Command::Record(args) => record::run(&args),
        Command::Devices { json } => devices::run(json),
        Command::Validate { profiles, json } => validate::run(&profiles, json),
        Command::Merge { profiles, output } => validate::merge(&profiles, &output),
        Command::Import(ImportCommand::Catalog { from, supplement, transformers, out, data_version }) => {
            import::catalog(&from, &supplement, &transformers, &out, &data_version)
        }
        Command::Import(ImportCommand::Benchmarks { from, out, data_version }) => {
            import::benchmarks(&from, &out, &data_version)
        }
        Command::Import(ImportCommand::NvidiaSmi { csv, output, meta }) => import::nvidia_smi(&csv, &output, &meta),
        Command::Import(ImportCommand::Seaa { from, out }) => import::seaa(&from, &out),
        Command::Import(ImportCommand::Zeus { from, out }) => import::zeus(&from, &out),
        Command::Schema { out } => schema::run(&out),
        Command::Fit { profiles, benchmarks, out } => fit::run_fit(&profiles, &benchmarks, &out),
        Command::References { markdown } => references::run(markdown.as_deref()),
        Command::Eval { profiles, benchmarks, json, markdown } => {
            fit::run_eval(&profiles, &benchmarks, json, markdown.as_deref())
        }
    }
}

/// Writes a file atomically (temporary file, then rename), creating its folder.
pub fn write_atomic(path: &Path, contents: &str) -> anyhow::Result<()> {
    write_atomic_bytes(path, contents.as_bytes())
}

/// [`write_atomic`] for bytes.
pub fn write_atomic_bytes(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, contents).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))
}

/// Pretty JSON with a trailing newline: the layout of every committed data file.
pub fn to_pretty_json<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}
