//! Time × power, the backbone of every pre-run estimate (`data/models/backbone.json`, written by
//! `wattcast fit`):
//!
//! - **Throughput** (samples/s per GPU) comes, in this order, from a measured benchmark of this workload on
//!   this GPU at this precision ([`MeasuredThroughput`], the benchmark rows of `data/benchmarks/`), or from a
//!   regression of ln(achieved training TFLOP/s) on the GPU's specs for the precision (peak, bandwidth,
//!   memory, segment, vendor), the workload (forward FLOPs per sample, image or token, batch per GPU) and
//!   the measurement's software (Lambda generations, NeuSight, calibration profiles), with a workload
//!   effect and a GPU effect ([`crate::fit::mixed`]). Multi-GPU throughput × the efficiency measured on
//!   Lambda's 1/2/4/8-GPU rows ([`Scaling`]).
//! - **Mean power** = a fitted fraction of the power limit (mean power ÷ limit of the measured profiles),
//!   with the same structure, carried to unmeasured GPUs through their specs.
//! - **Intervals** come from held-out residuals: [`ResidualBand`] per protocol, chosen by what the case
//!   has been measured on ([`Case`]).

use serde::{Deserialize, Serialize};

use crate::catalog::{Gpu, SampleUnit, Segment};
use crate::fit::mixed::FittedMixed;
use crate::methods::workload::{peak_tflops, TRAINING_FLOPS_FACTOR};
use crate::scenario::Precision;

/// Format version of `data/models/backbone.json`.
pub const BACKBONE_SCHEMA_VERSION: u32 = 2;

/// Where a throughput measurement comes from: software and timing differ, so each has its own offset.
/// Predictions are made for [`Software::Current`] (framework-default PyTorch 2.x, Lambda's latest tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Software {
    /// Lambda v2 (NGC PyTorch 2.3–2.8): the reference.
    Current,
    /// Lambda v1 (mostly PyTorch 1.13).
    LambdaV1,
    /// Lambda v0 (PyTorch 1.4–1.10).
    LambdaV0,
    /// NeuSight step latencies (forward + backward only, FP32 with TF32 off).
    NeuSight,
    /// A calibration profile (a whole measured run: input pipeline, evaluation, logging included).
    Profile,
    /// timm's training benchmark (PyTorch 1.12, AMP, synthetic data, the largest batch that fits).
    Timm,
}

impl Software {
    /// Of a benchmark source id.
    pub fn of_source(id: &str) -> Software {
        match id {
            "lambda-v0" => Software::LambdaV0,
            "lambda-v1" => Software::LambdaV1,
            "neusight" => Software::NeuSight,
            "timm-nchw" | "timm-nhwc" => Software::Timm,
            _ => Software::Current,
        }
    }
}

/// Names of the throughput features, in order.
pub const THROUGHPUT_FEATURES: [&str; 19] = [
    "ln_peak_tflops",
    "ln_bandwidth_gbs",
    "ln_memory_gb",
    "fp32",
    "tf32",
    "consumer",
    "amd_fp32_matrix",
    "conv",
    "ln_peak_x_conv",
    "ln_bandwidth_x_conv",
    "ln_forward_gflops",
    "ln_step_vs_typical",
    "sw_lambda_v1",
    "sw_lambda_v0",
    "sw_neusight",
    "sw_profile",
    "ln_step_below_typical",
    "ln_activations_per_gflop",
    "sw_timm",
];

/// Names of the power-fraction features, in order.
pub const POWER_FEATURES: [&str; 8] = [
    "limit_over_tdp",
    "ln_tdp_w",
    "ln_peak_tflops",
    "ln_bandwidth_gbs",
    "consumer",
    "conv",
    "ln_forward_gflops",
    "ln_step_vs_typical",
];

/// A workload as the backbone sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadInput {
    /// Group key: the catalogue architecture, with the input size for images (`tv-resnet50@224`).
    pub key: String,
    /// Forward GFLOPs per sample.
    pub forward_gflops: f64,
    /// Image or token.
    pub unit: SampleUnit,
    /// A convolutional network (the catalogue's `cnn` family): convolutions use tensor cores far less
    /// well than transformers' matrix products (ResNet-50 reaches 7 % of an H100's BF16 peak in Lambda's
    /// benchmark, BERT-base 22 %), so the throughput model separates them.
    pub conv: bool,
    /// Samples one GPU takes per step, in the unit its FLOPs are counted in: images, or tokens (sequences ×
    /// sequence length), when known. Tokens, not sequences: 8 sequences of 2,048 tokens are as much work per
    /// step as 32 of 512, and the power and speed a GPU reaches follow the work per step.
    pub step_samples_per_gpu: Option<f64>,
    /// Millions of activations per forward GFLOP of a vision model, when known
    /// ([`crate::catalog::Architecture::activations_per_gflop`]): the memory traffic per unit of work that sets
    /// how near its peak a GPU runs it (timm's 831 networks on one RTX 3090 span 2 % to 78 % of its peak, and
    /// this ratio explains most of it).
    pub activations_per_gflop: Option<f64>,
}

impl WorkloadInput {
    /// Samples per GPU per step of a batch (images or sequences, over all `n_gpus`) of a workload counted in
    /// `unit`, with `seq_tokens` tokens per sequence; `None` when the batch, or a token model's sequence
    /// length, is unknown.
    pub fn step_samples(batch: Option<f64>, n_gpus: u32, unit: SampleUnit, seq_tokens: Option<f64>) -> Option<f64> {
        let per_gpu = batch.filter(|b| *b > 0.0)? / f64::from(n_gpus.max(1));
        match unit {
            SampleUnit::Image => Some(per_gpu),
            SampleUnit::Token => seq_tokens.filter(|s| *s > 0.0).map(|s| per_gpu * s),
        }
    }

    /// What the `tuned` uplift was measured against and multiplies: the workload's features with no identity
    /// (no fit's workload effect and no measured benchmark applies) at its unit's typical step (MLPerf's rows
    /// give no per-GPU batch). A tuned run's speed then does not depend on the link's batch: with it, the
    /// model's slope above the typical step put 8 × H100 at MLPerf's own 400 images per GPU 36 % slower than
    /// without one.
    pub fn anonymous(&self) -> WorkloadInput {
        WorkloadInput { key: String::new(), step_samples_per_gpu: None, ..*self }
    }

    /// The group key of an architecture at an input size.
    pub fn key_of(arch_id: &str, unit: SampleUnit, input_px: Option<u32>) -> String {
        match (unit, input_px) {
            (SampleUnit::Image, Some(px)) => format!("{arch_id}@{px}"),
            _ => arch_id.to_string(),
        }
    }
}

/// Why the backbone cannot predict a case from specs: the input it lacked.
pub fn missing_spec(gpu: &Gpu, precision: Precision) -> Option<String> {
    if gpu_peak(gpu, precision).is_none() {
        return Some(format!("no {precision} peak FLOP/s is known for {}", gpu.name));
    }
    if gpu.memory_bandwidth_gbs.is_none() {
        return Some(format!("no memory bandwidth is known for {}", gpu.name));
    }
    if gpu.memory_gb.is_none() {
        return Some(format!("no memory size is known for {}", gpu.name));
    }
    None
}

