//! Whether a run fits in a GPU's memory, and on how many GPUs it would.
//!
//! Per GPU (Rajbhandari et al. 2020, ZeRO, section 3): weights (2 bytes per parameter in fp16/bf16 mixed
//! precision, 4 in fp32/tf32), gradients (the same) and Adam's state (fp32 master weights and two moments:
//! 12 bytes; 8 at fp32), so 16 bytes per trained parameter; LoRA keeps the frozen weights only (2 or 4
//! bytes) and trains the adapters at 16. ZeRO stage 1 shards the optimizer state over the data-parallel GPUs,
//! stage 2 the gradients too, stage 3 (FSDP) the weights too. Activations, for a transformer, with
//! activation checkpointing at every layer and FlashAttention (no sequence² scores): each layer's input kept,
//! 2 × sequence × micro-batch × width bytes, plus one layer's full activations being recomputed, 34 ×
//! sequence × micro-batch × width bytes (Korthikanti et al. 2022, section 4.1, without the attention-score
//! term), plus the logits: in mixed precision the half-precision logits, their fp32 copy for the loss and the fp32
//! log-softmax kept for the backward pass (2 + 4 + 4 bytes × sequence × micro-batch × vocabulary, as Hugging Face's
//! causal-LM loss runs; 4 + 4 at fp32). The micro-batch is the batch ÷ GPUs, at least one sequence.
//! Checked on an H200 (`docs/accuracy-h200.md`): Llama 3.2 1B, batch 8 × 2,048, checkpointing on, peaked at 43.1 GB
//! allocated where this gives 43.0; with PyTorch's default (no checkpointing) it took 76.8 GB.
//! Other models: parameters' state only (activations unknown: a lower bound).
//! A GPU holds the run when this is at most 90 % of its memory (the rest: CUDA context, allocator slack).

use serde::Serialize;

use super::workload::Workload;
use crate::catalog::{Gpu, Transformer};
use crate::scenario::{Mode, Precision, Scenario, Zero};

/// Share of a GPU's memory that training can use.
pub const USABLE_MEMORY: f64 = 0.9;

/// Largest GPU count the search for "needs ≥ k GPUs" tries.
const MAX_GPUS: u32 = 100_000;

/// Memory a run needs on each GPU, GB, by part.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Need {
    /// Weights.
    pub weights_gb: f64,
    /// Gradients.
    pub gradients_gb: f64,
    /// Optimizer state.
    pub optimizer_gb: f64,
    /// Activations (`0` when not known).
    pub activations_gb: f64,
}

impl Need {
    /// The sum.
    pub fn total_gb(&self) -> f64 {
        self.weights_gb + self.gradients_gb + self.optimizer_gb + self.activations_gb
    }
}

/// Whether a run fits on a GPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryFit {
    /// What each GPU needs at the scenario's GPU count and sharding.
    pub need: Need,
    /// What training can use of the GPU's memory, GB.
    pub usable_gb: f64,
    /// Whether it fits as configured.
    pub fits: bool,
    /// When it does not: the fewest GPUs of this type that hold it with ZeRO-3 / FSDP sharding (`null`
    /// when none do: the activations alone are too large).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_gpus_zero3: Option<u32>,
    /// When it does not, but would on the run's own GPUs with more sharding: the lowest ZeRO stage that holds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fits_at_zero: Option<Zero>,
    /// Whether activations are counted (transformers only).
    pub activations_counted: bool,
    /// The run's GPU count (for the verdict; the report states it elsewhere).
    #[serde(skip)]
    pub run_gpus: u32,
}

impl MemoryFit {
    /// One line for the table: "fits: 61 of 72 GB with activation checkpointing", "needs ≥ 4 GPUs with ZeRO-3", "does not fit".
    pub fn verdict(&self) -> String {
        let h = crate::format::human;
        if self.fits {
            let bound =
                if self.activations_counted { " with activation checkpointing" } else { " (activations not counted)" };
            format!("fits: {} of {} GB{bound}", h(self.need.total_gb()), h(self.usable_gb))
        } else {
            match (self.fits_at_zero, self.min_gpus_zero3) {
                // The run already has the GPUs: only its sharding is missing.
                (Some(z), _) => {
                    format!(
                        "does not fit at this sharding: on its {} GPUs it fits with zero={}",
                        self.run_gpus,
                        z.stage()
                    )
                }
                (None, Some(k)) => format!("does not fit: needs ≥ {k} GPUs of this type with ZeRO-3 / FSDP"),
                (None, None) => format!(
                    "does not fit: activations alone need {} GB at this batch and sequence",
                    h(self.need.activations_gb)
                ),
            }
        }
    }
}

/// Bytes per parameter of weights, gradients and Adam's state (fp32 master weights and two moments) in mixed
/// precision.
const MIXED_STATE_BYTES: (f64, f64, f64) = (2.0, 2.0, 12.0);

