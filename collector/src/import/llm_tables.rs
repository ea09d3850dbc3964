//! Builds `data/benchmarks/llm-tables.json` from two published language-model training tables: MosaicML
//! llm-foundry's MPT benchmarks (125M–70B on H100 80 GB and A100 80/40 GB) and torchtitan's Llama 3.1
//! benchmarks (8B, 70B, 405B on H100 96 GB at 500 W and on H200). Pure functions over CSV text.
//!
//! - Samples are tokens: a row's `samples_per_s` is tokens per second over all its GPUs, and its `batch`
//!   the global batch in sequences. One workload per (model, sequence length).
//! - Forward FLOPs per token follow the project's convention ([`forward_flops_per_token`], as the
//!   catalogue's transformers and `throughput.json`): 2 × the weights a token runs through + 2 × layers ×
//!   sequence × attention width (Kaplan et al. 2020, causal attention). MPT: from the table's parameter
//!   count less the learned position embeddings (a lookup), and the layers and width of upstream's
//!   `scripts/train/yamls/pretrain/mpt-<size>.yaml` ([`MPT_DIMS`]). Llama 3.1: the catalogue's
//!   architecture (`llama-3.1-8b`, …) at the row's sequence length (`Transformer::forward_flops`).
//! - Upstream's MFU counts attention as 4 × layers × sequence × d_model per token (no causal halving), so
//!   it exceeds an MFU from these FLOPs by (2N + 4·L·s·d) ÷ (2N + 2·L·s·d): about 1.1 at 2k tokens, up
//!   to 1.9 at 64k. [`MfuCheck`] recomputes both against the catalogue's peaks.
//! - Tuning is `tuned` for every row: both are optimised open-source stacks (FSDP, FlashAttention or
//!   torch.compile, Float8, micro-batches swept per configuration); MPT reports 35–46 % MFU on H100 BF16
//!   and 36–64 % on A100 at 2,048 tokens: far closer to MLPerf's submissions than to framework-default code.
//! - torchtitan's H100s are 96 GB HBM2e cards at a 500 W limit: they are mapped to the catalogue's H100
//!   SXM 80 GB (700 W), and every such row's note says so.

use std::collections::BTreeMap;

use estimator::bench::{BenchRow, BenchWorkload, BenchmarkSet, Tuning, BENCH_SCHEMA_VERSION};
use estimator::catalog::{DataHeader, SampleUnit, SourceRef};
use estimator::methods::transformer::forward_flops_per_token;
use estimator::methods::workload::peak_tflops;
use estimator::{Catalog, Precision};
use regex::Regex;

use super::bench::round_sig;
use super::{ImportError, Row, Table};

/// The command recorded in `generated_by`.
pub const GENERATED_BY: &str = "wattcast import llm-tables";

/// llm-foundry's table (`../shared/bench-data/llm-foundry/`).
pub const MPT_FILE: &str = "mpt-training-benchmarks.csv";
/// torchtitan's table (`../shared/bench-data/torchtitan/`).
pub const TITAN_FILE: &str = "torchtitan-benchmarks.csv";

const MPT_COMMIT: &str = "8c8dd48f72168c5d51e2f7b151595892a8fba43d";
const TITAN_COMMIT: &str = "b5bcd76c66d0acb1a08b176d9639425bc55e0b2a";

/// MPT shapes: (the table's `Model`, layers, d_model), from `scripts/train/yamls/pretrain/mpt-<model>.yaml`
/// (`n_layers`, `d_model`) at llm-foundry @8c8dd48f. Attention width = d_model (heads × head width).
pub const MPT_DIMS: [(&str, u32, u32); 9] = [
    ("125m", 12, 768),
    ("350m", 24, 1024),
    ("760m", 24, 1536),
    ("1b", 24, 2048),
    ("3b", 32, 2560),
    ("7b", 32, 4096),
    ("13b", 40, 5120),
    ("30b", 48, 7168),
    ("70b", 80, 8192),
];

/// Sequence length of a torchtitan row whose table gives none: `seq_len` of the llama3 8B/70B/405B
/// train configs (`train_configs/llama3_*.toml`) at the three benchmarks' torchtitan commits (9dec370,
/// 820504e, e7c0cae).
pub const TITAN_DEFAULT_SEQ: u32 = 8192;

/// GPUs per host on every torchtitan platform (the files: "Each host has 8 NVIDIA H100/H200 GPUs").
const TITAN_GPUS_PER_HOST: u32 = 8;

/// What a torchtitan benchmark file says about its hardware and settings outside its tables.
struct TitanFile {
    file: &'static str,
    gpu_id: &'static str,
    /// Said in every row's note.
    platform: &'static str,
    /// Precision when neither the caption nor the row names one.
    precision: Precision,
    /// Local batch (sequences per data-parallel rank) when the caption gives none.
    local_batch: Option<u32>,
}

