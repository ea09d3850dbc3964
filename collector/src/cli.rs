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
    /// Refit the PRE and duration models from the profiles; write data/models/ and data/calibration.json.
    Fit {
        /// Folder of profiles.
        #[arg(long, default_value = "data/profiles")]
        profiles: PathBuf,
        /// Data folder to write into.
        #[arg(long, default_value = "data")]
        out: PathBuf,
    },
    /// Report each method's accuracy on the measured runs.
    Eval {
        /// Folder of profiles.
        #[arg(long, default_value = "data/profiles")]
        profiles: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Also write the Markdown report here (docs/accuracy.md).
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
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
    /// Turn nvidia-smi CSV logs (`--query-gpu=timestamp,name,power.draw,… --format=csv`) into one profile.
    ///
    /// Both header styles are read (`power.draw [W]` and renamed `gpu_power_draw`), plain or gzipped;
    /// several files are several GPUs of one run.
    NvidiaSmi {
        /// The CSV logs.
        #[arg(required = true)]
        csv: Vec<PathBuf>,
        /// Output profile (`.json` or `.json.gz`).
        #[arg(short, long)]
        output: PathBuf,
        /// Run metadata.
        #[command(flatten)]
        meta: MetaArgs,
    },
    /// Maintainers: build data/profiles/seaa2023 from the SEAA 2023 run table and raw traces.
    Seaa {
        /// The `data/metrics` folder of the SEAA replication package.
        #[arg(long, default_value = "../shared/paper-data/seaa2023_ect/data/metrics")]
        from: PathBuf,
        /// Output folder.
        #[arg(long, default_value = "data/profiles/seaa2023")]
        out: PathBuf,
    },
    /// Maintainers: build data/profiles/zeus from the Zeus NSDI '23 power traces.
    Zeus {
        /// The folder holding `summary_power_<gpu>.csv`.
        #[arg(long, default_value = "../shared/anchor-data/zeus-nsdi23-trace")]
        from: PathBuf,
        /// Output folder.
        #[arg(long, default_value = "data/profiles/zeus")]
        out: PathBuf,
    },
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

/// Run metadata given on the command line (or in a JSON file), shared by `import nvidia-smi` and `record`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MetaArgs {
    /// A JSON file with the run metadata (the profile's `meta` object); flags override its fields.
    #[arg(long)]
    pub meta: Option<PathBuf>,
    /// Catalogue architecture id (`tv-resnet50`).
    #[arg(long)]
    pub arch: Option<String>,
    /// Batch size.
    #[arg(long)]
    pub batch: Option<u32>,
    /// Training samples per epoch (tokens for language models).
    #[arg(long)]
    pub samples: Option<u64>,
    /// Planned epochs.
    #[arg(long)]
    pub epochs: Option<u32>,
    /// Square input size in pixels.
    #[arg(long)]
    pub input: Option<u32>,
    /// Precision (fp32, tf32, fp16, bf16).
    #[arg(long)]
    pub precision: Option<String>,
    /// Framework (`pytorch 2.5`).
    #[arg(long)]
    pub framework: Option<String>,
}
