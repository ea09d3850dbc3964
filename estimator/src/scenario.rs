//! `Scenario`: a validated, catalogue-resolved description of a training run, and its share link.
//!
//! `ScenarioQuery` (raw strings) → [`resolve`] → `Resolved { scenario, notices, errors }`. An invalid
//! value never stops resolution: it gives an error naming the key and value, and the key takes its
//! default, so the page still renders. [`Scenario::to_query`] is the inverse: resolving the encoded
//! query gives the same scenario back (a property test guards it).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::error::QueryError;
use crate::format::Typed;
use crate::query::ScenarioQuery;

/// Link format version written by this build.
pub const LINK_VERSION: &str = "1";

/// Numeric precision of training; picks the peak FLOP/s the FLOPs model uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// FP32 on CUDA cores (no tensor cores).
    Fp32,
    /// TF32 tensor cores.
    Tf32,
    /// FP16 tensor cores (mixed precision).
    Fp16,
    /// BF16 tensor cores (mixed precision).
    Bf16,
    /// FP8 matrix products on FP8 tensor cores (Ada, Hopper, Blackwell, CDNA 3), BF16 elsewhere, as the
    /// Transformer Engine and `torchao.float8` train; weights, gradients and optimizer state as BF16's.
    Fp8,
}

impl Precision {
    /// All values, in the order the page lists them.
    pub const ALL: [Precision; 5] =
        [Precision::Fp32, Precision::Tf32, Precision::Fp16, Precision::Bf16, Precision::Fp8];

    /// What an invalid value is told (the link values of [`Precision::ALL`]).
    pub const EXPECTED: &'static str = "expected one of fp32, tf32, fp16, bf16, fp8";

    /// The precision a link value names (in any case, spaces around it ignored).
    pub fn named(name: &str) -> Option<Precision> {
        Precision::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The link value.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Tf32 => "tf32",
            Precision::Fp16 => "fp16",
            Precision::Bf16 => "bf16",
            Precision::Fp8 => "fp8",
        }
    }

    /// Mixed precision: 2-byte weights and gradients beside FP32 master weights and optimizer state.
    pub fn mixed(self) -> bool {
        matches!(self, Precision::Fp16 | Precision::Bf16 | Precision::Fp8)
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of training run: which weights train, and so the FLOPs and memory per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Training from scratch: every weight trains (≈ 6 FLOPs per weight per token).
    Pretrain,
    /// Full fine-tuning: the same arithmetic as pre-training, on fewer tokens.
    Finetune,
    /// LoRA (Hu et al. 2021): frozen weights, low-rank adapters on the attention projections train.
    Lora,
}

impl Mode {
    /// All values, in the order the page lists them.
    pub const ALL: [Mode; 3] = [Mode::Pretrain, Mode::Finetune, Mode::Lora];

    /// The link value.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Pretrain => "pretrain",
            Mode::Finetune => "finetune",
            Mode::Lora => "lora",
        }
    }

    /// The mode a link value or recorded name stands for (exact, as written by [`Mode::as_str`]).
    pub fn named(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// How people say it.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Pretrain => "pre-training",
            Mode::Finetune => "full fine-tuning",
            Mode::Lora => "LoRA fine-tuning",
        }
    }
}

/// How well tuned the training code is: what share of the GPUs' peak FLOP/s it turns into model FLOPs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "mfu")]
pub enum Efficiency {
    /// What framework-default code achieves: the time × power model's throughput, fitted on measured
    /// benchmark rows.
    Typical,
    /// What heavily optimised submissions achieve: the model-FLOPs utilisation of the MLPerf Training runs.
    Tuned,
    /// A model-FLOPs utilisation the user states, in (0, 1].
    Mfu(f64),
}

/// Sharding of training state over data-parallel GPUs (Rajbhandari et al. 2020, ZeRO; FSDP's full
/// sharding is stage 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Zero {
    /// Every GPU holds everything (plain data parallelism).
    Off,
    /// Optimizer state sharded.
    Optimizer,
    /// Optimizer state and gradients sharded.
    Gradients,
    /// Optimizer state, gradients and weights sharded (FSDP full sharding).
    Parameters,
}

impl Zero {
    /// All stages, 0 to 3.
    pub const ALL: [Zero; 4] = [Zero::Off, Zero::Optimizer, Zero::Gradients, Zero::Parameters];

    /// The stage number (the link value).
    pub fn stage(self) -> u8 {
        self as u8
    }
}

/// Whose energy the estimate counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The GPUs alone (what NVML reports).
    Gpu,
    /// The GPUs and their servers' hosts (CPUs, memory, NICs, fans): what a meter at the wall sees.
    Server,
}

impl Scope {
    /// The link value.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Gpu => "gpu",
            Scope::Server => "server",
        }
    }

    /// How exports and the page name it.
    pub fn label(self) -> &'static str {
        match self {
            Scope::Gpu => "GPUs only",
            Scope::Server => "whole servers (GPUs and hosts)",
        }
    }
}

