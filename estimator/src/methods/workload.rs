//! The compute a scenario needs (training FLOPs) and the FLOPs duration model.
//!
//! Training FLOPs ≈ 3 × forward FLOPs × samples × epochs (forward + backward ≈ 3 forward passes;
//! Kaplan et al. 2020, "Scaling laws", C ≈ 6N per token = 3 × 2N); for LoRA ≈ 2 × forward + the adapters
//! ([`crate::methods::transformer`]). A transformer's forward FLOPs per token are computed from its shape at
//! the scenario's sequence length. Duration = FLOPs ÷ (n_gpus × peak FLOP/s × utilisation).

use crate::catalog::{Catalog, Gpu, SampleUnit, Transformer};
use crate::scenario::{ArchChoice, Mode, Precision, Scenario};

/// Factor from forward to training FLOPs (forward + backward).
pub const TRAINING_FLOPS_FACTOR: f64 = 3.0;

/// Factor from forward to LoRA's training FLOPs for the frozen weights: forward + activation gradients,
/// no weight gradients. Arithmetic alone makes LoRA up to 1.5 × faster than full fine-tuning; Hu et al.
/// 2021 measured 1.25 × on GPT-3 175B (the rest is work this count does not see).
pub const LORA_FLOPS_FACTOR: f64 = 2.0;

/// Fraction of peak FLOP/s a training run sustains in the FLOPs model.
///
/// Source: Amodei & Hernandez, "AI and Compute" (OpenAI, 2018), which assumes 33 % utilisation of
/// GPU peak for its compute estimates. Measured MFU of real runs ranges widely (≈ 0.2–0.6).
pub const FLOPS_UTILISATION: f64 = 0.33;

/// The workload of a scenario, independent of the GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Forward GFLOPs per sample at the scenario's input, when known.
    pub forward_gflops: Option<f64>,
    /// Training GFLOPs per sample (forward and backward, by mode), when known.
    pub training_gflops: Option<f64>,
    /// Total training FLOPs, when known.
    pub training_flops: Option<f64>,
    /// Parameters of the model, when known.
    pub params: Option<f64>,
    /// Parameters that train (all of them, or LoRA's adapters), when known.
    pub trainable_params: Option<f64>,
    /// The transformer's shape, for a catalogue transformer.
    pub shape: Option<Transformer>,
    /// Sequence length, tokens, for a transformer.
    pub seq: Option<u32>,
    /// Notes on how the FLOPs were obtained, or why they are unknown.
    pub warnings: Vec<String>,
}

impl Workload {
    /// Computes the workload of a resolved scenario.
    pub fn of(scenario: &Scenario, catalog: &Catalog) -> Workload {
        let mut warnings = Vec::new();
        let arch = scenario.catalog_arch(catalog);
        let forward_gflops = match (&scenario.arch, arch) {
            (ArchChoice::Custom { gflops, .. }, _) => Some(*gflops),
            (ArchChoice::Catalog { .. }, None) => None,
            (ArchChoice::Catalog { .. }, Some(a)) => match a.forward_gflops {
                None => {
                    warnings.push(format!(
                        "no forward FLOPs are known for \"{}\"; give \"hours\" or use a custom architecture",
                        a.id
                    ));
                    None
                }
                Some(_) => {
                    if let (SampleUnit::Image, Some(base), Some(px)) = (a.sample_unit, a.input_px, scenario.input_px) {
                        if px != base {
                            warnings.push(format!(
                                "forward FLOPs scaled by input area from {base}×{base} to {px}×{px} px (approximate)"
                            ));
                        }
                    }
                    a.gflops_at(scenario.input_px)
                }
            },
        };
        let shape = arch.and_then(|a| a.transformer.as_ref());
        let seq = shape.map(|t| scenario.job.seq.unwrap_or_else(|| t.default_seq()));
        let forward_gflops = match (shape, seq) {
            (Some(t), Some(s)) => {
                if s > t.context {
                    warnings.push(format!(
                        "sequence of {s} tokens is longer than the model's context of {} tokens",
                        t.context
                    ));
                }
                Some(t.forward_flops(s) / 1e9)
            }
            _ => forward_gflops,
        };
        if scenario.job.seq.is_some() && shape.is_none() {
            warnings.push("\"seq\" applies to catalogue transformers only; ignored".into());
        }
        let params = match &scenario.arch {
            ArchChoice::Catalog { .. } => arch.and_then(|a| a.params_m),
            ArchChoice::Custom { params_m, .. } => *params_m,
        }
        .map(|p| p * 1e6);
        let shape_owned = shape.cloned();
        let (training_gflops, trainable_params) = match (scenario.job.mode, shape) {
            (Mode::Lora, Some(t)) => {
                let adapters = t.lora_params(scenario.job.lora_rank);
                (forward_gflops.map(|f| LORA_FLOPS_FACTOR * f + 6.0 * adapters / 1e9), Some(adapters))
            }
            (mode, _) => {
                if mode == Mode::Lora {
                    warnings.push(
                        "LoRA needs a catalogue transformer (its attention shape): counted as full fine-tuning".into(),
                    );
                }
                (forward_gflops.map(|f| TRAINING_FLOPS_FACTOR * f), params)
            }
        };
        let training_flops = training_gflops.map(|g| g * 1e9 * scenario.samples as f64 * f64::from(scenario.epochs));
        Workload {
            forward_gflops,
            training_gflops,
            training_flops,
            params,
            trainable_params,
            shape: shape_owned,
            seq,
            warnings,
        }
    }
}