/// The precision a GPU actually trains at when asked for `precision`: FP8 falls back to BF16 where the GPU has
/// no FP8 tensor cores (the one place that decides it), BF16 to FP16 where the GPU has no BF16 tensor cores
/// (Volta, Turing), and FP16/TF32 to FP32 where it has no tensor figure (Pascal and older), with the sentence
/// that says so.
pub fn effective_precision(gpu: &Gpu, precision: Precision) -> (Precision, Option<String>) {
    let has = |p: Precision| gpu_peak(gpu, p).is_some();
    let chain: &[Precision] = match precision {
        Precision::Fp8 if crate::methods::workload::has_fp8(gpu) => {
            &[Precision::Fp8, Precision::Bf16, Precision::Fp16, Precision::Fp32]
        }
        Precision::Fp8 => &[Precision::Bf16, Precision::Fp16, Precision::Fp32],
        Precision::Bf16 => &[Precision::Bf16, Precision::Fp16, Precision::Fp32],
        Precision::Fp16 => &[Precision::Fp16, Precision::Fp32],
        Precision::Tf32 => &[Precision::Tf32, Precision::Fp32],
        Precision::Fp32 => &[Precision::Fp32],
    };
    match chain.iter().copied().find(|p| has(*p)) {
        Some(p) if p == precision => (p, None),
        Some(p) => (p, Some(format!("{} has no {precision} tensor figure: estimated at {p}", gpu.name))),
        None => (precision, None),
    }
}

/// The precision the fitted models know a case by: FP8 is BF16's run with faster matrix products (no benchmark
/// row measured FP8 on its own); [`crate::methods::headline::duration`] applies the speed-up.
pub fn fitted_precision(precision: Precision) -> Precision {
    if precision == Precision::Fp8 {
        Precision::Bf16
    } else {
        precision
    }
}

/// End-to-end FP8 ÷ BF16 training throughput of open framework code, lowest and highest published:
/// torchtitan's Llama 3.1 8B on 8 × H100 (FSDP + torch.compile, 6,667 → 8,532 tokens/s per GPU) and 405B on
/// 128 × H100 (109 → 177), github:pytorch/torchtitan docs/performance.md. The `typical` estimate takes their
/// geometric mean, and the interval the range.
pub const FP8_TYPICAL_SPEEDUP: (f64, f64) = (1.28, 1.62);

/// The middle of [`FP8_TYPICAL_SPEEDUP`] (geometric mean): what an FP8 run gains over BF16 in the estimate, `typical`
/// and `tuned` alike, and what MLPerf's FP8 GPT-3 rows are divided by to count at BF16 in the tuned uplift.
pub fn fp8_speedup() -> f64 {
    let (lo, hi) = FP8_TYPICAL_SPEEDUP;
    (lo * hi).sqrt()
}

/// A GPU's (peak at `precision`, memory bandwidth): what one GPU out-specs another by.
fn specs(gpu: &Gpu, precision: Precision) -> Option<(f64, f64)> {
    gpu_peak(gpu, precision).zip(gpu.memory_bandwidth_gbs)
}

/// The peak the backbone uses: the dense tensor peak of the precision, or FP32 on CUDA cores; no fallback
/// (a GPU without the figure cannot be predicted from specs, and the estimate says so).
fn gpu_peak(gpu: &Gpu, precision: Precision) -> Option<f64> {
    match peak_tflops(gpu, precision) {
        (Some(p), None) => Some(p),
        _ => None,
    }
}

fn ln(x: f64) -> f64 {
    crate::fmath::ln(x)
}

/// Throughput features of a case; `None` when a spec is missing ([`missing_spec`] says which).
pub fn throughput_features(
    gpu: &Gpu,
    precision: Precision,
    w: &WorkloadInput,
    sw: Software,
    batch_default: &[f64; 2],
) -> Option<Vec<f64>> {
    let peak = gpu_peak(gpu, precision)?;
    let bw = gpu.memory_bandwidth_gbs?;
    let mem = gpu.memory_gb?;
    let conv = f64::from(u8::from(w.conv));
    let step = step_feature(w, batch_default);
    let flag = |b: bool| f64::from(u8::from(b));
    Some(vec![
        ln(peak),
        ln(bw),
        ln(mem),
        flag(precision == Precision::Fp32),
        flag(precision == Precision::Tf32),
        flag(gpu.segment == Segment::Consumer),
        // AMD GPUs without TF32 (CDNA 1–2) run a FP32 matmul on their matrix cores at twice the listed (vector)
        // FP32 peak (MI100 46.1 vs 23.1 TFLOP/s, MI210 45.3 vs 22.6): an effect of FP32 on those GPUs only. At
        // FP16/BF16 the listed peak is the matrix cores', and on CDNA 3 the two FP32 peaks are equal (MI300X 163.4).
        flag(precision == Precision::Fp32 && gpu.vendor == "AMD" && gpu.tf32_tensor_tflops.is_none()),
        conv,
        ln(peak) * conv,
        ln(bw) * conv,
        ln(w.forward_gflops),
        step,
        flag(sw == Software::LambdaV1),
        flag(sw == Software::LambdaV0),
        flag(sw == Software::NeuSight),
        flag(sw == Software::Profile),
        step.min(0.0),
        // Unknown (language models, a custom or unlisted network): missing, so the fit's mean stands in.
        w.activations_per_gflop.filter(|a| *a > 0.0).map_or(f64::NAN, ln),
        flag(sw == Software::Timm),
    ])
}

/// Power-fraction features: the GPU, the workload and the power limit (only what is known before a run).
pub fn power_features(
    gpu: &Gpu,
    precision: Precision,
    w: &WorkloadInput,
    limit_w: f64,
    batch_default: &[f64; 2],
) -> Option<Vec<f64>> {
    let tdp = gpu.tdp_w?;
    let peak = gpu_peak(gpu, precision)?;
    let bw = gpu.memory_bandwidth_gbs?;
    let flag = |b: bool| f64::from(u8::from(b));
    Some(vec![
        limit_w / tdp,
        ln(tdp),
        ln(peak),
        ln(bw),
        flag(gpu.segment == Segment::Consumer),
        flag(w.conv),
        ln(w.forward_gflops),
        step_feature(w, batch_default),
    ])
}

/// ln(samples per GPU per step) less the typical for the workload's unit (0 when unknown). Images and tokens
/// are steps of different sizes (a few hundred images, thousands of tokens): measured raw, the slope fitted
/// across both units takes the difference between them (ResNet-50's small steps against BERT's large ones)
/// for the effect of a larger step, and came out negative (−0.17 per ln step), putting Llama 2 7B on an A100 at
/// 7 % of its peak (`docs/methods.md`). From each unit's typical, the slope says only what a larger step does.
fn step_feature(w: &WorkloadInput, batch_default: &[f64; 2]) -> f64 {
    let typical = batch_default[unit_index(w.unit)];
    w.step_samples_per_gpu.filter(|b| *b > 0.0).map_or(0.0, |b| ln(b) - typical)
}

/// The index of a sample unit in per-unit arrays (`Backbone::batch_default`).
pub(crate) fn unit_index(u: SampleUnit) -> usize {
    match u {
        SampleUnit::Image => 0,
        SampleUnit::Token => 1,
    }
}