/// Language-model and cluster settings of a run. Every field has a default that keeps an older link's
/// meaning: pre-training FLOPs, the typical efficiency, GPUs only, no GPU-hour price.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    /// Pre-training, full fine-tuning or LoRA.
    pub mode: Mode,
    /// LoRA rank (used in LoRA mode).
    pub lora_rank: u32,
    /// Sequence length, tokens; `None` = the model's default ([`crate::catalog::Transformer::default_seq`]).
    pub seq: Option<u32>,
    /// Training-code efficiency.
    pub efficiency: Efficiency,
    /// GPUs per server; `None` = up to 8 (one HGX-class server holds 8).
    pub gpus_per_node: Option<u32>,
    /// ZeRO / FSDP sharding stage.
    pub zero: Zero,
    /// GPUs only, or whole servers.
    pub scope: Scope,
    /// Rental price of one GPU for one hour, in `currency`; `None` = no rental cost.
    pub gpu_hour_price: Option<f64>,
    /// ISO 4217 code of every cost (`USD`).
    pub currency: String,
    /// Whether GPUs that cannot hold the run are marked and never ranked first.
    pub memory_check: bool,
    /// Share of the wall time that trains (restarts, evaluation, checkpoints and stragglers take the rest);
    /// `None` = the default for the run's length ([`crate::backbone::GoodputModel`]).
    pub goodput: Option<f64>,
}

/// Default LoRA rank.
pub const DEFAULT_LORA_RANK: u32 = 16;
/// GPUs per server when the link names none.
pub const DEFAULT_GPUS_PER_NODE: u32 = 8;
/// Currency when the link names none.
pub const DEFAULT_CURRENCY: &str = "USD";

impl Default for Job {
    fn default() -> Job {
        Job {
            mode: Mode::Pretrain,
            lora_rank: DEFAULT_LORA_RANK,
            seq: None,
            efficiency: Efficiency::Typical,
            gpus_per_node: None,
            zero: Zero::Off,
            scope: Scope::Gpu,
            gpu_hour_price: None,
            currency: DEFAULT_CURRENCY.into(),
            memory_check: true,
            goodput: None,
        }
    }
}

impl Scenario {
    /// GPUs per server: the link's, else up to [`DEFAULT_GPUS_PER_NODE`].
    pub fn gpus_per_node(&self) -> u32 {
        self.job.gpus_per_node.unwrap_or(self.n_gpus.min(DEFAULT_GPUS_PER_NODE)).min(self.n_gpus).max(1)
    }

    /// Servers the run spans.
    pub fn nodes(&self) -> u32 {
        self.n_gpus.div_ceil(self.gpus_per_node())
    }

    /// The catalogue architecture, when the scenario names one.
    pub fn catalog_arch<'c>(&self, catalog: &'c Catalog) -> Option<&'c crate::catalog::Architecture> {
        match &self.arch {
            ArchChoice::Catalog { id } => catalog.arch(id),
            ArchChoice::Custom { .. } => None,
        }
    }
}

/// The model being trained.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ArchChoice {
    /// A catalogue architecture, by id.
    Catalog {
        /// Architecture id.
        id: String,
    },
    /// A model the user describes by its size.
    Custom {
        /// Parameters, millions (optional).
        params_m: Option<f64>,
        /// Forward GFLOPs per sample.
        gflops: f64,
    },
}

/// A validated training scenario. Every id in it exists in the catalogue it was resolved with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    /// The architecture.
    pub arch: ArchChoice,
    /// GPU ids to compare (at least one, no duplicates).
    pub gpus: Vec<String>,
    /// GPUs used together in the run.
    pub n_gpus: u32,
    /// Batch size (per step, all GPUs), when known.
    pub batch: Option<u32>,
    /// Square input side in pixels; `None` = the architecture's default.
    pub input_px: Option<u32>,
    /// Training samples per epoch (images, or tokens for language models).
    pub samples: u64,
    /// Epochs.
    pub epochs: u32,
    /// Training precision.
    pub precision: Precision,
    /// Measured or planned duration in hours; `None` = estimate it.
    pub hours: Option<f64>,
    /// Green Algorithms' GPU usage factor (0, 1].
    pub usage: f64,
    /// Memory available to the job, GB (Green Algorithms' memory term).
    pub mem_gb: f64,
    /// Region id.
    pub region: String,
    /// PUE; `None` = the region's provider default.
    pub pue: Option<f64>,
    /// Electricity price per kWh; `None` = unknown (no cost is shown).
    pub price_per_kwh: Option<f64>,
    /// Language-model and cluster settings.
    pub job: Job,
}