const TITAN_FILES: [TitanFile; 3] = [
    TitanFile {
        file: "llama3_h100_202412_torchtitan.md",
        gpu_id: "nvidia-h100-sxm",
        platform: "H100 96 GB HBM2e at 500 W, not the catalogue's H100 SXM 80 GB at 700 W",
        precision: Precision::Bf16,
        local_batch: None,
    },
    TitanFile {
        file: "asyncTP_llama3_h100_2025-06_torchtitan.md",
        gpu_id: "nvidia-h100-sxm",
        platform: "H100 96 GB HBM2e at 500 W, not the catalogue's H100 SXM 80 GB at 700 W",
        precision: Precision::Bf16,
        local_batch: None,
    },
    // The command line in the file: `--model.converters="quantize.linear.float8"`, `--training.local_batch_size=2`.
    TitanFile {
        file: "llama3-8b_h200_202506_trainy-whitefiber.md",
        gpu_id: "nvidia-h200-sxm",
        platform: "H200 SXM, 8 per host; Float8 and local batch 2 from the file's command line",
        precision: Precision::Fp8,
        local_batch: Some(2),
    },
];

/// The source tables, as text.
pub struct LlmSources<'a> {
    /// [`MPT_FILE`].
    pub mpt: &'a str,
    /// [`TITAN_FILE`].
    pub torchtitan: &'a str,
}

/// One row's utilisation, recomputed against the catalogue's peak (percent).
#[derive(Debug, Clone, PartialEq)]
pub struct MfuCheck {
    /// Source id.
    pub source: String,
    /// Workload id.
    pub workload: String,
    /// Catalogue GPU.
    pub gpu_id: String,
    /// Precision.
    pub precision: Precision,
    /// The MFU the source reports, where it does.
    pub reported_pct: Option<f64>,
    /// Upstream llm-foundry's formula (attention 4 × layers × seq × d_model per token), MPT rows only.
    pub upstream_formula_pct: Option<f64>,
    /// 3 × this file's forward FLOPs × tokens/s ÷ (GPUs × catalogue peak).
    pub file_pct: f64,
}

/// What an import produced besides the file.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmImport {
    /// The data file.
    pub set: BenchmarkSet,
    /// Each row's utilisation check.
    pub mfu: Vec<MfuCheck>,
    /// Measurement rows read (torchtitan's "Versions and Dates" tables are not measurements).
    pub n_raw: usize,
}

fn sources() -> Vec<SourceRef> {
    vec![
        SourceRef {
            id: "llm-foundry-mpt".into(),
            name: "MosaicML llm-foundry MPT training benchmarks (MosaicML platform, FSDP, FlashAttention; tuning \
                   `tuned`: an optimised stack at 35–46 % reported MFU on H100 BF16 and 36–64 % on A100 at \
                   2,048 tokens)"
                .into(),
            url: format!("github:mosaicml/llm-foundry scripts/train/benchmarking/README.md @{MPT_COMMIT}"),
            licence: "Apache-2.0".into(),
            attribution: "MosaicML LLM Foundry authors, llm-foundry (Apache-2.0)".into(),
        },
        SourceRef {
            id: "torchtitan".into(),
            name: "torchtitan Llama 3.1 training benchmarks (PyTorch team 2024–2025, Trainy 2025: FSDP/TP/PP/CP, \
                   torch.compile, Float8; tuning `tuned`); H100 rows ran on H100 96 GB HBM2e at 500 W"
                .into(),
            url: format!("github:pytorch/torchtitan benchmarks/*.md @{TITAN_COMMIT}"),
            licence: "BSD-3-Clause".into(),
            attribution: "(c) Meta Platforms, Inc. and affiliates, torchtitan (BSD-3-Clause)".into(),
        },
    ]
}

/// Forward GFLOPs per token of an MPT model: compute parameters = the table's `NumParams` less the learned
/// position embeddings (`seq × d_model`, a lookup; the tied token embedding stays, as the output projection).
pub fn mpt_forward_gflops(num_params: f64, layers: u32, d_model: u32, seq: u32) -> f64 {
    let compute = num_params - f64::from(seq) * f64::from(d_model);
    forward_flops_per_token(compute, layers, d_model, seq) / 1e9
}

/// llm-foundry's MFU (`collect_results.py`): (6 × NumParams + 12 × layers × d_model × seq) × tokens/s ÷
/// (GPUs × peak), percent.
pub fn mpt_upstream_mfu_pct(
    num_params: f64,
    layers: u32,
    d_model: u32,
    seq: u32,
    tokens_per_s: f64,
    n_gpus: u32,
    peak_tflops: f64,
) -> f64 {
    let per_token = 6.0 * num_params + 12.0 * f64::from(layers) * f64::from(d_model) * f64::from(seq);
    100.0 * per_token * tokens_per_s / (f64::from(n_gpus) * peak_tflops * 1e12)
}