/// A measured single-GPU throughput (median over sources, newest software first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredThroughput {
    /// Catalogue GPU id.
    pub gpu_id: String,
    /// Workload group key.
    pub workload: String,
    /// Precision.
    pub precision: Precision,
    /// Samples per second on one GPU.
    #[serde(with = "crate::snapshot::decimal")]
    pub samples_per_s: f64,
    /// Forward GFLOPs per sample of the measured workload (to rescale to the user's when they differ).
    #[serde(with = "crate::snapshot::decimal")]
    pub forward_gflops: f64,
    /// Source id.
    pub source: String,
    /// Whether the workload is a convolutional network (its family's ceiling, [`Backbone::architecture_ceiling`]).
    #[serde(default)]
    pub conv: bool,
    /// For a convolutional network, ln(measured ÷ the fitted model's prediction for the benchmark's software): what
    /// this GPU does with convolutions beyond its specs and the workload's effect ([`Backbone::family_carry`]); 0
    /// otherwise.
    #[serde(default, skip_serializing_if = "crate::snapshot::is_zero")]
    pub ln_residual: f64,
}

impl MeasuredThroughput {
    /// The software the benchmark ran (its source id is the text before ` (`).
    pub fn software(&self) -> Software {
        Software::of_source(self.source.split(" (").next().unwrap_or(""))
    }

    /// Training TFLOP/s of the measured cell.
    pub fn tflops(&self) -> f64 {
        self.samples_per_s * TRAINING_FLOPS_FACTOR * self.forward_gflops / 1e3
    }
}

/// Multi-GPU efficiency within a server: throughput on n GPUs ÷ (n × one GPU's), measured; and across servers,
/// what MLPerf Training's tuned runs lose as they spread over more servers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// (n, median efficiency, pairs measured) for the counts measured.
    pub measured: Vec<(u32, f64, usize)>,
    /// Throughput per GPU kept per doubling of the servers, fitted on MLPerf Training's tuned runs of one
    /// workload and GPU at several sizes (`fit::backbone::scale_out`; `None`: not measured).
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub across_per_doubling: Option<f64>,
    /// The same fit scored with each group of runs held out (`fit::backbone::scale_out_held_out`).
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub across_held_out: Option<ScaleOutHeldOut>,
}

/// MLPerf's scale-out with each (workload, GPU, precision) group of runs held out: how far each larger run's
/// throughput per GPU ÷ its smallest run's lies from the efficiency per doubling fitted on the other groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleOutHeldOut {
    /// Pairs of runs scored.
    pub n_pairs: usize,
    /// Groups they come from.
    pub n_groups: usize,
    /// Mean absolute error of the kept throughput per GPU, %.
    pub mape_pct: f64,
    /// The same for no loss at all (what the estimate assumed before), %.
    pub no_loss_mape_pct: f64,
    /// 10th percentile of the held-out residual ln(measured ÷ predicted) per doubling.
    pub q10: f64,
    /// 90th percentile of the same.
    pub q90: f64,
}

impl Scaling {
    /// What a run across `servers` keeps per GPU from strong scaling when its training at full rate takes
    /// `training_h` hours, and the doublings that count, from the fewest servers that hold the model
    /// (`fewest_servers`: where a run's batch per GPU is full; MLPerf's GPT-3 starts at 64): MLPerf's loss per doubling
    /// ([`Self::across_per_doubling`]) for a run of up to [`GOODPUT_SHORT_DAYS`], none from [`GOODPUT_LONG_DAYS`] on, the
    /// doublings counted in between with the share of run length still to go
    /// ([`GoodputModel::length_share`]). A time-to-train run of minutes or hours spreads a fixed amount of work
    /// thin: each GPU's batch shrinks as GPUs are added (MLPerf's pairs); a months-long pre-training run has
    /// work enough for full batches on every GPU (the published runs show no such loss). (1, 0) when not
    /// measured or on one server.
    pub fn strong(&self, servers: f64, fewest_servers: f64, training_h: f64) -> (f64, f64) {
        let from = fewest_servers.max(1.0);
        let Some(k) = self.across_per_doubling.filter(|_| servers > from) else { return (1.0, 0.0) };
        let doublings = ln(servers / from) / core::f64::consts::LN_2 * (1.0 - GoodputModel::length_share(training_h));
        (crate::fmath::exp(ln(k) * doublings), doublings)
    }

    /// The efficiency at `n` GPUs: 1 for one GPU, interpolated in ln n between measured counts, and beyond
    /// the largest measured count the last measured efficiency times the loss per doubling between the
    /// last two counts (capped at 1, floored at 0.05).
    pub fn efficiency(&self, n: u32) -> f64 {
        if n <= 1 {
            return 1.0;
        }
        let mut pts: Vec<(f64, f64)> = vec![(0.0, 1.0)];
        pts.extend(self.measured.iter().map(|(k, e, _)| (ln(f64::from(*k)), e.min(1.0))));
        let x = ln(f64::from(n));
        for w in pts.windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            if x <= x1 {
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
            }
        }
        let (xa, ya) = pts[pts.len() - 2];
        let (xb, yb) = pts[pts.len() - 1];
        let per_ln = if xb > xa && ya > 0.0 { ln(yb / ya) / (xb - xa) } else { 0.0 };
        (yb * crate::fmath::exp(per_ln.min(0.0) * (x - xb))).clamp(0.05, 1.0)
    }
}

/// What the case has been measured on: picks the residuals its interval comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Case {
    /// The GPU and the workload both have measurements (not necessarily together).
    BothSeen,
    /// The workload has measurements, the GPU none: like `leave-gpu-out`.
    GpuUnseen,
    /// The GPU has measurements, the workload none: like `leave-workload-out`.
    WorkloadUnseen,
    /// Neither: like `leave-both-out`.
    NeitherSeen,
}

/// Composes independent residual bands `(q10, q90)` of ln(predicted ÷ measured): centres add, half-widths
/// add in quadrature.
pub fn compose(parts: &[(f64, f64)]) -> (f64, f64) {
    let centre: f64 = parts.iter().map(|(a, b)| (a + b) / 2.0).sum();
    let half = parts.iter().map(|(a, b)| ((b - a) / 2.0).powi(2)).sum::<f64>().sqrt();
    (centre - half, centre + half)
}

impl Case {
    /// The case of a GPU and a workload, each measured or not.
    pub fn of(gpu_seen: bool, workload_seen: bool) -> Case {
        match (gpu_seen, workload_seen) {
            (true, true) => Case::BothSeen,
            (false, true) => Case::GpuUnseen,
            (true, false) => Case::WorkloadUnseen,
            (false, false) => Case::NeitherSeen,
        }
    }

    /// The protocol whose held-out rows stand for this case (the inverse of `fit::backbone::case_of`).
    pub fn holdout(self) -> crate::fit::mixed::Holdout {
        use crate::fit::mixed::Holdout;
        match self {
            Case::BothSeen => Holdout::Pair,
            Case::GpuUnseen => Holdout::Gpu,
            Case::WorkloadUnseen => Holdout::Workload,
            Case::NeitherSeen => Holdout::Both,
        }
    }
}

/// What a residual band is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BandQuantity {
    /// Throughput of the benchmark rows.
    Throughput,
    /// Throughput of the profile runs (whole runs, input pipelines included).
    ThroughputRuns,
    /// Mean power ÷ power limit of the profile runs.
    PowerFraction,
    /// Energy of the profile runs at the default limit with the predicted duration (whole runs: power and
    /// throughput errors together, input pipelines included).
    EnergyRuns,
    /// ln(one benchmark source's throughput ÷ another's) for the same GPU, workload, precision and GPU count
    /// (Lambda's benchmark versions): how far the training code and software stack alone move a measured
    /// throughput. Added to the band of an estimate that rests on one measured benchmark.
    BenchmarkSpread,
}