/// Default architecture when the link names none.
pub const DEFAULT_ARCH: &str = "tv-resnet50";
/// Default GPUs when the link names none.
pub const DEFAULT_GPUS: [&str; 3] = ["nvidia-h100-sxm", "nvidia-a100-sxm4-80gb", "nvidia-rtx-4090"];
/// Default samples per epoch: ImageNet-1k's training set.
pub const DEFAULT_SAMPLES: u64 = 1_281_167;
/// Default epochs: the classic ResNet-50 ImageNet schedule.
pub const DEFAULT_EPOCHS: u32 = 90;
/// Default tokens per epoch for a language model: a typical fine-tuning corpus (one pass over it).
pub const DEFAULT_LM_TOKENS: u64 = 100_000_000;
/// Default epochs for a language model: one pass over its tokens, as pre-training and most fine-tuning do.
pub const DEFAULT_LM_EPOCHS: u32 = 1;

/// The samples per epoch and epochs a run of a model family takes when none are given: ImageNet's schedule
/// for images, [`DEFAULT_LM_TOKENS`] once for tokens. The link, the page's family switch and its placeholders
/// all use it.
pub fn family_defaults(unit: crate::catalog::SampleUnit) -> (u64, u32) {
    match unit {
        crate::catalog::SampleUnit::Image => (DEFAULT_SAMPLES, DEFAULT_EPOCHS),
        crate::catalog::SampleUnit::Token => (DEFAULT_LM_TOKENS, DEFAULT_LM_EPOCHS),
    }
}
/// Default region: the world average.
pub const DEFAULT_REGION: &str = "WORLD";

impl Scenario {
    /// The scenario a page without a query shows.
    pub fn default_for(catalog: &Catalog) -> Scenario {
        let first_gpu = || catalog.gpus.gpus.first().map(|g| g.id.clone()).into_iter().collect();
        let gpus: Vec<String> =
            DEFAULT_GPUS.iter().filter(|id| catalog.gpu(id).is_some()).map(|s| s.to_string()).collect();
        let arch = catalog
            .arch(DEFAULT_ARCH)
            .or_else(|| catalog.archs.architectures.first())
            .map(|a| ArchChoice::Catalog { id: a.id.clone() })
            .unwrap_or(ArchChoice::Custom { params_m: None, gflops: 1.0 });
        Scenario {
            arch,
            gpus: if gpus.is_empty() { first_gpu() } else { gpus },
            n_gpus: 1,
            batch: None,
            input_px: None,
            samples: DEFAULT_SAMPLES,
            epochs: DEFAULT_EPOCHS,
            precision: Precision::Bf16,
            hours: None,
            usage: 1.0,
            mem_gb: 0.0,
            region: if catalog.region(DEFAULT_REGION).is_some() {
                DEFAULT_REGION.to_string()
            } else {
                catalog.regions.regions.first().map(|r| r.id.clone()).unwrap_or_default()
            },
            pue: None,
            price_per_kwh: None,
            job: Job::default(),
        }
    }

    /// The share-link query for this scenario. Every value is written out, so a link keeps its
    /// meaning even if a later version changes a default.
    pub fn to_query(&self, data_version: &str) -> ScenarioQuery {
        let mut q = ScenarioQuery::default().with("v", LINK_VERSION).with("data", data_version);
        match &self.arch {
            ArchChoice::Catalog { id } => q.set("arch", Some(id.clone())),
            ArchChoice::Custom { params_m, gflops } => {
                q.set("arch", Some("custom".into()));
                q.set("params_m", params_m.map(|p| p.to_string()));
                q.set("gflops", Some(gflops.to_string()));
            }
        }
        q.set("gpu", Some(self.gpus.join(",")));
        q.set("n_gpus", Some(self.n_gpus.to_string()));
        q.set("batch", self.batch.map(|b| b.to_string()));
        q.set("input", self.input_px.map(|i| i.to_string()));
        q.set("samples", Some(self.samples.to_string()));
        q.set("epochs", Some(self.epochs.to_string()));
        q.set("precision", Some(self.precision.to_string()));
        q.set("hours", self.hours.map(|h| h.to_string()));
        q.set("usage", Some(self.usage.to_string()));
        q.set("mem_gb", Some(self.mem_gb.to_string()));
        q.set("region", Some(self.region.clone()));
        q.set("pue", self.pue.map(|p| p.to_string()));
        q.set("price", self.price_per_kwh.map(|p| p.to_string()));
        let j = &self.job;
        q.set("mode", Some(j.mode.as_str().into()));
        if j.mode == Mode::Lora {
            q.set("lora_rank", Some(j.lora_rank.to_string()));
        }
        q.set("seq", j.seq.map(|s| s.to_string()));
        match j.efficiency {
            Efficiency::Typical => q.set("efficiency", Some("typical".into())),
            Efficiency::Tuned => q.set("efficiency", Some("tuned".into())),
            Efficiency::Mfu(m) => q.set("mfu", Some(m.to_string())),
        }
        q.set("gpus_per_node", j.gpus_per_node.map(|g| g.to_string()));
        q.set("zero", Some(j.zero.stage().to_string()));
        q.set("scope", Some(j.scope.as_str().into()));
        q.set("gpu_hour_price", j.gpu_hour_price.map(|p| p.to_string()));
        q.set("currency", Some(j.currency.clone()));
        q.set("memory", Some(if j.memory_check { "on" } else { "off" }.into()));
        q.set("goodput", j.goodput.map(|g| g.to_string()));
        q
    }
}

