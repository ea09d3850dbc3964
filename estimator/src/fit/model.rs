//! What every PRE estimate runs: the features ([`FeatureInput`]), the targets, the fitted models and
//! their prediction. Training lives in [`super::train`], the measured runs in [`super::points`].

use serde::{Deserialize, Serialize};

use super::points::RunPoint;
use crate::catalog::Gpu;
use crate::methods::workload::peak_tflops;
use crate::scenario::Precision;

/// Format version of `data/models/*.json`.
pub const MODEL_SCHEMA_VERSION: u32 = 1;

/// Names of the features, in vector order.
pub const FEATURES: [&str; 11] = [
    "ln_forward_gflops",
    "ln_params_m",
    "ln_batch",
    "ln_input_px",
    "ln_train_samples",
    "ln_tdp_w",
    "ln_peak_tflops",
    "ln_memory_gb",
    "ln_bandwidth_gbs",
    "ln_cores",
    "power_limit_over_tdp",
];

/// The inputs a model sees, in natural units. `None` = unknown (imputed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureInput {
    /// Forward GFLOPs per sample at the input size.
    pub gflops: Option<f64>,
    /// Parameters, millions.
    pub params_m: Option<f64>,
    /// Batch size.
    pub batch: Option<f64>,
    /// Input side, px.
    pub input_px: Option<f64>,
    /// Training samples per epoch.
    pub train_samples: Option<f64>,
    /// GPU TDP, W.
    pub tdp_w: Option<f64>,
    /// GPU peak TFLOP/s at the run's precision.
    pub peak_tflops: Option<f64>,
    /// GPU memory, GB.
    pub memory_gb: Option<f64>,
    /// GPU memory bandwidth, GB/s.
    pub bandwidth_gbs: Option<f64>,
    /// GPU cores.
    pub cores: Option<f64>,
    /// Power limit in force, W (the TDP when not set).
    pub power_limit_w: Option<f64>,
}

impl FeatureInput {
    /// The GPU part of the features.
    pub fn with_gpu(mut self, gpu: &Gpu, precision: Precision, power_limit_w: Option<f64>) -> Self {
        self.tdp_w = gpu.tdp_w;
        self.peak_tflops = peak_tflops(gpu, precision).0;
        self.memory_gb = gpu.memory_gb;
        self.bandwidth_gbs = gpu.memory_bandwidth_gbs;
        self.cores = gpu.cores.map(f64::from);
        self.power_limit_w = power_limit_w.or(gpu.tdp_w);
        self
    }

    /// The transformed feature vector (see `FEATURES`).
    pub fn vector(&self) -> [Option<f64>; 11] {
        let ln = |v: Option<f64>| v.filter(|x| *x > 0.0 && x.is_finite()).map(crate::fmath::ln);
        [
            ln(self.gflops),
            ln(self.params_m),
            ln(self.batch),
            ln(self.input_px),
            ln(self.train_samples),
            ln(self.tdp_w),
            ln(self.peak_tflops),
            ln(self.memory_gb),
            ln(self.bandwidth_gbs),
            ln(self.cores),
            self.power_limit_w.zip(self.tdp_w).filter(|(_, t)| *t > 0.0).map(|(l, t)| l / t),
        ]
    }
}

/// What a model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// Mean power ÷ power limit (pre-power).
    PowerFraction,
    /// ln(energy per training sample, J) (pre-epoch).
    LnEnergyPerSample,
    /// ln(training samples per second) (the duration model).
    LnThroughput,
}

impl Target {
    /// The target value of a run, when defined.
    pub fn of(self, r: &RunPoint) -> Option<f64> {
        let v = match self {
            Target::PowerFraction => r.mean_power_w / r.limit_w()?,
            Target::LnEnergyPerSample => crate::fmath::ln(r.energy_j / r.samples_seen),
            Target::LnThroughput => crate::fmath::ln(r.samples_seen / r.duration_s),
        };
        v.is_finite().then_some(v)
    }
}