/// Quantiles of held-out ln(predicted ÷ measured) for one quantity and case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResidualBand {
    /// Which quantity.
    pub quantity: BandQuantity,
    /// The case.
    pub case: Case,
    /// The family it is of (convolutional or not) when it is taken over one family's workloads only; the
    /// pooled band of every family otherwise.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub conv: Option<bool>,
    /// Held-out rows the quantiles are over.
    pub n: usize,
    /// 10th percentile of ln(predicted ÷ measured).
    pub q10: f64,
    /// 90th percentile.
    pub q90: f64,
    /// Mean absolute percentage error of those rows.
    pub mape_pct: f64,
}

impl ResidualBand {
    /// The throughput band of a throughput that does not come from the fitted model alone: ln-ratio
    /// quantiles over `n` rows, its typical error the half-width as a percentage.
    pub fn stated(case: Case, n: usize, (q10, q90): (f64, f64)) -> ResidualBand {
        let mape_pct = 100.0 * (crate::fmath::exp((q90 - q10) / 2.0) - 1.0);
        ResidualBand { quantity: BandQuantity::Throughput, case, conv: None, n, q10, q90, mape_pct }
    }

    /// Factors (low, high) that turn an estimate into its 80 % interval: measured = predicted ÷ e^r.
    pub fn factors(&self) -> (f64, f64) {
        (crate::fmath::exp(-self.q90), crate::fmath::exp(-self.q10))
    }
}

/// `−ln Σ e^−aᵢ`: the smallest of `a`, softened where they are close. In ln rates, the rate of stages in
/// series (1/r = Σ 1/rᵢ): a run cannot go faster than its slowest part.
pub fn softmin(a: &[f64]) -> f64 {
    let m = a.iter().copied().fold(f64::INFINITY, f64::min);
    // The minimum's own term is e⁰ = 1 exactly: not computed (the fits call this millions of times).
    m - crate::fmath::ln(a.iter().map(|&x| if x == m { 1.0 } else { crate::fmath::exp(-(x - m)) }).sum::<f64>())
}

/// Index of `ln_step_vs_typical` in [`THROUGHPUT_FEATURES`].
pub const STEP_FEATURE: usize = 11;

/// A measured workload's limits in the whole-run stage ([`RunsStage`]), in ln TFLOP/s per GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ceiling {
    /// Workload key.
    pub workload: String,
    /// What the input pipeline feeds, whatever the GPU.
    pub ln_input: f64,
    /// What a fixed time per step allows at the unit's typical step (kernel launches, optimizer and framework
    /// overhead): the limit rises with the step, `ln_step + ln(step ÷ typical)`.
    pub ln_step: f64,
}

/// The second throughput stage: whole measured runs (the calibration profiles) against the benchmark
/// model's training-step rate. A run computes at the benchmark model's rate × an overhead (evaluation,
/// logging, checkpoints: what a benchmark window leaves out) × its GPU's effect, and cannot go faster than
/// its workload's input pipeline feeds it, nor than a fixed time per step allows at its batch (all in ln
/// TFLOP/s per GPU): `ln rate = softmin(ln bench + ln_overhead + gpu effect, ln_input, ln_step + ln batch)`.
///
/// The limits are why small models do not speed up on a faster GPU: a 128 px Keras MobileNet is
/// data-loader bound, so its rate on an RTX 3070 is nearly its rate on an RTX 3090, where a FLOPs-and-specs
/// model predicts several times apart; a CIFAR ShuffleNet at batch 8 is launch bound, its rate ∝ batch up
/// to 512. A workload no profile measured has no limits: its estimate assumes, as the benchmarks do, that
/// the input pipeline keeps the GPUs busy at a large enough batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsStage {
    /// ln(whole-run compute rate ÷ the benchmark model's rate).
    pub ln_overhead: f64,
    /// GPU effects on the compute rate, as (GPU id, ln factor), sorted by id.
    pub gpu_effects: Vec<(String, f64)>,
    /// Each measured workload's limits, sorted by workload.
    pub ceilings: Vec<Ceiling>,
    /// Penalty on the GPU effects (chosen by grouped cross-validation inside the training rows).
    pub lambda_gpu: f64,
    /// Profile rows fitted on.
    pub n_rows: usize,
}

impl RunsStage {
    /// A stage fitted on nothing: it knows no workload and changes no prediction.
    pub fn empty() -> RunsStage {
        RunsStage { ln_overhead: 0.0, gpu_effects: Vec::new(), ceilings: Vec::new(), lambda_gpu: 0.0, n_rows: 0 }
    }

    fn ceiling(&self, key: &str) -> Option<&Ceiling> {
        self.ceilings.binary_search_by(|c| c.workload.as_str().cmp(key)).ok().map(|i| &self.ceilings[i])
    }

    /// Whether a profile measured this workload.
    pub fn knows_workload(&self, key: &str) -> bool {
        self.ceiling(key).is_some()
    }

    /// Whether a profile measured this GPU.
    pub fn knows_gpu(&self, id: &str) -> bool {
        self.gpu_effect(id).is_some()
    }

    fn gpu_effect(&self, id: &str) -> Option<f64> {
        self.gpu_effects.binary_search_by(|(k, _)| k.as_str().cmp(id)).ok().map(|i| self.gpu_effects[i].1)
    }

    /// ln TFLOP/s per GPU of a whole run from the benchmark model's `ln_bench` at ln(samples per GPU per
    /// step ÷ the unit's typical) `ln_step_ratio`; a workload it does not know gets no limits, a GPU it does not
    /// know no effect.
    pub fn predict(&self, ln_bench: f64, ln_step_ratio: f64, workload: &str, gpu: &str) -> f64 {
        let compute = ln_bench + self.ln_overhead + self.gpu_effect(gpu).unwrap_or(0.0);
        self.ceiling(workload).map_or(compute, |c| softmin(&[compute, c.ln_input, c.ln_step + ln_step_ratio]))
    }
}

/// The fitted backbone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backbone {
    /// Format version.
    pub schema_version: u32,
    /// ln(achieved training TFLOP/s per GPU), fitted on the benchmark rows.
    pub throughput: FittedMixed,
    /// Whole runs against benchmark windows ([`RunsStage`]): applied to the workloads only the profiles
    /// measured.
    pub throughput_runs: RunsStage,
    /// Mean power ÷ power limit.
    pub power: FittedMixed,
    /// Typical ln(samples per GPU per step) for images and for tokens, used when a case gives none.
    pub batch_default: [f64; 2],
    /// Measured single-GPU throughputs.
    pub measured: Vec<MeasuredThroughput>,
    /// Multi-GPU efficiency.
    pub scaling: Scaling,
    /// Held-out residuals, per quantity and case.
    pub bands: Vec<ResidualBand>,
    /// What heavily tuned submissions reach (`efficiency=tuned`), per sample unit.
    #[serde(default)]
    pub tuned: Vec<TunedEfficiency>,
    /// The best utilisation any measured benchmark run reached, per precision and family: no estimate from
    /// specs implies more ([`Backbone::ceiling`]).
    #[serde(default)]
    pub ceilings: Vec<MfuCeiling>,
    /// The share of a long run's wall time that trains, calibrated on published runs (`None`: not fitted).
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub goodput: Option<GoodputModel>,
}

