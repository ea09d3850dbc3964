//! One module per command; `run` dispatches.

pub mod devices;
pub mod estimate;
pub mod fit;
pub mod import;
pub mod record;
pub mod references;
pub mod schema;
pub mod validate;

use std::process::ExitCode;

use crate::cli::{Cli, Command, ImportCommand};
pub use crate::profiles::{to_pretty_json, write_atomic};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Estimate { query, json } => estimate::run(&query, json),
        Command::Record(args) => record::run(&args),
        Command::Devices { json } => devices::run(json),
        Command::Validate { profiles, json } => validate::run(&profiles, json),
        Command::Merge { profiles, output } => validate::merge(&profiles, &output),
        Command::Import(ImportCommand::Catalog {
            from,
            supplement,
            transformers,
            activations,
            gcp_yearly,
            out,
            data_version,
        }) => import::catalog(&from, &supplement, &transformers, &activations, &gcp_yearly, &out, &data_version),
        Command::Import(ImportCommand::Benchmarks { from, out, data_version }) => {
            import::benchmarks(&from, &out, &data_version)
        }
        Command::Import(ImportCommand::Timm { from, out, data_version }) => import::timm(&from, &out, &data_version),
        Command::Import(ImportCommand::LlmTables { from, out, data_version }) => {
            import::llm_tables(&from, &out, &data_version)
        }
        Command::Import(ImportCommand::NvidiaSmi { csv, output, meta }) => import::nvidia_smi(&csv, &output, &meta),
        Command::Import(ImportCommand::Seaa { from, out }) => import::seaa(&from, &out),
        Command::Import(ImportCommand::Zeus { from, out }) => import::zeus(&from, &out),
        Command::Schema { out } => schema::run(&out),
        Command::Fit { inputs, out, markdown } => fit::run_fit(&inputs.sources(), &out, markdown.as_deref()),
        Command::References { markdown } => references::run(markdown.as_deref()),
        Command::Eval { inputs, json, markdown } => fit::run_eval(&inputs.sources(), json, markdown.as_deref()),
    }
}