/// The outcome of resolving a query: always a usable scenario, plus what the user should be told.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The scenario (invalid keys replaced by their defaults).
    pub scenario: Scenario,
    /// Informational messages (unknown keys, older data version, ignored keys).
    pub notices: Vec<String>,
    /// Invalid values, each naming its key and value.
    pub errors: Vec<QueryError>,
}

/// Resolves a raw query against a catalogue.
pub fn resolve(query: &ScenarioQuery, catalog: &Catalog) -> Resolved {
    let mut r = Resolver { q: query, errors: Vec::new(), notices: Vec::new() };
    let d = Scenario::default_for(catalog);

    if query.too_long {
        r.notices.push(format!("the link is longer than {} bytes and was ignored", crate::query::MAX_QUERY_BYTES));
    }
    if let Some(v) = query.get("v") {
        if v != LINK_VERSION {
            r.errors.push(QueryError::UnsupportedVersion { value: v.to_string() });
        }
    }
    if let Some(data) = query.get("data") {
        if data != catalog.data_version() {
            r.notices.push(format!(
                "this link was made with data version {data}; the numbers below use data version {}",
                catalog.data_version()
            ));
        }
    }
    for (k, _) in &query.unknown {
        let mut notice = format!("unknown key \"{k}\" ignored");
        if let Some(key) = crate::query::suggest_key(k) {
            notice += " (did you mean \"";
            notice += key;
            notice += "\"?)";
        }
        r.notices.push(notice);
    }
    for k in &query.duplicates {
        r.notices.push(format!("key \"{k}\" given more than once; the last value is used"));
    }

    let arch = r.arch(catalog).unwrap_or(d.arch);
    let gpus = r.gpus(catalog).unwrap_or(d.gpus);
    let region = match query.get("region") {
        None => d.region,
        Some(v) => match catalog.region(v) {
            Some(reg) => reg.id.clone(),
            None => {
                r.errors.push(QueryError::UnknownId { key: "region", what: "region", value: v.to_string() });
                d.region
            }
        },
    };

    // Samples and epochs a link leaves out follow the model's family: a language model counts tokens, and
    // ImageNet's 1,281,167 samples × 90 epochs would read as 115 M tokens seen 90 times.
    let unit = match &arch {
        ArchChoice::Catalog { id } => catalog.arch(id).map(|a| a.sample_unit),
        ArchChoice::Custom { .. } => None,
    };
    let lm = unit == Some(crate::catalog::SampleUnit::Token);
    let (default_samples, default_epochs) = unit.map_or((d.samples, d.epochs), family_defaults);
    // Name only what the link leaves out.
    let tokens = format!("{} tokens per epoch", crate::format::human(default_samples as f64));
    let epochs = format!("{default_epochs} epoch");
    let left_out = match (query.get("samples").is_none(), query.get("epochs").is_none()) {
        (true, true) => Some(("\"samples\" and \"epochs\"", format!("{tokens} and {epochs}"))),
        (true, false) => Some(("\"samples\"", tokens)),
        (false, true) => Some(("\"epochs\"", epochs)),
        (false, false) => None,
    };
    if let Some((keys, values)) = left_out.filter(|_| lm) {
        r.notices.push(format!("a language model without {keys} in the link: {values} assumed"));
    }
    let job = r.job(&d.job);
    let mut n_gpus = r.int("n_gpus", 1, 100_000).unwrap_or(d.n_gpus);
    if let Some(nodes) = r.int::<u32>("nodes", 1, 100_000) {
        let per = job.gpus_per_node.unwrap_or(DEFAULT_GPUS_PER_NODE);
        let total = nodes.saturating_mul(per);
        match query.get("n_gpus") {
            Some(_) if total != n_gpus => r.invalid(
                "nodes",
                query.get("nodes").unwrap_or_default(),
                format!("{nodes} servers × {per} GPUs = {total}, but \"n_gpus\" says {n_gpus}"),
            ),
            _ if total > 100_000 => {
                r.invalid("nodes", query.get("nodes").unwrap_or_default(), "more than 100000 GPUs in all")
            }
            _ => n_gpus = total,
        }
    }
    let scenario = Scenario {
        arch,
        gpus,
        n_gpus,
        batch: r.int("batch", 1, 10_000_000),
        input_px: r.int("input", 8, 16_384),
        samples: r.int("samples", 1, 100_000_000_000_000).unwrap_or(default_samples),
        epochs: r.int("epochs", 1, 100_000).unwrap_or(default_epochs),
        precision: r.precision().unwrap_or(d.precision),
        hours: r.real("hours", 0.0, false, 1e6),
        usage: r.real("usage", 0.0, false, 1.0).unwrap_or(d.usage),
        mem_gb: r.real("mem_gb", 0.0, true, 1e6).unwrap_or(d.mem_gb),
        region,
        pue: r.real("pue", 1.0, true, 5.0),
        price_per_kwh: r.real("price", 0.0, true, 1e4),
        job,
    };
    Resolved { scenario, notices: r.notices, errors: r.errors }
}