/// A family of regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// Ordinary least squares.
    Linear,
    /// Ridge regression.
    Ridge,
    /// Kernel ridge regression, RBF kernel.
    Krr,
}

impl ModelKind {
    /// All kinds.
    pub const ALL: [ModelKind; 3] = [ModelKind::Linear, ModelKind::Ridge, ModelKind::Krr];
}

/// How well a fitted model did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// Runs fitted on.
    pub n_runs: usize,
    /// Distinct feature vectors among them.
    pub n_configs: usize,
    /// Runs per GPU id.
    pub runs_per_gpu: Vec<(String, usize)>,
    /// Cross-validated RMSE in target units, per kind (with its best hyperparameters).
    pub cv_rmse_by_kind: Vec<(ModelKind, f64)>,
    /// Cross-validated RMSE of the kept model.
    pub cv_rmse: f64,
    /// 5th and 95th percentiles of the cross-validated relative error of the predicted quantity
    /// ((predicted − measured) ÷ measured), for intervals.
    pub rel_error_q05: f64,
    /// See `rel_error_q05`.
    pub rel_error_q95: f64,
    /// Fold seed.
    pub seed: u64,
    /// Folds.
    pub folds: usize,
}

/// Hyperparameters of one fit: each kind's own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hyper {
    /// Ordinary least squares.
    Linear,
    /// Ridge, with its penalty (× rows).
    Ridge {
        /// Penalty.
        lambda: f64,
    },
    /// Kernel ridge with an RBF kernel.
    Krr {
        /// Penalty.
        lambda: f64,
        /// RBF width.
        gamma: f64,
    },
}

impl Hyper {
    /// The kind these hyperparameters are for.
    pub fn kind(self) -> ModelKind {
        match self {
            Hyper::Linear => ModelKind::Linear,
            Hyper::Ridge { .. } => ModelKind::Ridge,
            Hyper::Krr { .. } => ModelKind::Krr,
        }
    }
}

/// A fitted linear or ridge regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearFit {
    /// Penalty (a numerical 1e-9 for ordinary least squares).
    pub lambda: f64,
    /// Weights on standardised features.
    pub weights: Vec<f64>,
}

/// A fitted kernel ridge regression (RBF kernel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelFit {
    /// Penalty.
    pub lambda: f64,
    /// RBF width.
    pub gamma: f64,
    /// Standardised training vectors.
    pub support: Vec<Vec<f64>>,
    /// Dual coefficients.
    pub alpha: Vec<f64>,
}

/// What a fitted model is, with the fields of its kind only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Regression {
    /// Ordinary least squares.
    Linear(LinearFit),
    /// Ridge regression.
    Ridge(LinearFit),
    /// Kernel ridge regression.
    Krr(KernelFit),
}

/// A fitted regression; `predict` cannot fail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedModel {
    /// Format version.
    pub schema_version: u32,
    /// What it predicts.
    pub target: Target,
    /// Feature names, in order.
    pub features: Vec<String>,
    /// Feature means (standardisation).
    pub mean: Vec<f64>,
    /// Feature standard deviations (1 where constant).
    pub scale: Vec<f64>,
    /// Intercept (mean target).
    pub intercept: f64,
    /// The regression: its kind and that kind's fitted fields.
    #[serde(flatten)]
    pub regression: Regression,
    /// Fit diagnostics.
    pub diagnostics: Diagnostics,
}

impl FittedModel {
    /// Which regression.
    pub fn kind(&self) -> ModelKind {
        match self.regression {
            Regression::Linear(_) => ModelKind::Linear,
            Regression::Ridge(_) => ModelKind::Ridge,
            Regression::Krr(_) => ModelKind::Krr,
        }
    }

