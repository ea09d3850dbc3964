//! Command-line arguments (raw, as clap parses them). Validation happens in the commands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// WattCast: estimate, and later measure, the energy, carbon and cost of training a model on a GPU.
#[derive(Debug, Parser)]
#[command(name = "wattcast", version, about, propagate_version = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Estimate a training run from a share link or query string, with every method.
    ///
    /// Example: wattcast estimate 'arch=tv-resnet50&gpu=nvidia-a100-sxm4-80gb&epochs=90&region=FR'
    Estimate {
        /// A query string (`arch=…&gpu=…`) or a full share URL.
        query: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Maintainer commands: build the project's data files from public source tables.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write the JSON Schemas of the data formats (generated from the Rust types).
    Schema {
        /// Output folder.
        #[arg(long, default_value = "data/schema/v1")]
        out: PathBuf,
    },
}

/// `wattcast import …`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Build data/gpus.json, data/architectures.json and data/regions.json.
    Catalog {
        /// The folder holding `catalog-facts/` and `anchor-data/`.
        #[arg(long, default_value = "../shared")]
        from: PathBuf,
        /// Output folder.
        #[arg(long, default_value = "data")]
        out: PathBuf,
        /// Data version to stamp on the files.
        #[arg(long, default_value = crate::commands::import::DATA_VERSION)]
        data_version: String,
    },
}
