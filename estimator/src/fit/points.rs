//! The measured runs the PRE models are fitted on, as built from calibration profiles.

use serde::{Deserialize, Serialize};

use super::model::FeatureInput;
use crate::catalog::Catalog;
use crate::scenario::Precision;

/// One measured run, as the regressions see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPoint {
    /// Profile id.
    pub id: String,
    /// Catalogue GPU id.
    pub gpu_id: String,
    /// Catalogue architecture id, when known.
    pub arch_id: Option<String>,
    /// Features.
    pub x: FeatureInput,
    /// Measured energy, J.
    pub energy_j: f64,
    /// Measured duration, s.
    pub duration_s: f64,
    /// Mean power, W.
    pub mean_power_w: f64,
    /// Training samples processed (samples per epoch × epochs).
    pub samples_seen: f64,
    /// Mean GPU utilisation, %, when measured.
    pub mean_utilisation_pct: Option<f64>,
    /// Precision of the run (FP32 when the profile does not say).
    pub precision: Precision,
    /// GPUs in the run.
    pub n_gpus: u32,
    /// Tokens per sequence of a language-model run, when the profile gives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq_tokens: Option<f64>,
    /// What one sample is (the architecture's unit; images when only an input size is known).
    pub sample_unit: crate::catalog::SampleUnit,
    /// A convolutional network (catalogue family `cnn`; an image model of unknown family counts as one).
    pub conv: bool,
    /// The architecture's activations per forward GFLOP, when the catalogue gives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activations_per_gflop: Option<f64>,
}

impl RunPoint {
    /// The power limit the run used (its TDP when unknown).
    pub fn limit_w(&self) -> Option<f64> {
        self.x.power_limit_w.or(self.x.tdp_w)
    }
}

/// The precision a profile trained at (FP32 when it does not say, as the paper's Keras runs did).
pub fn precision_of(p: &crate::profile::Profile) -> Precision {
    (p.meta.precision.as_deref()).and_then(Precision::named).unwrap_or(Precision::Fp32)
}

/// Builds a run point from a profile and the catalogue; `None` when the GPU is not in the catalogue or
/// the profile lacks the workload (forward FLOPs, samples) or gives only a bound on its token count.
pub fn run_point(p: &crate::profile::Profile, catalog: &Catalog) -> Option<RunPoint> {
    let gpu = catalog.gpu(p.meta.gpu.catalog_id.as_deref()?)?;
    let m = &p.meta;
    if m.sequence.is_some_and(|s| !s.exact()) {
        return None;
    }
    let epochs = f64::from(m.completed_epochs?);
    let train = m.train_samples? as f64;
    let precision = precision_of(p);
    let x = FeatureInput {
        gflops: Some(m.forward_gflops?),
        params_m: m.params_m,
        batch: m.batch.map(f64::from),
        input_px: m.input_px.map(f64::from),
        train_samples: Some(train),
        ..FeatureInput::default()
    }
    .with_gpu(gpu, precision, m.gpu.power_limit_w);
    Some(RunPoint {
        id: p.id.clone(),
        gpu_id: gpu.id.clone(),
        arch_id: m.arch_id.clone(),
        x,
        energy_j: p.summary.energy_j,
        duration_s: p.summary.duration_s,
        mean_power_w: p.summary.mean_power_w,
        samples_seen: train * epochs,
        mean_utilisation_pct: p.summary.mean_utilisation_pct,
        precision,
        n_gpus: m.n_gpus.max(1),
        seq_tokens: m.sequence.map(|s| f64::from(s.tokens)),
        activations_per_gflop: m
            .arch_id
            .as_deref()
            .and_then(|a| catalog.arch(a))
            .and_then(|a| a.activations_per_gflop()),
        conv: match m.arch_id.as_deref().and_then(|a| catalog.arch(a)) {
            Some(a) => a.family == "cnn",
            None => m.input_px.is_some(),
        },
        sample_unit: match m.arch_id.as_deref().and_then(|a| catalog.arch(a)) {
            Some(a) => a.sample_unit,
            None if m.input_px.is_some() => crate::catalog::SampleUnit::Image,
            None => crate::catalog::SampleUnit::Token,
        },
    })
}