/// Catalogue GPU of llm-foundry's `GPU` column.
fn mpt_gpu(label: &str) -> Option<&'static str> {
    match label {
        "h100_80gb" => Some("nvidia-h100-sxm"),
        "a100_80gb" => Some("nvidia-a100-sxm4-80gb"),
        "a100_40gb" => Some("nvidia-a100-sxm4-40gb"),
        _ => None,
    }
}

fn peak(catalog: &Catalog, gpu_id: &str, precision: Precision) -> Option<f64> {
    catalog.gpu(gpu_id).and_then(|g| peak_tflops(g, precision).0)
}

/// Builds the workloads and rows of both tables.
struct Builder<'c> {
    catalog: &'c Catalog,
    workloads: BTreeMap<String, BenchWorkload>,
    rows: Vec<BenchRow>,
    mfu: Vec<MfuCheck>,
    n_raw: usize,
}

impl Builder<'_> {
    fn mpt(&mut self, text: &str) -> Result<(), ImportError> {
        let table = Table::parse(MPT_FILE, text)?;
        table.require_columns(&[
            "section",
            "Model",
            "SeqLen (T)",
            "# GPUs",
            "GPU",
            "MFU",
            "HFU",
            "GlobalBatchSize",
            "Throughput (T/s)",
            "Throughput (T/s/GPU)",
            "Precision",
            "Activation Checkpointing",
            "NumParams",
        ])?;
        for row in table.rows() {
            self.n_raw += 1;
            let model = row.text("Model")?;
            let Some(&(_, layers, d)) = MPT_DIMS.iter().find(|(m, _, _)| *m == model) else {
                return Err(row.invalid(
                    "Model",
                    model,
                    "unknown MPT size (expected 125m, 350m, 760m, 1b, 3b, 7b, 13b, 30b or 70b)",
                ));
            };
            let seq = row.count("SeqLen (T)")?;
            let n_gpus = row.count("# GPUs")?;
            let label = row.text("GPU")?;
            let gpu_id = mpt_gpu(label)
                .ok_or_else(|| row.invalid("GPU", label, "unknown GPU (expected h100_80gb, a100_80gb or a100_40gb)"))?;
            let prec_text = row.text("Precision")?;
            let precision = match prec_text {
                "amp_bf16" | "bf16" => Precision::Bf16,
                "amp_fp8" | "fp8" => Precision::Fp8,
                "amp_fp16" | "fp16" => Precision::Fp16,
                _ => return Err(row.invalid("Precision", prec_text, "expected amp_bf16, bf16, amp_fp8 or amp_fp16")),
            };
            let tokens = row.required_positive("Throughput (T/s)")?;
            let per_gpu = row.required_positive("Throughput (T/s/GPU)")?;
            // The table rounds tokens/s per GPU to whole tokens: a larger gap is a unit error.
            if (tokens / f64::from(n_gpus) - per_gpu).abs() > (0.01 * per_gpu).max(1.0) {
                return Err(row.invalid(
                    "Throughput (T/s)",
                    row.text("Throughput (T/s)")?,
                    &format!("is not Throughput (T/s/GPU) {per_gpu} × {n_gpus} GPUs"),
                ));
            }
            let num_params = row.required_positive("NumParams")?;
            let mfu = row.required_positive("MFU")?;
            let batch = row.count("GlobalBatchSize")?;
            let id = format!("mpt-{model}-{seq}");
            let w = self.workloads.entry(id.clone()).or_insert_with(|| BenchWorkload {
                id: id.clone(),
                name: format!("MPT-{} ({layers} layers, d_model {d}), {seq}-token sequences", model.to_uppercase()),
                arch_id: None,
                sample_unit: SampleUnit::Token,
                seq_len: Some(seq),
                input_px: None,
                params_m: num_params / 1e6,
                forward_gflops: round_sig(mpt_forward_gflops(num_params, layers, d, seq), 6),
                flops_note: format!(
                    "2 × (NumParams − {seq} × {d} learned positions) + 2 × {layers} layers × {seq} × {d} per token \
                     (Kaplan et al. 2020, as the catalogue); upstream's MFU counts attention 4 × layers × seq × \
                     d_model per token; layers and d_model from scripts/train/yamls/pretrain/mpt-{model}.yaml"
                ),
                family: None,
                activations_m: None,
            });
            if (w.params_m - num_params / 1e6).abs() > 1e-6 {
                return Err(row.invalid(
                    "NumParams",
                    row.text("NumParams")?,
                    &format!("differs from another row of {id} ({} M)", w.params_m),
                ));
            }
            let forward_gflops = w.forward_gflops;
            let mut note = format!("reported MFU {} %, HFU {} %", row.text("MFU")?, row.text("HFU")?);
            if row.text("Activation Checkpointing")? == "True" {
                note += "; activation checkpointing";
            }
            if row.opt_text("MP Mode") == Some("PURE") {
                note += "; pure BF16 weights";
            }
            if let Some(s) = row.opt_text("Sharding Strategy").filter(|s| *s != "FULL_SHARD") {
                note += &format!("; {s}");
            }
            let peak = peak(self.catalog, gpu_id, precision)
                .ok_or_else(|| row.invalid("GPU", label, &format!("catalogue has no {precision} peak for {gpu_id}")))?;
            self.mfu.push(MfuCheck {
                source: "llm-foundry-mpt".into(),
                workload: id.clone(),
                gpu_id: gpu_id.into(),
                precision,
                reported_pct: Some(mfu),
                upstream_formula_pct: Some(mpt_upstream_mfu_pct(num_params, layers, d, seq, tokens, n_gpus, peak)),
                file_pct: file_mfu_pct(forward_gflops, tokens, n_gpus, peak),
            });
            self.rows.push(BenchRow {
                source: "llm-foundry-mpt".into(),
                gpu_id: gpu_id.into(),
                n_gpus,
                workload: id,
                precision,
                precision_recorded: true,
                tuning: Tuning::Tuned,
                batch: Some(batch),
                samples_per_s: tokens,
                n_measurements: 1,
                run_minutes: None,
                upstream: format!("{}: {model} {seq} × {n_gpus}", row.text("section")?),
                note: Some(note),
            });
        }
        Ok(())
    }

    fn torchtitan(&mut self, text: &str) -> Result<(), ImportError> {
        let re =
            |p: &str| Regex::new(p).map_err(|e| ImportError::Csv { file: TITAN_FILE.into(), message: e.to_string() });
        let model_re = re(r"(?:^|[^0-9a-z])(8|70|405)b(?:[^0-9a-z]|$)")?;
        let gpus_re = re(r"\b(\d+)\s*(?:gpus|h100s|h200s)\b")?;
        let degree_re = re(r"\b(tp|pp|cp)\s*=?\s*(\d+)\b")?;
        let local_re = re(r"local batch size (\d+)")?;
        let global_re = re(r"global batch size (\d+)")?;
        let table = Table::parse(TITAN_FILE, text)?;
        table.require_columns(&["file", "table", "columns", "values"])?;
        for row in table.rows() {
            let file = row.text("file")?;
            let caption = row.text("table")?;
            if caption == "Versions and Dates" {
                continue;
            }
            self.n_raw += 1;
            let f = TITAN_FILES
                .iter()
                .find(|f| f.file == file)
                .ok_or_else(|| row.invalid("file", file, "unknown benchmark file: no GPU known for it"))?;
            let columns: Vec<&str> = row.text("columns")?.split('|').map(str::trim).collect();
            let values: Vec<&str> = row.text("values")?.split('|').map(str::trim).collect();
            if columns.len() != values.len() {
                return Err(row.invalid(
                    "values",
                    row.text("values")?,
                    &format!("{} cells where `columns` names {}", values.len(), columns.len()),
                ));
            }
            let cell = |name: &str| columns.iter().position(|c| c.eq_ignore_ascii_case(name)).map(|i| values[i]);
            let label = format!("{}: {}", columns[0], values[0]);
            let cap = caption.to_lowercase();
            let file_lower = file.to_lowercase();
            let text = format!("{cap} {}", values[0].to_lowercase());
            let size = model_re
                .captures(&cap)
                .or_else(|| model_re.captures(&file_lower))
                .map(|c| c[1].to_string())
                .ok_or_else(|| row.invalid("table", caption, "names no Llama 3.1 model (8B, 70B or 405B)"))?;
            let arch_id = format!("llama-3.1-{size}b");
            let n_gpus = match (gpus_re.captures(&cap), cell("NUM_NODES")) {
                (Some(c), _) => c[1].parse::<u32>().ok(),
                (None, Some(nodes)) => nodes.parse::<u32>().ok().map(|n| n * TITAN_GPUS_PER_HOST),
                (None, None) => None,
            }
            .filter(|n| *n > 0)
            .ok_or_else(|| row.invalid("table", caption, "gives no GPU count (`N GPUs`, `N H100s` or NUM_NODES)"))?;
            let seq = match cell("Sequence Length") {
                Some(v) => parse_count(v)
                    .ok_or_else(|| row.invalid("Sequence Length", v, "expected a positive whole number"))?,
                None => TITAN_DEFAULT_SEQ,
            };
            let precision = if text.contains("float8") {
                Precision::Fp8
            } else if text.contains("bfloat16") {
                Precision::Bf16
            } else {
                f.precision
            };
            let degrees: u32 = degree_re.captures_iter(&text).filter_map(|c| c[2].parse::<u32>().ok()).product();
            let local = local_re.captures(&cap).and_then(|c| c[1].parse::<u32>().ok()).or(f.local_batch);
            let batch = global_re
                .captures(&cap)
                .and_then(|c| c[1].parse::<u32>().ok())
                .or_else(|| local.filter(|_| degrees > 0 && n_gpus % degrees == 0).map(|l| l * n_gpus / degrees));
            let throughput: Vec<(&str, &str)> = columns
                .iter()
                .zip(&values)
                .filter(|(c, _)| c.eq_ignore_ascii_case("TPS/GPU") || c.ends_with("tokens/sec"))
                .map(|(c, v)| (*c, *v))
                .collect();
            if throughput.is_empty() {
                return Err(row.invalid(
                    "columns",
                    row.text("columns")?,
                    "no tokens-per-second column (TPS/GPU, … tokens/sec)",
                ));
            }
            let workload = self.llama_workload(&row, &arch_id, seq)?;
            let table = caption.split(". ").next().unwrap_or(caption).replace('*', "");
            for (column, value) in throughput {
                let tps = value
                    .replace(',', "")
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .ok_or_else(|| row.invalid(column, value, "expected tokens per second per GPU"))?;
                let variant = column.strip_suffix("tokens/sec").map(str::trim).filter(|v| !v.is_empty());
                let what = match variant {
                    Some(v) => format!("{label}, {v}"),
                    None => label.clone(),
                };
                let tokens = tps * f64::from(n_gpus);
                let peak = peak(self.catalog, f.gpu_id, precision).ok_or_else(|| {
                    row.invalid("file", file, &format!("catalogue has no {precision} peak for {}", f.gpu_id))
                })?;
                self.mfu.push(MfuCheck {
                    source: "torchtitan".into(),
                    workload: workload.0.clone(),
                    gpu_id: f.gpu_id.into(),
                    precision,
                    reported_pct: None,
                    upstream_formula_pct: None,
                    file_pct: file_mfu_pct(workload.1, tokens, n_gpus, peak),
                });
                self.rows.push(BenchRow {
                    source: "torchtitan".into(),
                    gpu_id: f.gpu_id.into(),
                    n_gpus,
                    workload: workload.0.clone(),
                    precision,
                    precision_recorded: true,
                    tuning: Tuning::Tuned,
                    batch,
                    samples_per_s: round_sig(tokens, 7),
                    n_measurements: 1,
                    run_minutes: None,
                    upstream: format!("{file}: {table} | {what}"),
                    note: Some(f.platform.into()),
                });
            }
        }
        Ok(())
    }

    /// The workload of a catalogue Llama at `seq` tokens: (id, forward GFLOPs per token).
    fn llama_workload(&mut self, row: &Row<'_>, arch_id: &str, seq: u32) -> Result<(String, f64), ImportError> {
        let id = format!("{arch_id}-{seq}");
        if let Some(w) = self.workloads.get(&id) {
            return Ok((id, w.forward_gflops));
        }
        let arch = self.catalog.arch(arch_id);
        let (Some(arch), Some(t)) = (arch, arch.and_then(|a| a.transformer.as_ref())) else {
            return Err(row.invalid("table", arch_id, "catalogue has no transformer shape for this architecture"));
        };
        let g = round_sig(t.forward_flops(seq) / 1e9, 6);
        let w = BenchWorkload {
            id: id.clone(),
            name: format!("{}, {seq}-token sequences", arch.name),
            arch_id: Some(arch_id.into()),
            sample_unit: SampleUnit::Token,
            seq_len: Some(seq),
            input_px: None,
            params_m: arch.params_m.unwrap_or(t.active_params_m),
            forward_gflops: g,
            flops_note: format!(
                "catalogue {arch_id} at {seq} tokens: 2 × {:.0} M weights a token runs through + 2 × {} layers × \
                 {seq} × {} attention width per token (the catalogue's forward_gflops is this at {})",
                t.compute_params() / 1e6,
                t.layers,
                t.d_attn(),
                t.default_seq()
            ),
            family: None,
            activations_m: None,
        };
        self.workloads.insert(id.clone(), w);
        Ok((id, g))
    }
}

