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
    /// Run a training command and record its GPUs' power into a calibration profile.
    ///
    /// Example: wattcast record --arch tv-resnet50 --batch 256 --samples 1281167 --epochs 90 -o run.json -- python train.py
    Record(RecordArgs),
    /// List the GPUs NVML sees, with their catalogue match and capabilities.
    Devices {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check profiles: schema, time order, power range, epochs, energy against samples, catalogue ids.
    Validate {
        /// Profile files (`.json` or `.json.gz`).
        #[arg(required = true)]
        profiles: Vec<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Combine the profiles of one run recorded on several nodes into one profile.
    Merge {
        /// Profiles, one per node.
        #[arg(required = true, num_args = 2..)]
        profiles: Vec<PathBuf>,
        /// Output profile.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Maintainer commands: build the project's data files from public source tables.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Refit the PRE and duration models from the profiles; write data/models/ and data/calibration.json.
    Fit {
        /// What it reads.
        #[command(flatten)]
        inputs: FitInputs,
        /// Data folder to write into.
        #[arg(long, default_value = "data")]
        out: PathBuf,
        /// Also write the accuracy report here (docs/accuracy.md), from the same fit as `wattcast eval`.
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
    /// Report each method's accuracy on the measured runs.
    Eval {
        /// What it reads.
        #[command(flatten)]
        inputs: FitInputs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Also write the Markdown report here (docs/accuracy.md).
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
    /// Compare the `tuned` estimate of GPU-hours with published training runs (model cards, papers).
    References {
        /// Write the Markdown report here (docs/references.md) instead of printing it.
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
    /// Maintainers: build data/benchmarks/throughput.json from Lambda's, NeuSight's and MLPerf's tables.
    Benchmarks {
        /// The folder holding `lambda/`, `neusight/` and `mlperf/`.
        #[arg(long, default_value = "../shared/bench-data")]
        from: PathBuf,
        /// Output file.
        #[arg(long, default_value = "data/benchmarks/throughput.json")]
        out: PathBuf,
        /// Data version to stamp on the file.
        #[arg(long, default_value = crate::import::catalog::DATA_VERSION)]
        data_version: String,
    },
    /// Maintainers: build data/benchmarks/timm.json from timm's RTX 3090 training tables (NCHW and NHWC).
    Timm {
        /// The folder holding `timm/`.
        #[arg(long, default_value = "../shared/bench-data")]
        from: PathBuf,
        /// Output file.
        #[arg(long, default_value = "data/benchmarks/timm.json")]
        out: PathBuf,
        /// Data version to stamp on the file.
        #[arg(long, default_value = crate::import::catalog::DATA_VERSION)]
        data_version: String,
    },
    /// Maintainers: build data/benchmarks/llm-tables.json from llm-foundry's MPT and torchtitan's Llama 3.1 tables.
    LlmTables {
        /// The folder holding `llm-foundry/` and `torchtitan/`.
        #[arg(long, default_value = "../shared/bench-data")]
        from: PathBuf,
        /// Output file.
        #[arg(long, default_value = "data/benchmarks/llm-tables.json")]
        out: PathBuf,
        /// Data version to stamp on the file.
        #[arg(long, default_value = crate::import::catalog::DATA_VERSION)]
        data_version: String,
    },
    /// Build data/gpus.json, data/architectures.json and data/regions.json.
    Catalog {
        /// The folder holding `catalog-facts/` and `anchor-data/`.
        #[arg(long, default_value = "../shared")]
        from: PathBuf,
        /// The project's own table of GPU specs that `gpus.csv` leaves empty (each row with its source).
        #[arg(long, default_value = "collector/facts/gpu-specs.csv")]
        supplement: PathBuf,
        /// The project's own table of transformer dimensions (layers, widths, heads, vocabulary, context, experts).
        #[arg(long, default_value = "collector/facts/transformers.csv")]
        transformers: PathBuf,
        /// The project's own table of the timm network each catalogue vision model is, with its activations per image (each row with its source).
        #[arg(long, default_value = "collector/facts/timm-networks.csv")]
        activations: PathBuf,
        /// The project's own table of Google's yearly grid intensity per Google Cloud region (each row with its year and file).
        #[arg(long, default_value = "collector/facts/gcp-region-carbon.csv")]
        gcp_yearly: PathBuf,
        /// Output folder.
        #[arg(long, default_value = "data")]
        out: PathBuf,
        /// Data version to stamp on the files.
        #[arg(long, default_value = crate::import::catalog::DATA_VERSION)]
        data_version: String,
    },
}

/// What `wattcast fit` and `wattcast eval` read.
#[derive(Debug, Clone, clap::Args)]
pub struct FitInputs {
    /// Folder of profiles.
    #[arg(long, default_value = "data/profiles")]
    pub profiles: PathBuf,
    /// Folder of recorded runs whose steady power (the epochs after the first) enters the power model only.
    #[arg(long, default_value = "data/power-runs")]
    pub power_runs: PathBuf,
    /// The measured throughput benchmarks (`wattcast import benchmarks`).
    #[arg(long, default_value = "data/benchmarks/throughput.json")]
    pub benchmarks: PathBuf,
    /// Also train the throughput model on a vision benchmark (`data/benchmarks/timm.json`, each model's faster
    /// layout). Off by default: it lowers the error on unseen vision networks and breaks the language models
    /// (docs/methods.md, "timm's vision table").
    #[arg(long)]
    pub vision_benchmarks: Option<PathBuf>,
    /// The language models' tuned training tables (`wattcast import llm-tables`): their BF16 rows enter the tuned
    /// uplift and the ceilings.
    #[arg(long, default_value = "data/benchmarks/llm-tables.json")]
    pub language_benchmarks: PathBuf,
}

impl FitInputs {
    /// As the fit takes them.
    pub fn sources(&self) -> crate::commands::fit::Sources<'_> {
        crate::commands::fit::Sources {
            profiles: &self.profiles,
            power_runs: &self.power_runs,
            benchmarks: &self.benchmarks,
            vision_benchmarks: self.vision_benchmarks.as_deref(),
            language_benchmarks: &self.language_benchmarks,
        }
    }
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
    /// Batch size per step, over all the run's GPUs (per-GPU batch × GPUs).
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
    /// Tokens per sequence, every sequence padded or packed to it (language models).
    #[arg(long)]
    pub seq: Option<u32>,
    /// Precision (fp32, tf32, fp16, bf16, fp8).
    #[arg(long)]
    pub precision: Option<String>,
    /// Framework (`pytorch 2.5`).
    #[arg(long)]
    pub framework: Option<String>,
    /// What trains: pretrain, finetune or lora (language models).
    #[arg(long)]
    pub mode: Option<String>,
    /// LoRA's rank (with --mode lora).
    #[arg(long)]
    pub lora_rank: Option<u32>,
}

/// `wattcast record`.
#[derive(Debug, Clone, clap::Args)]
pub struct RecordArgs {
    /// Output profile (`.json` or `.json.gz`); written atomically and checkpointed while recording.
    #[arg(short, long)]
    pub output: PathBuf,
    /// GPUs to sample: `0,2` or `all` (default: those in CUDA_VISIBLE_DEVICES, else all).
    #[arg(long)]
    pub gpus: Option<String>,
    /// Sampling interval, ms.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub interval_ms: u64,
    /// Idle calibration before the command, seconds (0 to skip).
    #[arg(long, default_value_t = 5.0)]
    pub idle_s: f64,
    /// Checkpoint period, seconds (longer when writing one takes long: checkpoints take at most 1 % of the run).
    #[arg(long, default_value_t = 30.0)]
    pub checkpoint_s: f64,
    /// Status-line period on stderr, seconds (0 for none).
    #[arg(long, default_value_t = 10.0)]
    pub status_s: f64,
    /// Regular expression marking an epoch's end in the command's output (e.g. 'Epoch \d+/\d+').
    #[arg(long)]
    pub epoch_regex: Option<String>,
    /// File the command appends one line to per finished epoch (exported as WATTCAST_MARKER).
    #[arg(long)]
    pub marker_file: Option<PathBuf>,
    /// Replay recorded traces (nvidia-smi CSV or profiles) instead of reading NVML; one per GPU.
    #[arg(long)]
    pub replay: Vec<PathBuf>,
    /// Replay speed factor.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Run metadata.
    #[command(flatten)]
    pub meta: MetaArgs,
    /// The training command and its arguments (after `--`).
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

impl From<&MetaArgs> for crate::import::meta::MetaInput {
    fn from(a: &MetaArgs) -> Self {
        crate::import::meta::MetaInput {
            meta: a.meta.clone(),
            arch: a.arch.clone(),
            batch: a.batch,
            samples: a.samples,
            epochs: a.epochs,
            input: a.input,
            seq: a.seq,
            precision: a.precision.clone(),
            framework: a.framework.clone(),
            mode: a.mode.clone(),
            lora_rank: a.lora_rank,
        }
    }
}