struct Resolver<'q> {
    q: &'q ScenarioQuery,
    errors: Vec<QueryError>,
    notices: Vec<String>,
}

impl Resolver<'_> {
    fn invalid(&mut self, key: &'static str, value: &str, reason: impl Into<String>) {
        self.errors.push(QueryError::InvalidValue { key, value: value.to_string(), reason: reason.into() });
    }

    /// A whole number in `[min, max]`.
    fn int<T: TryFrom<u64>>(&mut self, key: &'static str, min: u64, max: u64) -> Option<T> {
        let raw = self.q.get(key)?;
        // As people write counts (`100M`, `1.2B`, `1,281,167`); whole and in range.
        let whole =
            crate::format::parse_human(raw, Typed::Count).filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x < 1.9e19);
        match whole.map(|x| x as u64) {
            Some(n) if (min..=max).contains(&n) => T::try_from(n).ok(),
            _ => {
                self.invalid(key, raw, format!("expected a whole number from {min} to {max}"));
                None
            }
        }
    }

    /// A finite number above `min` (or equal to it when `min_inclusive`) and at most `max`.
    fn real(&mut self, key: &'static str, min: f64, min_inclusive: bool, max: f64) -> Option<f64> {
        let raw = self.q.get(key)?;
        let ok = |x: f64| x.is_finite() && (if min_inclusive { x >= min } else { x > min }) && x <= max;
        let typed = if key == "hours" { Typed::Hours } else { Typed::Count };
        match crate::format::parse_human(raw, typed).ok_or(()) {
            Ok(x) if ok(x) => Some(x),
            _ => {
                let lower = if min_inclusive { format!("from {min}") } else { format!("above {min}") };
                self.invalid(key, raw, format!("expected a number {lower} up to {max}"));
                None
            }
        }
    }

    /// One of a closed set of words, case-insensitively.
    fn word<T: Copy>(&mut self, key: &'static str, options: &[(&str, T)]) -> Option<T> {
        let raw = self.q.get(key)?;
        let found = options.iter().find(|(w, _)| w.eq_ignore_ascii_case(raw.trim())).map(|(_, v)| *v);
        if found.is_none() {
            let names: Vec<&str> = options.iter().map(|(w, _)| *w).collect();
            self.invalid(key, raw, format!("expected one of {}", names.join(", ")));
        }
        found
    }

    fn job(&mut self, d: &Job) -> Job {
        let modes: Vec<(&str, Mode)> = Mode::ALL.iter().map(|m| (m.as_str(), *m)).collect();
        let mode = self.word("mode", &modes).unwrap_or(d.mode);
        let lora_rank = self.int("lora_rank", 1, 4096).unwrap_or(d.lora_rank);
        let seq = self.int("seq", 1, 10_000_000);
        let named = self.word("efficiency", &[("typical", Efficiency::Typical), ("tuned", Efficiency::Tuned)]);
        let mfu = self.real("mfu", 0.0, false, 1.0).map(Efficiency::Mfu);
        if mfu.is_some() && named.is_some() {
            self.notices.push("\"efficiency\" is ignored because \"mfu\" gives the utilisation".into());
        }
        let efficiency = mfu.or(named).unwrap_or(d.efficiency);
        let gpus_per_node = self.int("gpus_per_node", 1, 64);
        let stages: Vec<(&str, Zero)> =
            [("0", Zero::Off), ("1", Zero::Optimizer), ("2", Zero::Gradients), ("3", Zero::Parameters)].to_vec();
        let zero = self.word("zero", &stages).unwrap_or(d.zero);
        let scope = self.word("scope", &[("gpu", Scope::Gpu), ("server", Scope::Server)]).unwrap_or(d.scope);
        let gpu_hour_price = self.real("gpu_hour_price", 0.0, true, 1e5);
        let currency = match self.q.get("currency") {
            None => d.currency.clone(),
            Some(c) if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => c.to_ascii_uppercase(),
            Some(c) => {
                self.invalid("currency", c, "expected a three-letter ISO 4217 code such as USD or EUR");
                d.currency.clone()
            }
        };
        let memory_check = self.word("memory", &[("on", true), ("off", false)]).unwrap_or(d.memory_check);
        let goodput = self.real("goodput", 0.0, false, 1.0).or(d.goodput);
        Job {
            mode,
            lora_rank,
            seq,
            efficiency,
            gpus_per_node,
            zero,
            scope,
            gpu_hour_price,
            currency,
            memory_check,
            goodput,
        }
    }

    fn precision(&mut self) -> Option<Precision> {
        let raw = self.q.get("precision")?;
        let found = Precision::named(raw);
        if found.is_none() {
            self.invalid("precision", raw, Precision::EXPECTED);
        }
        found
    }

    fn arch(&mut self, catalog: &Catalog) -> Option<ArchChoice> {
        let arch = self.q.get("arch");
        let has_custom_keys = self.q.get("gflops").is_some() || self.q.get("params_m").is_some();
        match arch {
            Some(id) if id != "custom" => {
                if has_custom_keys {
                    self.notices.push(format!(
                        "\"params_m\" and \"gflops\" are ignored because \"arch\" names catalogue architecture \"{id}\" (use arch=custom)"
                    ));
                }
                match catalog.find_arch(id) {
                    Some(a) => {
                        if a.id != id {
                            self.notices.push(format!("\"arch\" \"{id}\" read as {} ({})", a.id, a.name));
                        }
                        Some(ArchChoice::Catalog { id: a.id.clone() })
                    }
                    None => {
                        self.errors.push(QueryError::UnknownId {
                            key: "arch",
                            what: "architecture",
                            value: id.to_string(),
                        });
                        None
                    }
                }
            }
            None if !has_custom_keys => None,
            _ => {
                let params_m = self.real("params_m", 0.0, false, 1e8);
                match self.q.get("gflops") {
                    None => {
                        self.invalid("gflops", "", "a custom architecture needs its forward GFLOPs per sample");
                        None
                    }
                    Some(_) => {
                        self.real("gflops", 0.0, false, 1e9).map(|gflops| ArchChoice::Custom { params_m, gflops })
                    }
                }
            }
        }
    }

    fn gpus(&mut self, catalog: &Catalog) -> Option<Vec<String>> {
        let raw = self.q.get("gpu")?;
        let mut ids: Vec<String> = Vec::new();
        for id in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match catalog.gpu(id) {
                Some(g) if ids.contains(&g.id) => {
                    self.notices.push(format!("GPU \"{id}\" listed twice; shown once"));
                }
                Some(g) => ids.push(g.id.clone()),
                None => self.errors.push(QueryError::UnknownId { key: "gpu", what: "GPU", value: id.to_string() }),
            }
        }
        if ids.is_empty() {
            if !self.errors.iter().any(|e| e.key() == "gpu") {
                self.invalid("gpu", raw, "expected a comma-separated list of GPU ids");
            }
            return None;
        }
        Some(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use proptest::prelude::*;

    fn catalog() -> &'static Catalog {
        use std::sync::OnceLock;
        static C: OnceLock<Catalog> = OnceLock::new();
        C.get_or_init(|| Catalog::embedded().unwrap())
    }

    fn check(query: &str, expect_errors: &[&str], expect_notices: usize) -> Scenario {
        let r = resolve(&ScenarioQuery::parse(query), catalog());
        let errors: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors, expect_errors, "errors for {query}");
        assert_eq!(r.notices.len(), expect_notices, "notices for {query}: {:?}", r.notices);
        r.scenario
    }

    /// A link naming a model as people write it resolves to the catalogue id, says how it was read, and
    /// writes the id back; an exact id needs no notice.
    #[test]
    fn architecture_names_as_people_write_them() {
        for (typed, id) in
            [("resnet50", "tv-resnet50"), ("Meta%20Llama%203%208B", "llama-3-8b"), ("bert", "bert-base-uncased")]
        {
            let r = resolve(&ScenarioQuery::parse(&format!("arch={typed}")), catalog());
            assert!(r.errors.is_empty(), "{typed}: {:?}", r.errors);
            assert_eq!(r.scenario.arch, ArchChoice::Catalog { id: id.into() }, "{typed}");
            assert!(r.notices.iter().any(|n| n.contains(&format!("read as {id}"))), "{typed}: {:?}", r.notices);
            assert_eq!(r.scenario.to_query("").get("arch"), Some(id), "{typed}");
        }
        assert_eq!(check("arch=tv-resnet50", &[], 0).arch, ArchChoice::Catalog { id: "tv-resnet50".into() });
    }

    /// Samples and epochs left out of a link follow the model's family (with a notice for a language model that
    /// names what was left out); given ones are kept.
    #[test]
    fn samples_and_epochs_left_out_follow_the_family() {
        let both = r#"without "samples" and "epochs" in the link: 100,000,000 tokens per epoch and 1 epoch assumed"#;
        for (query, samples, epochs, notice) in [
            ("arch=llama-3.1-8b", 100_000_000, 1, Some(both)),
            (
                "arch=llama-3.1-8b&samples=2e9",
                2_000_000_000,
                1,
                Some(r#"without "epochs" in the link: 1 epoch assumed"#),
            ),
            ("arch=llama-3.1-8b&samples=2e9&epochs=3", 2_000_000_000, 3, None),
            (
                "arch=bert-base-uncased&epochs=2",
                100_000_000,
                2,
                Some(r#"without "samples" in the link: 100,000,000 tokens per epoch assumed"#),
            ),
            ("arch=tv-resnet50", DEFAULT_SAMPLES, DEFAULT_EPOCHS, None),
            ("arch=custom&gflops=4&params_m=25", DEFAULT_SAMPLES, DEFAULT_EPOCHS, None),
        ] {
            let r = resolve(&ScenarioQuery::parse(query), catalog());
            assert!(r.errors.is_empty(), "{query}: {:?}", r.errors);
            let expected: Vec<String> = notice.map(|n| format!("a language model {n}")).into_iter().collect();
            assert_eq!(r.notices, expected, "{query}");
            assert_eq!((r.scenario.samples, r.scenario.epochs), (samples, epochs), "{query}");
        }
        // A bad value falls back to the family's default, with its error.
        let r = resolve(&ScenarioQuery::parse("arch=llama-3.1-8b&epochs=ten"), catalog());
        assert_eq!((r.scenario.epochs, r.errors.len()), (1, 1), "{:?}", r.errors);
    }

    #[test]
    fn empty_query_gives_defaults() {
        assert_eq!(check("", &[], 0), Scenario::default_for(catalog()));
    }

    #[test]
    fn invalid_values_name_key_and_value_and_fall_back() {
        let s = check(
            "epochs=ten&n_gpus=0&precision=fp4&usage=1.5&pue=0.9&gpu=nvidia-h100-sxm,nope&region=XX&arch=resnet9000",
            &[
                "unknown architecture \"resnet9000\" for \"arch\"",
                "unknown GPU \"nope\" for \"gpu\"",
                "unknown region \"XX\" for \"region\"",
                "invalid value \"0\" for \"n_gpus\": expected a whole number from 1 to 100000",
                "invalid value \"ten\" for \"epochs\": expected a whole number from 1 to 100000",
                "invalid value \"fp4\" for \"precision\": expected one of fp32, tf32, fp16, bf16, fp8",
                "invalid value \"1.5\" for \"usage\": expected a number above 0 up to 1",
                "invalid value \"0.9\" for \"pue\": expected a number from 1 up to 5",
            ],
            0,
        );
        let d = Scenario::default_for(catalog());
        assert_eq!(s.epochs, d.epochs);
        assert_eq!(s.gpus, vec!["nvidia-h100-sxm".to_string()]);
        assert_eq!(s.arch, d.arch);
    }

    #[test]
    fn numbers_as_people_write_them_resolve_and_links_store_the_canonical_number() {
        let s = check("samples=100M&epochs=1e2&batch=1,024&hours=2d&n_gpus=8&price=0.2", &[], 0);
        assert_eq!((s.samples, s.epochs, s.batch, s.hours, s.n_gpus), (100_000_000, 100, Some(1024), Some(48.0), 8));
        let link = s.to_query(catalog().data_version()).to_query_string();
        assert!(
            link.contains("samples=100000000") && link.contains("hours=48") && link.contains("batch=1024"),
            "{link}"
        );
        // A decimal comma or a fraction of a sample is an error naming the value, not a guess.
        check(
            "samples=1,5",
            &["invalid value \"1,5\" for \"samples\": expected a whole number from 1 to 100000000000000"],
            0,
        );
        let s = check(
            "epochs=1.5k&samples=2.5",
            &["invalid value \"2.5\" for \"samples\": expected a whole number from 1 to 100000000000000"],
            0,
        );
        assert_eq!(s.epochs, 1500);
    }

    #[test]
    fn notices_for_unknown_keys_versions_and_ignored_custom_keys() {
        check("foo=1&data=1999.01.01&arch=tv-resnet50&gflops=3", &[], 3);
        check("v=2", &["unsupported link version \"2\" for \"v\": this page reads v=1"], 0);
        check("gflops=nan", &["invalid value \"nan\" for \"gflops\": expected a number above 0 up to 1000000000"], 0);
        check(
            "arch=custom",
            &["invalid value \"\" for \"gflops\": a custom architecture needs its forward GFLOPs per sample"],
            0,
        );
    }

    #[test]
    fn custom_architecture() {
        let s = check("arch=custom&params_m=7&gflops=14", &[], 0);
        assert_eq!(s.arch, ArchChoice::Custom { params_m: Some(7.0), gflops: 14.0 });
    }

    fn arb_job() -> impl Strategy<Value = Job> {
        (
            proptest::sample::select(Mode::ALL.to_vec()),
            1..=4096u32,
            proptest::option::of(1..=10_000_000u32),
            prop_oneof![Just(Efficiency::Typical), Just(Efficiency::Tuned), (1e-6..=1.0f64).prop_map(Efficiency::Mfu)],
            proptest::option::of(1..=64u32),
            proptest::sample::select(Zero::ALL.to_vec()),
            proptest::sample::select(vec![Scope::Gpu, Scope::Server]),
            proptest::option::of(0.0..1e5f64),
            proptest::sample::select(vec!["USD".to_string(), "EUR".to_string()]),
            proptest::bool::ANY,
            proptest::option::of(1e-6..=1.0f64),
        )
            .prop_map(
                |(
                    mode,
                    lora_rank,
                    seq,
                    efficiency,
                    gpus_per_node,
                    zero,
                    scope,
                    gpu_hour_price,
                    currency,
                    memory_check,
                    goodput,
                )| {
                    Job {
                        mode,
                        // The rank is written only in LoRA mode: other modes keep the default.
                        lora_rank: if mode == Mode::Lora { lora_rank } else { DEFAULT_LORA_RANK },
                        seq,
                        efficiency,
                        gpus_per_node,
                        zero,
                        scope,
                        gpu_hour_price,
                        currency,
                        memory_check,
                        goodput,
                    }
                },
            )
    }

    /// The language-model and cluster keys: defaults keep an old link's meaning, servers × GPUs per server
    /// give the GPU count, and bad values name key and value.
    #[test]
    fn job_keys_resolve_with_defaults_and_errors() {
        let s = check("", &[], 0);
        assert_eq!(s.job, Job::default());
        assert_eq!((s.job.scope, s.job.mode, s.job.efficiency), (Scope::Gpu, Mode::Pretrain, Efficiency::Typical));
        let s = check("nodes=8&gpus_per_node=8&mode=lora&lora_rank=8&seq=4k&mfu=0.4&zero=3&scope=server&gpu_hour_price=2.5&currency=eur", &[], 0);
        assert_eq!((s.n_gpus, s.nodes(), s.gpus_per_node()), (64, 8, 8));
        assert_eq!(
            (s.job.mode, s.job.lora_rank, s.job.seq, s.job.efficiency, s.job.zero, s.job.scope),
            (Mode::Lora, 8, Some(4000), Efficiency::Mfu(0.4), Zero::Parameters, Scope::Server)
        );
        assert_eq!((s.job.gpu_hour_price, s.job.currency.as_str()), (Some(2.5), "EUR"));
        assert_eq!(check("n_gpus=12", &[], 0).nodes(), 2);
        check(
            "nodes=2&n_gpus=8&mode=qlora&zero=4&scope=rack&currency=dollars&mfu=1.5&memory=maybe",
            &[
                "invalid value \"qlora\" for \"mode\": expected one of pretrain, finetune, lora",
                "invalid value \"1.5\" for \"mfu\": expected a number above 0 up to 1",
                "invalid value \"4\" for \"zero\": expected one of 0, 1, 2, 3",
                "invalid value \"rack\" for \"scope\": expected one of gpu, server",
                "invalid value \"dollars\" for \"currency\": expected a three-letter ISO 4217 code such as USD or EUR",
                "invalid value \"maybe\" for \"memory\": expected one of on, off",
                "invalid value \"2\" for \"nodes\": 2 servers × 8 GPUs = 16, but \"n_gpus\" says 8",
            ],
            0,
        );
        check("efficiency=tuned&mfu=0.5", &[], 1);
    }

    fn arb_scenario() -> impl Strategy<Value = Scenario> {
        let c = catalog();
        let gpu_ids: Vec<String> = c.gpus.gpus.iter().map(|g| g.id.clone()).collect();
        let arch_ids: Vec<String> = c.archs.architectures.iter().map(|a| a.id.clone()).collect();
        let region_ids: Vec<String> = c.regions.regions.iter().map(|r| r.id.clone()).collect();
        let arch = prop_oneof![
            proptest::sample::select(arch_ids).prop_map(|id| ArchChoice::Catalog { id }),
            (proptest::option::of(1e-3..1e6f64), 1e-6..1e8f64)
                .prop_map(|(params_m, gflops)| ArchChoice::Custom { params_m, gflops }),
        ];
        (
            arch,
            proptest::sample::subsequence(gpu_ids, 1..5),
            1..=100_000u32,
            proptest::option::of(1..=10_000_000u32),
            proptest::option::of(8..=16_384u32),
            1..=100_000_000_000_000u64,
            1..=100_000u32,
            proptest::sample::select(Precision::ALL.to_vec()),
            proptest::option::of(1e-6..1e6f64),
            (1e-9..=1.0f64, 0.0..1e6f64),
            proptest::sample::select(region_ids),
            (proptest::option::of(1.0..5.0f64), proptest::option::of(0.0..1e4f64), arb_job()),
        )
            .prop_map(
                |(
                    arch,
                    gpus,
                    n_gpus,
                    batch,
                    input_px,
                    samples,
                    epochs,
                    precision,
                    hours,
                    (usage, mem_gb),
                    region,
                    (pue, price, job),
                )| {
                    Scenario {
                        arch,
                        gpus,
                        n_gpus,
                        batch,
                        input_px,
                        samples,
                        epochs,
                        precision,
                        hours,
                        usage,
                        mem_gb,
                        region,
                        pue,
                        price_per_kwh: price,
                        job,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn share_link_round_trip_is_identity(s in arb_scenario()) {
            let c = catalog();
            let link = s.to_query(c.data_version()).to_query_string();
            let r = resolve(&ScenarioQuery::parse(&link), c);
            prop_assert!(r.errors.is_empty(), "{:?}", r.errors);
            prop_assert!(r.notices.is_empty(), "{:?}", r.notices);
            prop_assert_eq!(r.scenario, s);
        }
    }
}
