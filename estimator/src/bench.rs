//! Measured training throughput from public benchmarks: the types of `data/benchmarks/throughput.json`
//! (written by `wattcast import benchmarks`), one row per (source, GPU, GPU count, workload, precision).
//!
//! Invariant: these rows carry no power. Throughput is measured; energy never is here, and nothing in
//! this file pretends otherwise.
//!
//! Every row's throughput is counted in its workload's sample unit (images, or tokens for language
//! models: sequences × sequence length), summed over the row's GPUs.

use serde::{Deserialize, Serialize};

use crate::catalog::{DataHeader, SampleUnit};
use crate::error::DataError;
use crate::scenario::Precision;

/// Format version of `data/benchmarks/throughput.json`.
pub const BENCH_SCHEMA_VERSION: u32 = 1;

/// How the training code of a measurement was tuned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Tuning {
    /// Framework-default training code (Lambda's and NeuSight's PyTorch runs).
    Typical,
    /// Heavily optimised submissions (MLPerf Training), an optimistic bound.
    Tuned,
}

/// One benchmarked workload: what a sample is and how much compute it takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BenchWorkload {
    /// Slug, unique in the file (`lambda-resnet50`).
    pub id: String,
    /// What was trained, on what (human-readable).
    pub name: String,
    /// Catalogue architecture it corresponds to, when the catalogue has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch_id: Option<String>,
    /// What one sample is (image, or token).
    pub sample_unit: SampleUnit,
    /// Sequence length for token workloads (a row's sequences/s × this = tokens/s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq_len: Option<u32>,
    /// Input side in pixels for image workloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_px: Option<u32>,
    /// Parameters, millions.
    pub params_m: f64,
    /// Forward GFLOPs per sample (per image, or per token including attention at `seq_len`).
    pub forward_gflops: f64,
    /// How `forward_gflops` was obtained.
    pub flops_note: String,
    /// Architecture family of a vision model, as text (`cnn`, `vit`, `hybrid`, `mlp`, `rnn`): whether the
    /// network is convolutional, attention-based, both, or neither. Absent where the importer does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Activations of one forward pass per sample, millions (every layer's output, written and read back):
    /// with `forward_gflops`, the memory traffic per FLOP that sets how near its peak a vision model runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activations_m: Option<f64>,
}

impl BenchWorkload {
    /// Training GFLOPs per sample (forward + backward = 3 × forward).
    pub fn train_gflops(&self) -> f64 {
        crate::methods::workload::TRAINING_FLOPS_FACTOR * self.forward_gflops
    }
}

/// One measured throughput.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BenchRow {
    /// Source id (in the header's `sources`).
    pub source: String,
    /// Catalogue GPU id.
    pub gpu_id: String,
    /// GPUs the throughput was measured on (one node).
    pub n_gpus: u32,
    /// Workload id (in `workloads`).
    pub workload: String,
    /// Precision of the training math.
    pub precision: Precision,
    /// Whether the precision was recorded by the source (`false`: assumed, see `note`).
    pub precision_recorded: bool,
    /// How tuned the training code was.
    pub tuning: Tuning,
    /// Global batch size (images or sequences over all GPUs), when the source gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<u32>,
    /// Training throughput over all GPUs, samples (images or tokens) per second: the median of the measurements.
    pub samples_per_s: f64,
    /// Measurements (hosts, runs) the median is over.
    pub n_measurements: u32,
    /// Median wall-clock time to train of a time-to-train row (MLPerf), minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_minutes: Option<f64>,
    /// Where in the source the figures are (table and row labels).
    pub upstream: String,
    /// What to keep in mind (what the timing leaves out, what was assumed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BenchmarkSet {
    /// Version, provenance and licences.
    #[serde(flatten)]
    pub header: DataHeader,
    /// The benchmarked workloads.
    pub workloads: Vec<BenchWorkload>,
    /// The measurements.
    pub rows: Vec<BenchRow>,
}

impl BenchmarkSet {
    /// Parses and checks the file: version, unique workload ids, rows that name a known source and workload,
    /// positive throughputs.
    pub fn from_json(text: &str) -> Result<Self, DataError> {
        const FILE: &str = "benchmarks/throughput.json";
        let set: BenchmarkSet =
            serde_json::from_str(text).map_err(|e| DataError::Json { file: FILE, message: e.to_string() })?;
        let bad = |id: &str, reason: String| DataError::Invalid { file: FILE, id: id.to_string(), reason };
        if set.header.schema_version != BENCH_SCHEMA_VERSION {
            return Err(DataError::SchemaVersion { file: FILE, found: set.header.schema_version });
        }
        for (i, w) in set.workloads.iter().enumerate() {
            if set.workloads[..i].iter().any(|o| o.id == w.id) {
                return Err(bad(&w.id, "workload id appears twice".into()));
            }
            if !(w.forward_gflops > 0.0 && w.params_m > 0.0) {
                return Err(bad(&w.id, "FLOPs and parameters must be positive".into()));
            }
        }
        for r in &set.rows {
            if set.workload(&r.workload).is_none() {
                return Err(bad(&r.gpu_id, format!("row names unknown workload \"{}\"", r.workload)));
            }
            if !set.header.sources.iter().any(|s| s.id == r.source) {
                return Err(bad(&r.gpu_id, format!("row names unknown source \"{}\"", r.source)));
            }
            if !(r.samples_per_s.is_finite() && r.samples_per_s > 0.0) || r.n_gpus == 0 {
                return Err(bad(
                    &r.gpu_id,
                    format!("{} {}: throughput {} on {} GPUs", r.source, r.workload, r.samples_per_s, r.n_gpus),
                ));
            }
        }
        Ok(set)
    }

    /// A workload by id.
    pub fn workload(&self, id: &str) -> Option<&BenchWorkload> {
        self.workloads.iter().find(|w| w.id == id)
    }

    /// Adds another set's sources, workloads and rows, keeping of `other`'s rows only the fastest per
    /// (workload, GPU, precision, GPU count, tuning): where a table measured one network several ways (timm's
    /// two memory layouts), a user takes the faster. A workload or source id both sets use is refused.
    pub fn merge_fastest(&mut self, other: BenchmarkSet) -> Result<(), DataError> {
        const FILE: &str = "benchmarks (merged)";
        let clash = |id: &str, what: &str| DataError::Invalid {
            file: FILE,
            id: id.to_string(),
            reason: format!("{what} id appears in two benchmark files"),
        };
        if let Some(w) = other.workloads.iter().find(|w| self.workload(&w.id).is_some()) {
            return Err(clash(&w.id, "workload"));
        }
        if let Some(s) = other.header.sources.iter().find(|s| self.header.sources.iter().any(|o| o.id == s.id)) {
            return Err(clash(&s.id, "source"));
        }
        let mut best: std::collections::BTreeMap<_, BenchRow> = std::collections::BTreeMap::new();
        for r in other.rows {
            let key = (r.workload.clone(), r.gpu_id.clone(), r.precision, r.n_gpus, r.tuning);
            if best.get(&key).is_none_or(|b| r.samples_per_s > b.samples_per_s) {
                best.insert(key, r);
            }
        }
        self.header.sources.extend(other.header.sources);
        self.workloads.extend(other.workloads);
        self.rows.extend(best.into_values());
        Ok(())
    }
}