/// Goodput: the share of a run's wall time that trains. A benchmark window (and an MLPerf time-to-train run of
/// minutes) never sees what a months-long production run loses to restarts after failures, evaluations,
/// checkpoints and stragglers. Runs of up to [`GOODPUT_SHORT_DAYS`] lose nothing here; from
/// [`GOODPUT_LONG_DAYS`] on they keep [`GoodputModel::long`]; between the two the loss grows with ln(wall time).
/// `long` is fitted on the published runs of a month or more (`wattcast fit`, `crate::references`): the median of
/// what each implies, and the references report scores each run with the median of the others (leave one out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoodputModel {
    /// Goodput of a run of [`GOODPUT_LONG_DAYS`] or more.
    pub long: f64,
    /// The published runs it is the median of: (id, the long-run goodput the run implies).
    pub runs: Vec<(String, f64)>,
}

/// Wall time (days) up to which a run is taken to lose nothing: a day's run rarely meets a failure, and its
/// evaluations are in the benchmarks' and MLPerf's times already.
pub const GOODPUT_SHORT_DAYS: f64 = 1.0;
/// Wall time (days) from which a run loses the fitted long-run share: a month of pre-training meets failures
/// and restarts (Llama 3 405B: 419 unexpected interruptions in 54 days; Dubey et al. 2024, arXiv 2407.21783 §3.3.4).
pub const GOODPUT_LONG_DAYS: f64 = 30.0;

impl GoodputModel {
    /// How far a run of `wall_h` hours is from short (0) to long (1), in ln(wall time).
    pub fn length_share(wall_h: f64) -> f64 {
        let days = wall_h / 24.0;
        if days <= GOODPUT_SHORT_DAYS {
            return 0.0;
        }
        (ln(days / GOODPUT_SHORT_DAYS) / ln(GOODPUT_LONG_DAYS / GOODPUT_SHORT_DAYS)).min(1.0)
    }

    /// The goodput of a run whose training alone takes `wall_h` hours.
    pub fn at(&self, wall_h: f64) -> f64 {
        1.0 - (1.0 - self.long) * Self::length_share(wall_h)
    }

    /// The long-run goodput a run implies: its predicted ÷ published time `ratio` (before goodput), capped at 1
    /// (a run predicted slower than published says the model is slow, not that it trained more than its wall
    /// time), for a run whose predicted training takes at least [`GOODPUT_LONG_DAYS`] (`wall_h` hours); `None` for a
    /// shorter one, whose ratio says as much about its assumed GPU count as about lost time.
    pub fn implied_long(ratio: f64, wall_h: f64) -> Option<f64> {
        (Self::length_share(wall_h) >= 1.0 && ratio.is_finite() && ratio > 0.0).then(|| ratio.min(1.0))
    }

    /// The model over runs' implied long-run goodputs: their median (capped at 1: no run trains faster than its
    /// training).
    pub fn of(runs: Vec<(String, f64)>) -> Option<GoodputModel> {
        let mid = crate::fit::median(runs.iter().map(|r| r.1).collect())?;
        Some(GoodputModel { long: (mid.min(1.0) * 1e4).round() / 1e4, runs })
    }

    /// The same model without one run (leave one out).
    pub fn without(&self, id: &str) -> Option<GoodputModel> {
        Self::of(self.runs.iter().filter(|r| r.0 != id).cloned().collect())
    }
}

/// The highest share of its peak FLOP/s that a measured benchmark run reached at one precision (FP16 and
/// BF16 as [`Precision::Bf16`]: the same tensor rate), for convolutional networks or the rest
/// ([`crate::fit::backbone::ceilings`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfuCeiling {
    /// The precision (half precision as BF16).
    pub precision: Precision,
    /// Convolutional networks, or the rest.
    pub conv: bool,
    /// Training TFLOP/s ÷ peak of the best run.
    pub mfu: f64,
    /// That run: GPU, workload and source.
    pub run: String,
    /// Runs it is the maximum of.
    pub n: usize,
}

/// How much slower than NVIDIA's specs-to-speed relation says another vendor's software stack may train, where no
/// benchmark measured that vendor at the precision: MLPerf Training v5.0 (Llama 2 70B LoRA) put 8 × MI300X slightly
/// behind 8 × H100, whose dense BF16 peak is 1.32 × lower (1,307 against 989 TFLOP/s), so the relation carried over
/// was about 1.4 × too fast there. The interval's slow end reaches 1.5 × (the estimate itself is not moved: one
/// result on one workload is no calibration).
pub const OTHER_STACK_SLOWER: f64 = 1.5;

/// The precision a ceiling is kept under: FP16 and FP8 as BF16 (FP8's speed-up applies after the ceiling).
pub fn ceiling_precision(p: Precision) -> Precision {
    match p {
        Precision::Fp16 | Precision::Fp8 => Precision::Bf16,
        p => p,
    }
}

/// How much faster heavily tuned code trains than the spec model predicts (MLPerf Training's time-to-train runs
/// against the fitted throughput model on the same GPU for the anonymous workload, [`WorkloadInput::anonymous`]),
/// for one sample unit ([`crate::fit::backbone::tuned`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TunedEfficiency {
    /// Images or tokens.
    pub unit: SampleUnit,
    /// Median factor over the spec model's throughput for the anonymous workload (no workload effect or
    /// benchmark, the typical step).
    pub uplift: f64,
    /// 10th percentile of ln(row ÷ median) over the rows.
    pub q10: f64,
    /// 90th percentile.
    pub q90: f64,
    /// Rows (GPU × count configurations).
    pub n: usize,
    /// Workloads the rows are of.
    pub workloads: Vec<String>,
    /// Workloads left out because a row implied more than the peak (so its samples are not what the
    /// count says: MLPerf BERT's packed sequences are shorter than 512 tokens).
    pub dropped: Vec<String>,
    /// How the uplift moves with the work and the GPU, about the rows' means (none where the rows do not vary).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<UpliftTerm>,
}

/// What a term of the tuned uplift reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpliftInput {
    /// ln forward GFLOPs per sample: the spec model's utilisation rises with the work per sample (timm's networks,
    /// the H200 runs' language models) where tuned code's stays near 40 % from 125 M to 70 B parameters (MPT).
    LnForwardGflops,
    /// ln dense peak TFLOP/s at the precision: the spec model gains less than the peak on a faster GPU (framework
    /// defaults), where tuned code keeps its share of it (MPT on A100 and H100 alike).
    LnPeakTflops,
}

/// One term of the tuned uplift: ln(uplift) += slope × (x − mid), x held to the rows' range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpliftTerm {
    /// What x is.
    pub input: UpliftInput,
    /// ln(uplift) per unit of x.
    pub slope: f64,
    /// Mean x of the rows.
    pub mid: f64,
    /// Range of x over the rows.
    pub range: (f64, f64),
}

impl TunedEfficiency {
    /// The uplift for a workload of `forward_gflops` per sample on a GPU of `peak_tflops` (each held to the
    /// rows' range; an unknown input leaves its term out).
    pub fn uplift_at(&self, forward_gflops: f64, peak_tflops: Option<f64>) -> f64 {
        let ln_uplift: f64 = self
            .terms
            .iter()
            .filter_map(|t| {
                let v = match t.input {
                    UpliftInput::LnForwardGflops => forward_gflops,
                    UpliftInput::LnPeakTflops => peak_tflops?,
                };
                (v > 0.0 && t.range.0 <= t.range.1).then(|| t.slope * (ln(v).clamp(t.range.0, t.range.1) - t.mid))
            })
            .sum();
        self.uplift * crate::fmath::exp(ln_uplift)
    }
}

