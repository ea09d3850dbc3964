//! `wattcast`: the command-line shell over the estimator. Parsing lives in `cli`, each command in
//! `commands`, the importers in `import`. Exit codes: 0 success, 1 failure, 2 bad input.

use std::process::ExitCode;

use clap::Parser;
use collector::{cli, commands, error, import};

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match commands::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            // Bad input (a flag, a metadata file) is exit 2; anything else that failed is exit 1.
            if e.downcast_ref::<import::meta::MetaError>().is_some() || e.downcast_ref::<error::FlagError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
