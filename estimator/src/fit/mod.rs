//! PRE (Pre-training Regression-based Estimation, arXiv 2307.05520) and the duration model: regressions
//! from architecture, run and GPU features to mean power, energy per sample and throughput.
//!
//! Parameters → checked → `fit` → a `FittedModel` whose `predict` cannot fail. Three model kinds are
//! fitted on standardised features: ordinary least squares (`linear`), `ridge`, and kernel ridge
//! regression with an RBF kernel (`krr`), each with hyperparameters chosen by k-fold cross-validation
//! with a fixed seed. The kind with the lowest cross-validated RMSE is kept. Missing feature values are
//! imputed with the training mean (0 after standardisation).
//!
//! [`model`]: what every estimate runs (features, fitted models, predict); [`train`]: grids, folds, CV,
//! fitting and the refit; [`points`]: the measured runs. The time × power backbone is [`backbone`],
//! [`mixed`] and [`runs`].

pub mod backbone;
pub mod linalg;
pub mod mixed;
pub mod model;
pub mod points;
pub mod runs;
pub mod train;

pub use model::{
    quantity, Diagnostics, FeatureInput, FittedModel, Hyper, KernelFit, LinearFit, ModelKind, Regression, Target,
    FEATURES, MODEL_SCHEMA_VERSION,
};
pub use points::{run_point, RunPoint};
pub use train::{
    cross_predict, fit, fit_nested, fit_with, folds, gpu_folds, grouped_folds, median, quantile, refit_shared,
    FitResult, FOLDS, INNER_FOLDS, SEED,
};