/// A throughput estimate for one GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct Throughput {
    /// Samples per second: of one GPU from [`Backbone::throughput`], over all the run's GPUs once
    /// [`crate::methods::headline::duration`] has scaled it.
    pub samples_per_s: f64,
    /// Achieved training TFLOP/s per GPU ÷ the GPU's peak at the precision.
    pub mfu: f64,
    /// The measured benchmark it comes from, when one matched.
    pub measured_source: Option<String>,
    /// What the case has been measured on.
    pub case: Case,
    /// Whether only the profiles measured this workload (its band is the profile runs').
    pub runs_only: bool,
    /// Whether the workload is convolutional (its family's band applies where it has one).
    pub conv: bool,
    /// The band of a throughput that does not come from the fitted model (a tuned or stated utilisation),
    /// used instead of the model's.
    pub fixed_band: Option<ResidualBand>,
    /// How the run's GPUs work together (one GPU until [`crate::methods::headline::duration`] scales it).
    pub scaling: Option<crate::methods::cluster::Scaling>,
    /// What measured siblings changed in a prediction from specs ([`crate::siblings`]), in words.
    pub basis: Option<String>,
    /// The ceiling ([`MfuCeiling`]) that held the estimate down, when one did.
    pub capped_at: Option<f64>,
    /// The goodput applied to the wall time, and whether the link gave it (else the default for the run's length).
    pub goodput: Option<(f64, bool)>,
    /// Predicted for a vendor no benchmark measured at this precision ([`OTHER_STACK_SLOWER`] widened its band).
    pub other_stack: bool,
}

/// Whether a cell measured at `measured` stands for `precision` on `gpu`: the same, or FP16 and BF16 mixed
/// precision, which run on the same tensor cores at the same rate where both exist.
fn same_rate(gpu: &Gpu, measured: Precision, precision: Precision) -> bool {
    let half = |p: Precision| matches!(p, Precision::Fp16 | Precision::Bf16);
    measured == precision
        || (half(measured)
            && half(precision)
            && gpu_peak(gpu, measured).is_some()
            && gpu_peak(gpu, measured) == gpu_peak(gpu, precision))
}

impl Backbone {
    /// Parses `data/models/backbone.json`.
    pub fn from_json(text: &str) -> Result<Self, crate::DataError> {
        let b: Backbone = serde_json::from_str(text)
            .map_err(|e| crate::DataError::Json { file: "models/backbone.json", message: e.to_string() })?;
        if b.schema_version != BACKBONE_SCHEMA_VERSION {
            return Err(crate::DataError::SchemaVersion { file: "models/backbone.json", found: b.schema_version });
        }
        Ok(b)
    }

    /// Which case a (GPU, workload) pair is for the throughput models (benchmarks and profiles).
    pub fn throughput_case(&self, gpu_id: &str, workload: &str) -> Case {
        let gpu_seen = self.throughput.knows(1, gpu_id) || self.throughput_runs.knows_gpu(gpu_id);
        let wl_seen = self.throughput.knows(0, workload) || self.throughput_runs.knows_workload(workload);
        Case::of(gpu_seen, wl_seen)
    }

    /// Which case a (GPU, workload) pair is for the power model (profiles only).
    pub fn power_case(&self, gpu_id: &str, workload: &str) -> Case {
        Case::of(self.power.knows(1, gpu_id), self.power.knows(0, workload))
    }

    /// The (low, high) factors of an energy estimate's 80 % interval. With the duration given: the power
    /// band of its case. With the duration estimated for a workload that only the profiles measured: the
    /// held-out energy band of those whole runs for the power case (power and throughput errors as they
    /// came together). Otherwise the power band composed with the throughput band ([`compose`]: centres
    /// add, half-widths in quadrature; the two errors are taken as independent).
    pub fn energy_factors(&self, power_case: Case, throughput: Option<&Throughput>) -> (f64, f64) {
        let mut parts = Vec::new();
        match throughput {
            Some(t) if t.runs_only && t.measured_source.is_none() => {
                parts.extend(self.band(BandQuantity::EnergyRuns, power_case).map(|b| (b.q10, b.q90)));
            }
            _ => {
                parts.extend(self.band(BandQuantity::PowerFraction, power_case).map(|b| (b.q10, b.q90)));
                if let Some(b) = throughput.and_then(|t| self.throughput_band(t)) {
                    // Throughput over-predicted (r > 0) means energy under-predicted: the sign flips.
                    parts.push((-b.q90, -b.q10));
                }
            }
        }
        let (q10, q90) = compose(&parts);
        (crate::fmath::exp(-q90), crate::fmath::exp(-q10))
    }

    /// The pooled residual band of a quantity for a case (falling back to the widest case measured).
    pub fn band(&self, quantity: BandQuantity, case: Case) -> Option<&ResidualBand> {
        let pooled = || self.bands.iter().filter(|b| b.quantity == quantity && b.conv.is_none());
        pooled()
            .find(|b| b.case == case)
            .or_else(|| pooled().max_by(|a, b| (a.q90 - a.q10).total_cmp(&(b.q90 - b.q10))))
    }

    /// The band of a quantity for a case and a workload family: the family's own where there is one
    /// (unseen workloads of a family with several benchmarked workloads), else the pooled [`Self::band`].
    pub fn family_band(&self, quantity: BandQuantity, case: Case, conv: bool) -> Option<&ResidualBand> {
        self.bands
            .iter()
            .find(|b| b.quantity == quantity && b.case == case && b.conv == Some(conv))
            .or_else(|| self.band(quantity, case))
    }

    /// The band of a throughput estimate: for a workload that only the profiles measured, the profile
    /// runs' (`throughput-runs`: whole runs, input pipelines included); otherwise the benchmark rows' of
    /// its case, which assumes, as the benchmarks do, that the input pipeline keeps the GPUs busy. A
    /// measured benchmark counts as the pair-held-out case: it is a benchmark window, not the user's whole
    /// run.
    pub fn throughput_band<'a>(&'a self, t: &'a Throughput) -> Option<&'a ResidualBand> {
        if let Some(b) = &t.fixed_band {
            return Some(b);
        }
        let case = if t.measured_source.is_some() { Case::BothSeen } else { t.case };
        if t.runs_only && t.measured_source.is_none() {
            return self.band(BandQuantity::ThroughputRuns, case).or_else(|| self.band(BandQuantity::Throughput, case));
        }
        self.family_band(BandQuantity::Throughput, case, t.conv)
    }

    /// Fixes on `thr` its band composed with another, independent one (`(q10, q90)` of ln(predicted ÷ measured),
    /// [`compose`]), as a band over `n` rows.
    pub fn compose_band(&self, thr: &mut Throughput, other: (f64, f64), n: usize) {
        let parts: Vec<(f64, f64)> =
            [Some(other), self.throughput_band(thr).map(|b| (b.q10, b.q90))].into_iter().flatten().collect();
        thr.fixed_band = Some(ResidualBand::stated(thr.case, n, compose(&parts)));
    }