/// 3 × forward GFLOPs × tokens/s ÷ (GPUs × peak), percent.
fn file_mfu_pct(forward_gflops: f64, tokens_per_s: f64, n_gpus: u32, peak_tflops: f64) -> f64 {
    100.0 * 3.0 * forward_gflops * 1e9 * tokens_per_s / (f64::from(n_gpus) * peak_tflops * 1e12)
}

/// A whole number written with or without thousands separators (`32768`, `32,768`).
fn parse_count(v: &str) -> Option<u32> {
    v.replace(',', "").parse::<u32>().ok().filter(|n| *n > 0)
}

/// Imports both tables into one benchmark set.
pub fn llm_tables_from_sources(
    src: &LlmSources<'_>,
    catalog: &Catalog,
    data_version: &str,
) -> Result<LlmImport, ImportError> {
    let mut b = Builder { catalog, workloads: BTreeMap::new(), rows: Vec::new(), mfu: Vec::new(), n_raw: 0 };
    b.mpt(src.mpt)?;
    b.torchtitan(src.torchtitan)?;
    let set = BenchmarkSet {
        header: DataHeader {
            schema_version: BENCH_SCHEMA_VERSION,
            data_version: data_version.into(),
            generated_by: GENERATED_BY.into(),
            sources: sources(),
        },
        workloads: b.workloads.into_values().collect(),
        rows: b.rows,
    };
    Ok(LlmImport { set, mfu: b.mfu, n_raw: b.n_raw })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MPT: &str = "section,Model,SeqLen (T),# GPUs,GPU,MFU,HFU,Model TFLOP,MicroBatchSize,GradAccum,GlobalBatchSize,Throughput (S/s),Throughput (T/s),Throughput (T/s/GPU),GlobalBatchSize (T),Precision,MP Mode,Sharding Strategy,Activation Checkpointing,Activation CPUOffload,NumParams
\"H100 80GB BF16 (Large Scale, >= 128 GPUs)\",70b,2048,512,h100_80gb,41.25,55.0,408,8,1,4096,251,515636,1007,8388608,amp_bf16,DEFAULT,FULL_SHARD,True,False,64862437376
H100 80GB BF16,7b,2048,8,h100_80gb,46.44,46.44,459,6,1,48,41,85144,10643,98304,amp_bf16,DEFAULT,FULL_SHARD,False,False,6658859008
H100 80GB BF16,7b,65536,8,h100_80gb,28.59,38.13,282,1,2,16,0,15654,1956,1048576,amp_bf16,DEFAULT,FULL_SHARD,True,False,6918905856
A100 40GB with 1600 Gbps node-node interconnect (RoCE),7b,2048,8,a100_40gb,50.92,67.89,158,12,4,384,14,29436,3679,786432,bf16,PURE,FULL_SHARD,True,False,6658859008
";
    const TITAN: &str = "file,table,columns,values
llama3_h100_202412_torchtitan.md,\"Table 1** 1D Parallelism (FSDP). Llama 3.1 8B model. 8 GPUs. Local batch size 2, global batch size 16. Selective activation checkpointing.\",Techniques | TPS/GPU | Memory(GiB),\"FSDP + torch.compile | 6,667 | 77.0\"
llama3_h100_202412_torchtitan.md,\"Table 1** 1D Parallelism (FSDP). Llama 3.1 8B model. 8 GPUs. Local batch size 2, global batch size 16. Selective activation checkpointing.\",Techniques | TPS/GPU | Memory(GiB),\"FSDP + torch.compile + Float8 | 8,532 | 76.8\"
llama3_h100_202412_torchtitan.md,Table 2** FSDP + CP + torch.compile + Float8. Llama 3.1 8B model. 8 GPUs. Local batch size 1. Full activation checkpointing.,Parallelism | Sequence Length | TPS/GPU | Memory(GiB),\"FSDP 4, CP 2 | 65536 | 2,540 | 84.2\"
asyncTP_llama3_h100_2025-06_torchtitan.md,\"Llama3 70b on 256 H100s with FSDP=32, TP=8, torch.compile, full AC,  local batch size 16\",Quantization | Vanilla TP tokens/sec | Async TP tokens/sec | Async TP speedup,None (bfloat16) | 597.3 | 652.4 | 1.09
llama3-8b_h200_202506_trainy-whitefiber.md,Results,NUM_NODES | TPS/GPU | Memory(GiB),4 | 10938 | 47.96
llama3_h100_202412_torchtitan.md,Versions and Dates,repo | commit | date,torch | [1963fc8](https://github.com/pytorch/pytorch/commit/1963fc8) | 2024/12/23
";

    fn import(mpt: &str, titan: &str) -> Result<LlmImport, ImportError> {
        let catalog = Catalog::embedded().unwrap();
        llm_tables_from_sources(&LlmSources { mpt, torchtitan: titan }, &catalog, "9")
    }

    #[test]
    fn fixture_tables_become_token_rows() {
        let imp = import(MPT, TITAN).unwrap();
        let set = &imp.set;
        // 4 MPT rows, 5 torchtitan measurement rows (the versions table is not one); the async-TP row
        // holds two measurements (vanilla and async TP).
        assert_eq!(imp.n_raw, 9);
        assert_eq!(set.rows.len(), 10);
        // Workloads: mpt-70b-2048, mpt-7b-2048, mpt-7b-65536, llama-3.1-8b-8192, llama-3.1-8b-65536,
        // llama-3.1-70b-8192.
        assert_eq!(set.workloads.len(), 6);
        for w in &set.workloads {
            assert_eq!((w.sample_unit, w.seq_len.is_some()), (SampleUnit::Token, true), "{}", w.id);
        }
        let row = |source: &str, wl: &str, n: u32| {
            set.rows.iter().find(|r| r.source == source && r.workload == wl && r.n_gpus == n).unwrap()
        };
        // MPT: samples are tokens over all GPUs (85,144 = 41 sequences/s × 2,048, rounded upstream), not
        // sequences; the batch is the global batch in sequences.
        let r = set.rows.iter().find(|r| r.workload == "mpt-7b-2048" && r.gpu_id == "nvidia-h100-sxm").unwrap();
        assert_eq!((r.samples_per_s, r.batch, r.precision, r.n_gpus), (85_144.0, Some(48), Precision::Bf16, 8));
        assert_eq!(r.tuning, Tuning::Tuned);
        assert_eq!(r.note.as_deref(), Some("reported MFU 46.44 %, HFU 46.44 %"));
        assert!(set
            .rows
            .iter()
            .any(|x| x.gpu_id == "nvidia-a100-sxm4-40gb" && x.note.as_deref().unwrap().contains("pure BF16")));
        assert!(row("llm-foundry-mpt", "mpt-70b-2048", 512)
            .note
            .as_deref()
            .unwrap()
            .contains("activation checkpointing"));
        // MPT-7B at 2,048 tokens, by hand: NumParams 6,658,859,008 − 2,048 × 4,096 learned positions
        // (8,388,608) = 6,650,470,400 compute weights; 2 × that = 13.300941 GFLOPs; attention 2 × 32 layers ×
        // 2,048 × 4,096 = 0.536871 GFLOPs; forward = 13.837812 GFLOPs per token (6 significant digits: 13.8378).
        let w = set.workload("mpt-7b-2048").unwrap();
        assert_eq!(w.forward_gflops, 13.8378);
        assert_eq!(w.params_m, 6658.859008);
        // torchtitan: tokens/s per GPU × GPUs; batch = global batch in sequences.
        let t = row("torchtitan", "llama-3.1-8b-8192", 8);
        assert_eq!((t.samples_per_s, t.batch, t.precision), (6667.0 * 8.0, Some(16), Precision::Bf16));
        assert!(t.note.as_deref().unwrap().starts_with("H100 96 GB HBM2e at 500 W"));
        assert!(set
            .rows
            .iter()
            .any(|r| r.workload == "llama-3.1-8b-8192" && r.precision == Precision::Fp8 && r.n_gpus == 8));
        // Context parallel: 8 GPUs, CP 2 → 4 data-parallel ranks × local batch 1 = 4 sequences of 65,536 tokens.
        let t = row("torchtitan", "llama-3.1-8b-65536", 8);
        assert_eq!((t.samples_per_s, t.batch, t.precision), (2540.0 * 8.0, Some(4), Precision::Fp8));
        // Async TP: 256 GPUs, TP 8 → 32 ranks × 16 = 512 sequences; both columns kept, BF16.
        let a: Vec<_> = set.rows.iter().filter(|r| r.workload == "llama-3.1-70b-8192").collect();
        assert_eq!(a.len(), 2);
        assert!(a.iter().all(|r| r.batch == Some(512) && r.n_gpus == 256 && r.precision == Precision::Bf16));
        assert!(a.iter().any(|r| r.samples_per_s == 652.4 * 256.0 && r.upstream.ends_with("Async TP")));
        // H200: 4 nodes × 8 GPUs, Float8 and local batch 2 from the file's command line → 64 sequences.
        let h = row("torchtitan", "llama-3.1-8b-8192", 32);
        assert_eq!((h.gpu_id.as_str(), h.precision, h.batch), ("nvidia-h200-sxm", Precision::Fp8, Some(64)));
        // Llama 3.1 8B at 65,536 tokens: the catalogue's 17.157 GFLOPs at 8,192 + 2 × 32 × (65,536 − 8,192)
        // × 4096 = 15.033 GFLOPs of attention → 32.190 GFLOPs per token.
        let g = set.workload("llama-3.1-8b-65536").unwrap().forward_gflops;
        assert!((g - 32.1897).abs() < 1e-3, "{g}");
        let text = serde_json::to_string(set).unwrap();
        assert_eq!(BenchmarkSet::from_json(&text).unwrap(), *set);
        assert!(!text.contains("../shared"));
    }

    #[test]
    fn mfu_recomputed_from_the_catalogue_peak_matches_the_reported_one() {
        let imp = import(MPT, TITAN).unwrap();
        let mpt: Vec<&MfuCheck> = imp.mfu.iter().filter(|c| c.source == "llm-foundry-mpt").collect();
        assert_eq!(mpt.len(), 4);
        for c in &mpt {
            let reported = c.reported_pct.unwrap();
            // Upstream's own formula with the catalogue's peaks (H100 989.4, A100 312 TFLOP/s BF16).
            let up = c.upstream_formula_pct.unwrap();
            assert!((up / reported - 1.0).abs() < 0.01, "{}: {up} vs {reported}", c.workload);
            // This file's FLOPs at 2,048 tokens: within 15 % of the reported MFU.
            if c.workload.ends_with("-2048") {
                assert!((c.file_pct / reported - 1.0).abs() < 0.15, "{}: {} vs {reported}", c.workload, c.file_pct);
            }
        }
        // MPT-7B on 8 H100s at 2,048 tokens: 3 × 13.8378 GFLOPs × 85,144 tokens/s = 3.53462e15 FLOP/s
        // ÷ (8 × 989.4e12) = 44.66 % (reported 46.44 %: upstream's attention term is twice this file's).
        let c = mpt.iter().find(|c| c.workload == "mpt-7b-2048" && c.gpu_id == "nvidia-h100-sxm").unwrap();
        assert!((c.file_pct - 44.66).abs() < 0.01, "{}", c.file_pct);
        // At 65,536 tokens the conventions part: forward = 2 × (6,918,905,856 − 65,536 × 4,096) + 2 × 32 ×
        // 65,536 × 4,096 = 13.3009 + 17.1799 = 30.4808 GFLOPs; 3 × 30.4808e9 × 15,654 ÷ (8 × 989.4e12)
        // = 18.08 % against the reported 28.59 % (upstream: 6 × 6.9189e9 + 12 × 32 × 4,096 × 65,536
        // = 144.59e9 FLOPs per token → 28.60 %).
        let c = mpt.iter().find(|c| c.workload == "mpt-7b-65536").unwrap();
        assert!((c.file_pct - 18.08).abs() < 0.01, "{}", c.file_pct);
        assert!((c.upstream_formula_pct.unwrap() - 28.60).abs() < 0.01);
        // torchtitan reports no MFU; its text gives 33–39 % for 1D BF16 Llama 3.1 8B on H100 (its own
        // FLOPs count, non-causal attention): 3 × 17.1573e9 × 6,667 ÷ 989.4e12 = 34.68 % here.
        let t = imp
            .mfu
            .iter()
            .find(|c| c.source == "torchtitan" && c.workload == "llama-3.1-8b-8192" && c.precision == Precision::Bf16)
            .unwrap();
        assert!((t.file_pct - 34.68).abs() < 0.01, "{}", t.file_pct);
    }

    #[test]
    fn bad_cells_name_file_line_column_and_value() {
        let err = |mpt: &str, titan: &str| import(mpt, titan).unwrap_err().to_string();
        let e = err(&MPT.replace("h100_80gb,46.44", "v100_16gb,46.44"), TITAN);
        assert!(
            e.contains(MPT_FILE) && e.contains("line 3") && e.contains("GPU") && e.contains("\"v100_16gb\""),
            "{e}"
        );
        assert!(e.contains("unknown GPU"), "{e}");
        let e = err(&MPT.replace(",85144,", ",lots,"), TITAN);
        assert!(e.contains("line 3") && e.contains("Throughput (T/s)") && e.contains("\"lots\""), "{e}");
        // Sequences per second where tokens belong.
        let e = err(&MPT.replace(",85144,", ",41,"), TITAN);
        assert!(e.contains("is not Throughput (T/s/GPU)"), "{e}");
        let e = err(&MPT.replace("NumParams", "Params"), TITAN);
        assert!(e.contains("missing column \"NumParams\""), "{e}");
        let e = err(&MPT.replace(",7b,2048,8,h100", ",9b,2048,8,h100"), TITAN);
        assert!(e.contains("Model") && e.contains("\"9b\""), "{e}");
        let e = err(MPT, &TITAN.replace("llama3-8b_h200_202506_trainy-whitefiber.md", "mi300x.md"));
        assert!(
            e.contains(TITAN_FILE) && e.contains("line 6") && e.contains("file") && e.contains("\"mi300x.md\""),
            "{e}"
        );
        let e = err(MPT, &TITAN.replace("\"FSDP + torch.compile | 6,667 | 77.0\"", "FSDP | fast | 77.0"));
        assert!(e.contains("line 2") && e.contains("TPS/GPU") && e.contains("\"fast\""), "{e}");
    }

    #[test]
    fn mpt_dims_reproduce_the_parameter_counts() {
        // 12 × layers × d² (+ the tied 50,368-token embedding and the learned positions at 2,048) is within
        // 2 % of the table's NumParams at 2,048 tokens: the yaml shapes are the ones measured.
        let table = [("125m", 125_311_488.0), ("7b", 6_658_859_008.0), ("70b", 64_862_437_376.0)];
        for (model, params) in table {
            let (_, l, d) = MPT_DIMS.iter().find(|(m, _, _)| *m == model).copied().unwrap();
            let d = f64::from(d);
            let est = 12.0 * f64::from(l) * d * d + (50_368.0 + 2048.0) * d;
            assert!((est / params - 1.0).abs() < 0.02, "{model}: {est} vs {params}");
        }
    }
}