    /// Whether every known input lies within the span of the runs the model was fitted on (a kernel model
    /// keeps those runs as its support; a linear one keeps none, so it answers `false`): inside it, the
    /// model interpolates, and its held-out errors measure it; outside, nothing does.
    pub fn spans(&self, x: &FeatureInput) -> bool {
        let Regression::Krr(k) = &self.regression else { return false };
        x.vector().iter().enumerate().all(|(j, v)| {
            let Some(v) = v else { return true };
            let z = (v - self.mean[j]) / self.scale[j];
            let (lo, hi) =
                k.support.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| (a.min(s[j]), b.max(s[j])));
            z >= lo - 1e-9 && z <= hi + 1e-9
        })
    }

    /// The hyperparameters it was fitted with.
    pub fn hyper(&self) -> Hyper {
        match &self.regression {
            Regression::Linear(_) => Hyper::Linear,
            Regression::Ridge(f) => Hyper::Ridge { lambda: f.lambda },
            Regression::Krr(k) => Hyper::Krr { lambda: k.lambda, gamma: k.gamma },
        }
    }

    /// Its penalty, whatever the kind.
    pub fn lambda(&self) -> f64 {
        match &self.regression {
            Regression::Linear(f) | Regression::Ridge(f) => f.lambda,
            Regression::Krr(k) => k.lambda,
        }
    }

    /// The kernel fit, for KRR.
    pub fn krr(&self) -> Option<&KernelFit> {
        match &self.regression {
            Regression::Krr(k) => Some(k),
            _ => None,
        }
    }

    /// Whether a run with exactly these inputs is one of the KRR model's support vectors, i.e. already in
    /// its training data (repeats of a configuration are averaged into one support vector).
    pub fn has_point(&self, x: &FeatureInput) -> bool {
        let z = self.standardise(&x.vector());
        self.krr().is_some_and(|k| k.support.contains(&z))
    }

    /// Standardises a feature vector (unknown values → 0, the training mean).
    pub(super) fn standardise(&self, v: &[Option<f64>]) -> Vec<f64> {
        standardise(v, &self.mean, &self.scale)
    }

    /// Predicts the target for some inputs.
    pub fn predict(&self, x: &FeatureInput) -> f64 {
        let z = self.standardise(&x.vector());
        self.predict_z(&z)
    }

    fn predict_z(&self, z: &[f64]) -> f64 {
        match &self.regression {
            Regression::Linear(f) | Regression::Ridge(f) => {
                self.intercept + f.weights.iter().zip(z).map(|(w, x)| w * x).sum::<f64>()
            }
            Regression::Krr(k) => dual_sum(self.intercept, &k.alpha, k.support.iter().map(|s| rbf(k.gamma, s, z))),
        }
    }

    /// The interval factors `(low, high)` to multiply a predicted quantity by, from CV errors.
    pub fn interval_factors(&self) -> (f64, f64) {
        let d = &self.diagnostics;
        (1.0 / (1.0 + d.rel_error_q95), 1.0 / (1.0 + d.rel_error_q05))
    }
}

/// Standardises a feature vector with given means and scales (unknown values → 0, the mean).
pub(super) fn standardise(v: &[Option<f64>], mean: &[f64], scale: &[f64]) -> Vec<f64> {
    v.iter().zip(mean.iter().zip(scale)).map(|(x, (m, s))| x.map_or(0.0, |x| (x - m) / s)).collect()
}

/// A kernel model's prediction from the kernel values of an input against its support vectors: the intercept
/// plus each dual coefficient times its kernel value, summed in support order (every KRR prediction: the model's
/// own, a shared kernel row's, the cross-validation's).
pub(super) fn dual_sum(intercept: f64, alpha: &[f64], kernel_row: impl Iterator<Item = f64>) -> f64 {
    intercept + kernel_row.zip(alpha).map(|(k, a)| a * k).sum::<f64>()
}

pub(super) fn rbf(gamma: f64, a: &[f64], b: &[f64]) -> f64 {
    crate::fmath::exp(-gamma * a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>())
}

/// The quantity a target predicts, from a target value (for relative errors).
pub fn quantity(target: Target, value: f64) -> f64 {
    match target {
        Target::PowerFraction => value,
        Target::LnEnergyPerSample | Target::LnThroughput => crate::fmath::exp(value),
    }
}