    /// ln(training TFLOP/s per GPU) of the benchmark model for software `sw`, before what siblings carry.
    fn ln_bench(&self, gpu: &Gpu, precision: Precision, w: &WorkloadInput, sw: Software) -> Option<(f64, f64)> {
        let x = throughput_features(gpu, precision, w, sw, &self.batch_default)?;
        Some((self.throughput.predict(&x, [w.key.as_str(), gpu.id.as_str()]), x[STEP_FEATURE]))
    }

    /// What `gpu`'s siblings carry to its prediction for `w` ([`crate::siblings`]), in ln, with the siblings
    /// it came from: the mean residual (ln measured ÷ predicted for the benchmark's software) of the siblings
    /// measured on this workload at this precision.
    pub fn sibling_carry(&self, gpu: &Gpu, precision: Precision, w: &WorkloadInput, all: &[Gpu]) -> (f64, Vec<String>) {
        let mut from = Vec::new();
        let pair: Vec<f64> = crate::siblings::siblings(gpu, all)
            .filter_map(|s| {
                let m = self.measured_cell(s, precision, &w.key)?;
                let at = WorkloadInput { forward_gflops: m.forward_gflops, ..w.clone() };
                let (pred, _) = self.ln_bench(s, m.precision, &at, m.software())?;
                from.push(s.name.clone());
                Some(ln(m.tflops()) - pred)
            })
            .collect();
        (crate::siblings::carry(&pair), from)
    }

    /// For a convolutional network no sibling measured: the mean residual of the other convolutional networks
    /// measured on this GPU at this precision, with their names. How a GPU runs convolutions (cuDNN's kernels,
    /// its memory-bound layers) carries across networks: Lambda's ResNet-50 runs at 7 % of an H100's BF16 peak,
    /// below what the specs say (fitted with timm's networks, a ResNet-18 predicted without it came out at 2.3 ×
    /// ResNet-50's FLOP rate on the H100, where timm measured 1.3 × on an RTX 3090).
    pub fn family_carry(&self, gpu: &Gpu, precision: Precision, w: &WorkloadInput) -> Option<(f64, Vec<String>)> {
        if !w.conv {
            return None;
        }
        let cells: Vec<&MeasuredThroughput> = self
            .measured
            .iter()
            .filter(|m| m.gpu_id == gpu.id && m.conv && m.workload != w.key && same_rate(gpu, m.precision, precision))
            .collect();
        let r: Vec<f64> = cells.iter().map(|m| m.ln_residual).collect();
        (!r.is_empty()).then(|| {
            let from = cells.iter().map(|m| format!("{} on this GPU", m.workload)).collect();
            (crate::siblings::carry(&r), from)
        })
    }

    /// Achieved training TFLOP/s per GPU predicted from specs, on one basis with the measured siblings among
    /// `all` (the catalogue's GPUs; [`Self::sibling_carry`]); `None` when a spec is missing.
    pub fn model_tflops(&self, gpu: &Gpu, precision: Precision, w: &WorkloadInput, all: &[Gpu]) -> Option<f64> {
        self.model_tflops_with_basis(gpu, precision, w, all).map(|(t, _)| t)
    }

    fn model_tflops_with_basis(
        &self,
        gpu: &Gpu,
        precision: Precision,
        w: &WorkloadInput,
        all: &[Gpu],
    ) -> Option<(f64, (f64, Vec<String>))> {
        let (bench, step) = self.ln_bench(gpu, precision, w, Software::Current)?;
        let mut carried = self.sibling_carry(gpu, precision, w, all);
        if carried.1.is_empty() {
            carried = self.family_carry(gpu, precision, w).unwrap_or(carried);
        }
        let bench = bench + carried.0;
        // The whole-run stage applies to the workloads only the profiles measured (see `throughput_runs`).
        let only_runs = self.throughput_runs.knows_workload(&w.key) && !self.throughput.knows(0, &w.key);
        let ln_rate = if only_runs { self.throughput_runs.predict(bench, step, &w.key, &gpu.id) } else { bench };
        Some((crate::fmath::exp(ln_rate), carried))
    }

    /// The measured benchmark of `gpu` on workload `key` at `precision`, or at the other half precision where
    /// the GPU runs both at the same rate.
    fn measured_cell(&self, gpu: &Gpu, precision: Precision, key: &str) -> Option<&MeasuredThroughput> {
        self.measured
            .iter()
            .filter(|m| m.gpu_id == gpu.id && m.workload == key && same_rate(gpu, m.precision, precision))
            .min_by_key(|m| m.precision != precision)
    }

    /// The best utilisation a measured run reached at a precision for a family ([`MfuCeiling`]).
    pub fn ceiling(&self, precision: Precision, conv: bool) -> Option<&MfuCeiling> {
        let p = ceiling_precision(precision);
        self.ceilings.iter().find(|c| c.precision == p && c.conv == conv)
    }

    /// Holds a throughput from specs (or a tuned one) to the ceiling of its precision and family: no estimate
    /// implies more utilisation than the best measured run reached. A framework-default estimate for an architecture
    /// older than any measured is held, too, to the oldest measured one's best ([`Self::architecture_ceiling`]). A
    /// measured benchmark keeps its measurement.
    pub fn cap(&self, thr: &mut Throughput, precision: Precision, typical: Option<(&Gpu, &[Gpu])>) {
        let Some(global) = self.ceiling(precision, thr.conv).map(|c| c.mfu) else { return };
        let own = typical.and_then(|(gpu, all)| self.architecture_ceiling(gpu, precision, thr.conv, all));
        let c = own.map_or(global, |o| o.min(global));
        if thr.measured_source.is_none() && thr.mfu.is_finite() && thr.mfu > c {
            thr.samples_per_s *= c / thr.mfu;
            thr.mfu = c;
            thr.capped_at = Some(c);
        }
    }

    /// For an architecture no benchmark measured at the precision and family and older than every measured one of
    /// its vendor (Kepler, Maxwell), the best share of peak the oldest measured architecture reached (framework-
    /// default, one GPU): a generation uses its peak no better than the next one did. At FP32, a measured
    /// architecture's own best. `None` otherwise.
    pub fn architecture_ceiling(&self, gpu: &Gpu, precision: Precision, conv: bool, all: &[Gpu]) -> Option<f64> {
        let p = ceiling_precision(precision);
        let cells: Vec<(&Gpu, f64)> = self
            .measured
            .iter()
            .filter(|m| ceiling_precision(m.precision) == p && m.conv == conv)
            .filter_map(|m| {
                let g = all.iter().find(|g| g.id == m.gpu_id && g.vendor == gpu.vendor)?;
                Some((g, m.tflops() / gpu_peak(g, m.precision)?))
            })
            .collect();
        let best_of = |arch: &str| {
            cells
                .iter()
                .filter(|(g, _)| g.architecture == arch)
                .map(|(_, mfu)| *mfu)
                .fold(None, |a: Option<f64>, m| Some(a.map_or(m, |a| a.max(m))))
        };
        // A measured architecture keeps the global ceiling on tensor cores: one benchmark's share of peak is no
        // limit on another workload (Lambda's BERT reached 22 % of an H100's BF16 peak; language-model runs on an
        // H200 reach 30–44 %), since tensor-core code matures workload by workload. FP32 on CUDA cores runs every
        // workload through the same kernels of its generation: there its own best measured share is its ceiling
        // (Pascal: BERT-base on the GTX 1080 Ti, 64 %; the global 78 % is a V100's).
        if let Some(own) = best_of(&gpu.architecture) {
            return (p == Precision::Fp32).then_some(own);
        }
        let year = gpu.release_year?;
        let oldest =
            cells.iter().filter_map(|(g, _)| g.release_year.map(|y| (y, g))).min_by_key(|(y, g)| (*y, &g.id))?;
        (year < oldest.0).then(|| best_of(&oldest.1.architecture)).flatten()
    }