/// FP8 dense peak ÷ BF16 dense peak, on every GPU with FP8 tensor cores (datasheets, dense TFLOPS: H100 SXM
/// 1,979 ÷ 989, L40S 733 ÷ 362, B200 4,500 ÷ 2,250, MI300X 2,615 ÷ 1,307; GeForce Ada with FP32 accumulate).
pub const FP8_OVER_BF16: f64 = 2.0;

/// The architectures with FP8 tensor cores (NVIDIA's Ada and Hopper whitepapers, 2022; Blackwell, 2024; AMD
/// CDNA 3 whitepaper, 2023).
pub const FP8_ARCHITECTURES: [&str; 4] = ["Ada Lovelace", "Hopper", "Blackwell", "CDNA 3"];

/// Whether a GPU has FP8 tensor cores.
pub fn has_fp8(gpu: &Gpu) -> bool {
    FP8_ARCHITECTURES.contains(&gpu.architecture.as_str())
}

/// The peak TFLOP/s the FLOPs model uses for a GPU at a precision, with a warning when it falls back.
///
/// fp32 → `fp32_tflops` (CUDA cores); tf32 → `tf32_tensor_tflops`; fp16 → `fp16_tensor_tflops`;
/// bf16 → `bf16_tensor_tflops`; fp8 → [`FP8_OVER_BF16`] × the BF16 figure on [`FP8_ARCHITECTURES`], else
/// BF16's peak (the headline's sentence says the GPU has none). Tensor figures are dense (no 2:4 sparsity). A missing tensor figure
/// falls back to `fp32_tflops`, with a warning.
pub fn peak_tflops(gpu: &Gpu, precision: Precision) -> (Option<f64>, Option<String>) {
    let tensor = match precision {
        Precision::Fp32 => return (gpu.fp32_tflops, None),
        Precision::Tf32 => gpu.tf32_tensor_tflops,
        Precision::Fp16 => gpu.fp16_tensor_tflops,
        Precision::Bf16 => gpu.bf16_tensor_tflops,
        Precision::Fp8 if has_fp8(gpu) => gpu.bf16_tensor_tflops.map(|b| b * FP8_OVER_BF16),
        Precision::Fp8 => return peak_tflops(gpu, Precision::Bf16),
    };
    match (tensor, gpu.fp32_tflops) {
        (Some(t), _) => (Some(t), None),
        (None, Some(f)) => {
            (Some(f), Some(format!("no dense {precision} tensor peak known for {}; used its FP32 peak", gpu.name)))
        }
        (None, None) => (None, None),
    }
}

/// The FLOPs model's duration in hours for a GPU, with the warnings that go with it.
pub fn flops_duration_h(work: &Workload, gpu: &Gpu, scenario: &Scenario) -> (Option<f64>, Vec<String>) {
    let mut warnings = work.warnings.clone();
    let (peak, fallback) = peak_tflops(gpu, scenario.precision);
    warnings.extend(fallback);
    let Some(flops) = work.training_flops else { return (None, warnings) };
    match peak {
        None => {
            warnings.push(format!("no {} peak FLOP/s known for {}", scenario.precision, gpu.name));
            (None, warnings)
        }
        Some(tflops) => (Some(flops_seconds(flops, scenario.n_gpus, tflops) / 3600.0), warnings),
    }
}

/// The FLOPs model: seconds to run `training_flops` on `n_gpus` GPUs of `peak_tflops` each at
/// [`FLOPS_UTILISATION`].
pub fn flops_seconds(training_flops: f64, n_gpus: u32, peak_tflops: f64) -> f64 {
    training_flops / (f64::from(n_gpus) * peak_tflops * 1e12 * FLOPS_UTILISATION)
}