/// The state bytes (weights, gradients, optimizer) of the whole model, unsharded.
fn state_bytes(scenario: &Scenario, params: f64, trainable: f64) -> (f64, f64, f64) {
    let half = scenario.precision.mixed();
    let (w, g, o) = if half { MIXED_STATE_BYTES } else { (4.0, 4.0, 8.0) };
    match scenario.job.mode {
        Mode::Lora if trainable < params => (params * w + trainable * w, trainable * g, trainable * o),
        _ => (params * w, params * g, params * o),
    }
}

fn sharded(state: (f64, f64, f64), zero: Zero, n: u32) -> (f64, f64, f64) {
    let n = f64::from(n.max(1));
    let (w, g, o) = state;
    let by = |stage: Zero, x: f64| if zero >= stage { x / n } else { x };
    (by(Zero::Parameters, w), by(Zero::Gradients, g), by(Zero::Optimizer, o))
}

fn activations_bytes(t: &Transformer, seq: u32, micro_batch: f64, precision: Precision) -> f64 {
    let (s, d) = (f64::from(seq), f64::from(t.d_model));
    let per_layer_inputs = 2.0 * s * micro_batch * d * f64::from(t.layers);
    let one_layer = 34.0 * s * micro_batch * d;
    let logit_bytes = if precision.mixed() { 10.0 } else { 8.0 };
    let logits = logit_bytes * s * micro_batch * f64::from(t.vocab);
    per_layer_inputs + one_layer + logits
}

/// The fewest GPUs with `usable_gb` each that hold `state_bytes` sharded by ZeRO-3 beside `activation_bytes` per
/// GPU; `None` when the activations alone do not fit.
fn fewest(state_bytes: f64, activation_bytes: f64, usable_gb: f64) -> Option<u32> {
    let room = usable_gb * 1e9 - activation_bytes;
    (room > 0.0).then(|| ((state_bytes / room).ceil() as u32).max(1))
}

/// The fewest GPUs of a type (`memory_gb` each) that hold the weights, gradients and Adam state of a model of
/// `params` parameters in mixed precision with ZeRO-3 (activations not counted): where a benchmark's smallest
/// run could start.
pub fn fewest_gpus_full_training(params: f64, memory_gb: f64) -> Option<u32> {
    let (w, g, o) = MIXED_STATE_BYTES;
    fewest(params * (w + g + o), 0.0, memory_gb * USABLE_MEMORY)
}

/// The fewest GPUs of `gpu`'s type that hold the scenario's run with ZeRO-3 (1 when one GPU holds it); `None`
/// when unknown.
pub fn fewest_gpus(scenario: &Scenario, work: &Workload, gpu: &Gpu) -> Option<u32> {
    let m = fit(scenario, work, gpu)?;
    let params = work.params?;
    let state = state_bytes(scenario, params, work.trainable_params.unwrap_or(params));
    fewest(state.0 + state.1 + state.2, m.need.activations_gb * 1e9, m.usable_gb)
}

/// The memory fit of a scenario on a GPU; `None` when the parameter count or the GPU's memory is unknown.
pub fn fit(scenario: &Scenario, work: &Workload, gpu: &Gpu) -> Option<MemoryFit> {
    let memory_gb = gpu.memory_gb?;
    let params = work.params?;
    let shape = work.shape.as_ref();
    let trainable = work.trainable_params.unwrap_or(params);
    let state = state_bytes(scenario, params, trainable);
    let micro_batch = scenario.batch.map_or(1.0, |b| (f64::from(b) / f64::from(scenario.n_gpus)).max(1.0).ceil());
    let act = match (shape, work.seq) {
        (Some(t), Some(seq)) => activations_bytes(t, seq, micro_batch, scenario.precision),
        _ => 0.0,
    };
    let need_at = |zero: Zero, n: u32| {
        let (w, g, o) = sharded(state, zero, n);
        Need { weights_gb: w / 1e9, gradients_gb: g / 1e9, optimizer_gb: o / 1e9, activations_gb: act / 1e9 }
    };
    let usable_gb = memory_gb * USABLE_MEMORY;
    let need = need_at(scenario.job.zero, scenario.n_gpus);
    let fits = need.total_gb() <= usable_gb;
    let min_gpus_zero3 = (!fits).then(|| fewest(state.0 + state.1 + state.2, act, usable_gb)).flatten();
    Some(MemoryFit {
        need,
        usable_gb,
        fits,
        min_gpus_zero3: min_gpus_zero3.filter(|k| *k <= MAX_GPUS),
        fits_at_zero: if fits {
            None
        } else {
            Zero::ALL
                .into_iter()
                .filter(|z| *z > scenario.job.zero)
                .find(|z| need_at(*z, scenario.n_gpus).total_gb() <= usable_gb)
        },
        activations_counted: shape.is_some(),
        run_gpus: scenario.n_gpus,
    })
}