    /// Samples per GPU per step of a workload: its own, else the typical step of its unit.
    pub fn step_samples(&self, w: &WorkloadInput) -> f64 {
        w.step_samples_per_gpu
            .filter(|b| *b > 0.0)
            .unwrap_or_else(|| crate::fmath::exp(self.batch_default[unit_index(w.unit)]))
    }

    /// The tuned utilisation for a sample unit, when the benchmarks had tuned rows of it.
    pub fn tuned_for(&self, unit: SampleUnit) -> Option<&TunedEfficiency> {
        self.tuned.iter().find(|t| t.unit == unit)
    }

    /// Throughput of one `gpu`: the measured benchmark when one matches, else the model on one basis with the
    /// measured siblings among `all` (the catalogue's GPUs), never faster than a sibling measured on this
    /// workload that it does not out-spec ([`crate::siblings::out_specs`]). The run's GPUs and
    /// servers scale it in [`crate::methods::headline::duration`].
    pub fn throughput(&self, gpu: &Gpu, precision: Precision, w: &WorkloadInput, all: &[Gpu]) -> Option<Throughput> {
        let peak = gpu_peak(gpu, precision);
        let (mut per_gpu, source, mut basis) = match self.measured_cell(gpu, precision, &w.key) {
            // Rescaled by FLOPs per sample where the user's workload differs from the measured one (input size).
            Some(m) => (m.samples_per_s * m.forward_gflops / w.forward_gflops, Some(m.source.clone()), None),
            None => {
                let (tflops, (carry, from)) = self.model_tflops_with_basis(gpu, precision, w, all)?;
                let basis = (!from.is_empty()).then(|| {
                    format!("× {:.2} on one basis with measured {}", crate::fmath::exp(carry), from.join(", "))
                });
                (tflops * 1e3 / (TRAINING_FLOPS_FACTOR * w.forward_gflops), None, basis)
            }
        };
        if source.is_none() {
            for s in crate::siblings::same_architecture(gpu, all) {
                let (Some(m), Some(mine), Some(theirs)) =
                    (self.measured_cell(s, precision, &w.key), specs(gpu, precision), specs(s, precision))
                else {
                    continue;
                };
                // Within the line (same segment): not faster than a sibling it does not out-spec.
                let theirs_per_gpu = m.samples_per_s * m.forward_gflops / w.forward_gflops;
                let line = s.segment == gpu.segment;
                if line && !crate::siblings::out_specs(mine, theirs) && per_gpu > theirs_per_gpu {
                    per_gpu = theirs_per_gpu;
                    basis = Some(format!("no faster than the measured {}, which it does not out-spec", s.name));
                }
                // The same kernels on the same architecture: no higher share of its peak than a measured one reached.
                let their_mfu = m.tflops() / theirs.0;
                let mine_at_theirs = their_mfu * mine.0 * 1e3 / (TRAINING_FLOPS_FACTOR * w.forward_gflops);
                if per_gpu > mine_at_theirs {
                    per_gpu = mine_at_theirs;
                    basis =
                        Some(format!("at most the {:.0} % of peak the measured {} reached", their_mfu * 100.0, s.name));
                }
            }
        }
        // Another vendor's software stack, never measured at this precision: NVIDIA's specs-to-speed relation
        // carried over may be too fast, so it is held to what its specs say against the measured GPUs of other
        // vendors (no faster than one by more than the larger of its peak and bandwidth ratios, and no faster
        // than one it is behind on both), and the interval reaches that much slower.
        let other_stack = source.is_none() && !self.vendor_measured(gpu, precision, all);
        if other_stack {
            for s in all.iter().filter(|s| s.vendor != gpu.vendor) {
                // The other GPU as the same link runs it (a GPU without BF16 at its fallback precision).
                let theirs_at = fitted_precision(effective_precision(s, precision).0);
                let (Some(m), Some(mine), Some(theirs)) =
                    (self.measured_cell(s, theirs_at, &w.key), specs(gpu, precision), specs(s, theirs_at))
                else {
                    continue;
                };
                let ratio = (mine.0 / theirs.0).max(mine.1 / theirs.1).max(1.0);
                let cap = m.samples_per_s * m.forward_gflops / w.forward_gflops * ratio;
                if per_gpu > cap {
                    per_gpu = cap;
                    let by = if ratio > 1.0 {
                        format!(" × {ratio:.2} (how far its peak or bandwidth is ahead)")
                    } else {
                        ", which it does not out-spec".to_string()
                    };
                    basis = Some(format!(
                        "no faster than the measured {}{by}: no {} GPU was measured at this precision",
                        s.name, gpu.vendor
                    ));
                }
            }
        }
        let achieved = per_gpu * TRAINING_FLOPS_FACTOR * w.forward_gflops / 1e3;
        let mut thr = Throughput {
            samples_per_s: per_gpu,
            mfu: peak.map_or(f64::NAN, |p| achieved / p),
            measured_source: source,
            case: self.throughput_case(&gpu.id, &w.key),
            runs_only: self.throughput_runs.knows_workload(&w.key) && !self.throughput.knows(0, &w.key),
            conv: w.conv,
            fixed_band: None,
            scaling: None,
            basis,
            capped_at: None,
            goodput: None,
            other_stack: false,
        };
        // A measured benchmark: the model's error for a measured pair, and how far another code or software
        // version of the same benchmark moved it.
        if let (Some(_), Some((q10, q90, n)), Some(spread)) = (
            &thr.measured_source,
            self.throughput_band(&thr).map(|b| (b.q10, b.q90, b.n)),
            self.band(BandQuantity::BenchmarkSpread, Case::BothSeen),
        ) {
            let q = compose(&[(q10, q90), (spread.q10, spread.q90)]);
            thr.fixed_band = Some(ResidualBand::stated(Case::BothSeen, n + spread.n, q));
        }
        if other_stack {
            thr.other_stack = true;
            let n = self.throughput_band(&thr).map_or(0, |b| b.n);
            self.compose_band(&mut thr, (0.0, crate::fmath::ln(OTHER_STACK_SLOWER)), n);
        }
        Some(thr)
    }

    /// Whether a benchmark measured any GPU of `gpu`'s vendor at `precision` (FP16 and BF16 as one).
    pub fn vendor_measured(&self, gpu: &Gpu, precision: Precision, all: &[Gpu]) -> bool {
        let p = ceiling_precision(precision);
        self.measured.iter().any(|m| {
            ceiling_precision(m.precision) == p && all.iter().any(|g| g.id == m.gpu_id && g.vendor == gpu.vendor)
        })
    }

    /// Mean power ÷ power limit for a case (clamped to 0.05–1.0), `None` when a spec is missing.
    pub fn power_fraction(&self, gpu: &Gpu, precision: Precision, w: &WorkloadInput, limit_w: f64) -> Option<f64> {
        let x = power_features(gpu, precision, w, limit_w, &self.batch_default)?;
        Some(self.power.predict(&x, [&w.key, &gpu.id]).clamp(0.05, 1.0))
    }
}
