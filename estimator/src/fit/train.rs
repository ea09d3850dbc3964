//! Training the PRE models: hyperparameter grids, seeded folds, cross-validation, the fit that keeps
//! the kind with the lowest cross-validated error, and the in-browser refit with one more run.

use super::linalg;
use super::model::{
    dual_sum, quantity, rbf, standardise, Diagnostics, FeatureInput, FittedModel, Hyper, KernelFit, LinearFit,
    ModelKind, Regression, Target, FEATURES, MODEL_SCHEMA_VERSION,
};
use super::points::RunPoint;

/// Seed of the fold assignment (the paper's `random_state`).
pub const SEED: u64 = 2022;
/// Folds of the cross-validation.
pub const FOLDS: usize = 5;

impl ModelKind {
    /// Candidate hyperparameters.
    fn grid(self) -> Vec<Hyper> {
        match self {
            ModelKind::Linear => vec![Hyper::Linear],
            ModelKind::Ridge => [1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0].map(|lambda| Hyper::Ridge { lambda }).to_vec(),
            ModelKind::Krr => {
                let mut g = Vec::new();
                for lambda in [1e-4, 1e-3, 1e-2, 0.1] {
                    for gamma in [0.01, 0.03, 0.1, 0.3, 1.0] {
                        g.push(Hyper::Krr { lambda, gamma });
                    }
                }
                g
            }
        }
    }
}

/// Ordinary least squares' penalty: only enough to keep the normal equations solvable.
const LINEAR_LAMBDA: f64 = 1e-9;

/// Training data after standardisation.
struct Design {
    mean: Vec<f64>,
    scale: Vec<f64>,
    z: Vec<Vec<f64>>,
    y: Vec<f64>,
}

impl Design {
    /// The mean target: the intercept every kind is fitted around.
    fn y_mean(&self) -> f64 {
        self.y.iter().sum::<f64>() / self.y.len().max(1) as f64
    }
}

fn design(rows: &[(&RunPoint, f64)]) -> Design {
    let d = FEATURES.len();
    let vecs: Vec<[Option<f64>; 11]> = rows.iter().map(|(r, _)| r.x.vector()).collect();
    let mut mean = vec![0.0; d];
    let mut scale = vec![1.0; d];
    for j in 0..d {
        let vals: Vec<f64> = vecs.iter().filter_map(|v| v[j]).collect();
        if vals.is_empty() {
            continue;
        }
        let m = vals.iter().sum::<f64>() / vals.len() as f64;
        let var = vals.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / vals.len() as f64;
        mean[j] = m;
        scale[j] = if var > 1e-12 { var.sqrt() } else { 1.0 };
    }
    let z = vecs
        .iter()
        .map(|v| v.iter().enumerate().map(|(j, x)| x.map_or(0.0, |x| (x - mean[j]) / scale[j])).collect())
        .collect();
    Design { mean, scale, z, y: rows.iter().map(|(_, y)| *y).collect() }
}

/// Fits one kind with given hyperparameters. `None` if the system is singular.
pub fn fit_with(rows: &[(&RunPoint, f64)], h: Hyper, target: Target) -> Option<FittedModel> {
    fit_design(&design(rows), h, target)
}

/// [`fit_with`] on a built design.
fn fit_design(des: &Design, h: Hyper, target: Target) -> Option<FittedModel> {
    let n = des.y.len();
    let d = FEATURES.len();
    let y_mean = des.y_mean();
    let mut n_configs = 0;
    let linear = |lambda: f64| -> Option<LinearFit> {
        // (ZᵀZ + nλI) w = Zᵀ(y − ȳ)
        let mut a = vec![0.0; d * d];
        let mut b = vec![0.0; d];
        for (z, y) in des.z.iter().zip(&des.y) {
            for i in 0..d {
                b[i] += z[i] * (y - y_mean);
                for j in 0..d {
                    a[i * d + j] += z[i] * z[j];
                }
            }
        }
        for i in 0..d {
            a[i * d + i] += lambda * n as f64 + 1e-12;
        }
        Some(LinearFit { lambda, weights: linalg::cholesky_solve(&mut a, d, &b)? })
    };
    let regression = match h {
        Hyper::Linear => Regression::Linear(linear(LINEAR_LAMBDA)?),
        Hyper::Ridge { lambda } => Regression::Ridge(linear(lambda)?),
        Hyper::Krr { lambda, gamma } => {
            let configs = Configs::of(des, y_mean);
            let alpha = configs.solve(&configs.kernel(gamma), lambda)?;
            n_configs = configs.z.len();
            Regression::Krr(KernelFit { lambda, gamma, support: configs.z, alpha })
        }
    };
    Some(FittedModel {
        schema_version: MODEL_SCHEMA_VERSION,
        target,
        features: FEATURES.iter().map(|s| s.to_string()).collect(),
        mean: des.mean.clone(),
        scale: des.scale.clone(),
        intercept: y_mean,
        regression,
        diagnostics: Diagnostics {
            n_runs: n,
            n_configs,
            runs_per_gpu: Vec::new(),
            cv_rmse_by_kind: Vec::new(),
            cv_rmse: f64::NAN,
            rel_error_q05: 0.0,
            rel_error_q95: 0.0,
            seed: SEED,
            folds: FOLDS,
        },
    })
}

/// The KRR training set: identical feature vectors (repeated runs of one configuration) become one support
/// vector with their mean target (centred on the intercept).
struct Configs {
    z: Vec<Vec<f64>>,
    targets: Vec<f64>,
}

impl Configs {
    fn of(des: &Design, y_mean: f64) -> Configs {
        let mut configs: Vec<(Vec<f64>, f64, usize)> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (z, y) in des.z.iter().zip(&des.y) {
            let key: Vec<u64> = z.iter().map(|x| x.to_bits()).collect();
            match index.get(&key) {
                Some(&i) => {
                    let c: &mut (Vec<f64>, f64, usize) = &mut configs[i];
                    c.1 += y;
                    c.2 += 1;
                }
                None => {
                    index.insert(key, configs.len());
                    configs.push((z.clone(), *y, 1));
                }
            }
        }
        let targets = configs.iter().map(|c| c.1 / c.2 as f64 - y_mean).collect();
        Configs { z: configs.into_iter().map(|c| c.0).collect(), targets }
    }

    /// The kernel matrix (row-major, no penalty), which depends on the width only.
    fn kernel(&self, gamma: f64) -> Vec<f64> {
        let m = self.z.len();
        let mut k = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..=i {
                let v = rbf(gamma, &self.z[i], &self.z[j]);
                k[i * m + j] = v;
                k[j * m + i] = v;
            }
        }
        k
    }

    /// The dual coefficients for a penalty. Kept in single precision (rounded to the nearest `f32`, held as
    /// `f64`): the site embeds 3 × ~540 of them, and on the committed models the rounding moves a prediction
    /// by at most 2e-4 in the target's units (a log or a power fraction), far inside any held-out error.
    fn solve(&self, kernel: &[f64], lambda: f64) -> Option<Vec<f64>> {
        let m = self.z.len();
        let mut k = kernel.to_vec();
        for i in 0..m {
            k[i * m + i] += lambda;
        }
        Some(linalg::cholesky_solve(&mut k, m, &self.targets)?.into_iter().map(|a| f64::from(a as f32)).collect())
    }
}

/// Deterministic fold of each row (a seeded shuffle, then round robin).
pub fn folds(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = seed;
    let mut next = || {
        // splitmix64
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..n).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    let mut fold = vec![0; n];
    for (pos, &row) in order.iter().enumerate() {
        fold[row] = pos % k;
    }
    fold
}

/// Out-of-fold predictions of every candidate of `grid`, in grid order (`None` where a fold's fit failed).
/// Each fold's design is built once, and a KRR kernel (training and test rows) once per width, shared by
/// every penalty: the same numbers as fitting each candidate alone.
pub fn cross_predict(
    rows: &[(&RunPoint, f64)],
    grid: &[Hyper],
    target: Target,
    fold_of: &[usize],
) -> Vec<Vec<Option<f64>>> {
    let k = fold_of.iter().max().map_or(0, |m| m + 1);
    let mut out = vec![vec![None; rows.len()]; grid.len()];
    for f in 0..k {
        let train: Vec<(&RunPoint, f64)> =
            rows.iter().zip(fold_of).filter(|(_, g)| **g != f).map(|(r, _)| *r).collect();
        if train.is_empty() {
            continue;
        }
        let test: Vec<usize> = (0..rows.len()).filter(|&i| fold_of[i] == f).collect();
        let des = design(&train);
        let mut widths: Vec<f64> = Vec::new();
        for (g, h) in grid.iter().enumerate() {
            match *h {
                Hyper::Krr { gamma, .. } => {
                    if !widths.contains(&gamma) {
                        widths.push(gamma);
                    }
                }
                _ => {
                    let Some(m) = fit_design(&des, *h, target) else { continue };
                    for &i in &test {
                        out[g][i] = Some(m.predict(&rows[i].0.x));
                    }
                }
            }
        }
        if widths.is_empty() {
            continue;
        }
        let y_mean = des.y_mean();
        let configs = Configs::of(&des, y_mean);
        let test_z: Vec<Vec<f64>> =
            test.iter().map(|&i| standardise(&rows[i].0.x.vector(), &des.mean, &des.scale)).collect();
        for gamma in widths {
            let kernel = configs.kernel(gamma);
            let cross: Vec<Vec<f64>> =
                test_z.iter().map(|z| configs.z.iter().map(|s| rbf(gamma, s, z)).collect()).collect();
            for (g, h) in grid.iter().enumerate() {
                let Hyper::Krr { lambda, gamma: width } = *h else { continue };
                if width != gamma {
                    continue;
                }
                let Some(alpha) = configs.solve(&kernel, lambda) else { continue };
                for (&i, kz) in test.iter().zip(&cross) {
                    out[g][i] = Some(dual_sum(y_mean, &alpha, kz.iter().copied()));
                }
            }
        }
    }
    out
}

fn rmse(pred: &[Option<f64>], rows: &[(&RunPoint, f64)]) -> f64 {
    let errs: Vec<f64> = pred.iter().zip(rows).filter_map(|(p, (_, y))| p.map(|p| (p - y) * (p - y))).collect();
    if errs.len() < rows.len() {
        return f64::INFINITY;
    }
    (errs.iter().sum::<f64>() / errs.len().max(1) as f64).sqrt()
}

/// A fit of every kind, and the one kept.
#[derive(Debug, Clone, PartialEq)]
pub struct FitResult {
    /// The kept model (lowest CV RMSE).
    pub best: FittedModel,
    /// Each kind with its best hyperparameters, fitted on all rows.
    pub by_kind: Vec<FittedModel>,
}

/// The hyperparameters of `kind` with the lowest cross-validated RMSE over `fold_of` (the first on
/// ties), with that RMSE and the out-of-fold predictions.
fn select(
    rows: &[(&RunPoint, f64)],
    target: Target,
    kind: ModelKind,
    fold_of: &[usize],
) -> Option<(f64, Hyper, Vec<Option<f64>>)> {
    let grid = kind.grid();
    let mut best: Option<(f64, Hyper, Vec<Option<f64>>)> = None;
    for (h, pred) in grid.iter().copied().zip(cross_predict(rows, &grid, target, fold_of)) {
        let score = rmse(&pred, rows);
        if best.as_ref().is_none_or(|b| score < b.0) {
            best = Some((score, h, pred));
        }
    }
    best
}

/// Fits every kind on the runs that have the target, choosing hyperparameters by k-fold CV.
/// `None` when fewer than `FOLDS` runs have the target.
pub fn fit(points: &[RunPoint], target: Target) -> Option<FitResult> {
    let rows: Vec<(&RunPoint, f64)> = points.iter().filter_map(|r| target.of(r).map(|y| (r, y))).collect();
    if rows.len() < FOLDS {
        return None;
    }
    let fold_of = folds(rows.len(), FOLDS, SEED);
    let mut by_kind = Vec::new();
    let mut scores = Vec::new();
    for kind in ModelKind::ALL {
        let Some((score, h, pred)) = select(&rows, target, kind, &fold_of) else { continue };
        let Some(mut model) = fit_with(&rows, h, target) else { continue };
        let mut rel: Vec<f64> = pred
            .iter()
            .zip(&rows)
            .filter_map(|(p, (_, y))| p.map(|p| quantity(target, p) / quantity(target, *y) - 1.0))
            .filter(|e| e.is_finite())
            .collect();
        crate::order::sort_by(&mut rel, f64::total_cmp);
        model.diagnostics.cv_rmse = score;
        model.diagnostics.rel_error_q05 = quantile(&rel, 0.05);
        model.diagnostics.rel_error_q95 = quantile(&rel, 0.95);
        let mut per_gpu: Vec<(String, usize)> = Vec::new();
        for (r, _) in &rows {
            match per_gpu.iter_mut().find(|(g, _)| *g == r.gpu_id) {
                Some(e) => e.1 += 1,
                None => per_gpu.push((r.gpu_id.clone(), 1)),
            }
        }
        crate::order::sort(&mut per_gpu);
        model.diagnostics.runs_per_gpu = per_gpu;
        if model.diagnostics.n_configs == 0 {
            model.diagnostics.n_configs = distinct_configs(&rows);
        }
        scores.push((kind, score));
        by_kind.push(model);
    }
    for m in &mut by_kind {
        m.diagnostics.cv_rmse_by_kind = scores.clone();
    }
    let best = by_kind.iter().min_by(|a, b| a.diagnostics.cv_rmse.total_cmp(&b.diagnostics.cv_rmse))?.clone();
    Some(FitResult { best, by_kind })
}

/// Folds of the inner cross-validation inside a held-out protocol's training rows.
pub const INNER_FOLDS: usize = 3;

/// The fit a held-out evaluation makes from its training rows alone: the kind (among `kinds`) and its
/// hyperparameters with the lowest RMSE over the inner folds `fold_of` (nested cross-validation; the
/// held-out rows never choose), fitted on all the training rows.
pub fn fit_nested(
    rows: &[(&RunPoint, f64)],
    target: Target,
    kinds: &[ModelKind],
    fold_of: &[usize],
) -> Option<FittedModel> {
    let mut best: Option<(f64, Hyper)> = None;
    for &kind in kinds {
        if let Some((score, h, _)) = select(rows, target, kind, fold_of) {
            if best.is_none_or(|b| score < b.0) {
                best = Some((score, h));
            }
        }
    }
    fit_with(rows, best?.1, target)
}

/// Inner folds by group: the distinct keys in sorted order dealt round robin into at most `k` folds, so
/// every group stays in one fold. With fewer than two groups, seeded folds over the rows.
pub fn grouped_folds<K: Ord + Clone>(keys: &[K], k: usize) -> Vec<usize> {
    let mut distinct: Vec<K> = keys.to_vec();
    crate::order::sort(&mut distinct);
    distinct.dedup();
    if distinct.len() < 2 {
        return folds(keys.len(), k, SEED);
    }
    let k = k.min(distinct.len());
    keys.iter().map(|key| distinct.binary_search(key).map_or(0, |i| i % k)).collect()
}

/// One fold per GPU id, in sorted order.
pub fn gpu_folds(rows: &[(&RunPoint, f64)]) -> Vec<usize> {
    let mut gpus: Vec<&str> = rows.iter().map(|(r, _)| r.gpu_id.as_str()).collect();
    crate::order::sort(&mut gpus);
    gpus.dedup();
    rows.iter().map(|(r, _)| gpus.iter().position(|g| *g == r.gpu_id).unwrap_or(0)).collect()
}

fn distinct_configs(rows: &[(&RunPoint, f64)]) -> usize {
    let mut keys: Vec<Vec<u64>> =
        rows.iter().map(|(r, _)| r.x.vector().iter().map(|v| v.map_or(u64::MAX, f64::to_bits)).collect()).collect();
    crate::order::sort(&mut keys);
    keys.dedup();
    keys.len()
}

/// The median (mean of the middle two for an even count); `None` for no values.
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    crate::order::sort_by(&mut v, f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// Linear-interpolated quantile of sorted values (0 for none).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos - pos.floor());
    if i + 1 < sorted.len() {
        sorted[i] * (1.0 - frac) + sorted[i + 1] * frac
    } else {
        sorted[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Precision;

    fn point(i: usize, gflops: f64, batch: f64, power: f64) -> RunPoint {
        RunPoint {
            id: format!("r{i}"),
            gpu_id: "g".into(),
            arch_id: None,
            x: FeatureInput { gflops: Some(gflops), batch: Some(batch), tdp_w: Some(300.0), ..FeatureInput::default() },
            energy_j: power * 100.0,
            duration_s: 100.0,
            mean_power_w: power,
            samples_seen: 1000.0,
            mean_utilisation_pct: None,
            precision: Precision::Fp32,
            n_gpus: 1,
            seq_tokens: None,
            sample_unit: crate::catalog::SampleUnit::Image,
            conv: true,
            activations_per_gflop: None,
        }
    }

    #[test]
    fn cross_prediction_over_a_grid_equals_each_candidate_fitted_alone() {
        // Repeated configurations (shared support vectors), a nonlinear law, every kind's grid.
        let pts: Vec<RunPoint> = (0..36)
            .map(|i| {
                let (g, b) = (1.0 + (i % 12) as f64, [16.0, 64.0][i % 2]);
                point(i, g, b, 300.0 * (0.4 + 0.05 * g.ln() + 0.01 * g.sqrt() * b.ln()))
            })
            .collect();
        let target = Target::PowerFraction;
        let rows: Vec<(&RunPoint, f64)> = pts.iter().map(|p| (p, target.of(p).unwrap())).collect();
        let fold_of = folds(rows.len(), 3, SEED);
        for kind in ModelKind::ALL {
            let grid = kind.grid();
            for (h, shared) in grid.iter().zip(cross_predict(&rows, &grid, target, &fold_of)) {
                for (i, p) in shared.iter().enumerate() {
                    let train: Vec<(&RunPoint, f64)> =
                        rows.iter().zip(&fold_of).filter(|(_, f)| **f != fold_of[i]).map(|(r, _)| *r).collect();
                    let alone = fit_with(&train, *h, target).map(|m| m.predict(&rows[i].0.x));
                    assert_eq!(p.map(f64::to_bits), alone.map(f64::to_bits), "{h:?} row {i}");
                }
            }
        }
    }

    #[test]
    fn linear_recovers_a_linear_law() {
        // power fraction = 0.5 + 0.1 ln(gflops), exactly: every kind should find it; linear best.
        let pts: Vec<RunPoint> = (0..40)
            .map(|i| {
                let g = 1.0 + i as f64;
                point(i, g, 32.0, 300.0 * (0.5 + 0.1 * g.ln()))
            })
            .collect();
        let fit = fit(&pts, Target::PowerFraction).unwrap();
        let lin = fit.by_kind.iter().find(|m| m.kind() == ModelKind::Linear).unwrap();
        assert!(lin.diagnostics.cv_rmse < 1e-6, "{}", lin.diagnostics.cv_rmse);
        let x = FeatureInput { gflops: Some(10.0), batch: Some(32.0), tdp_w: Some(300.0), ..FeatureInput::default() };
        assert!((lin.predict(&x) - (0.5 + 0.1 * 10f64.ln())).abs() < 1e-6);
    }

    #[test]
    fn krr_fits_a_nonlinear_law_and_aggregates_repeats() {
        let pts: Vec<RunPoint> = (0..60)
            .map(|i| {
                let g = 1.0 + (i % 20) as f64; // each configuration three times
                point(i, g, 32.0, 300.0 * (0.6 + 0.3 * (g / 4.0).sin()))
            })
            .collect();
        let fit = fit(&pts, Target::PowerFraction).unwrap();
        let krr = fit.by_kind.iter().find(|m| m.kind() == ModelKind::Krr).unwrap();
        assert_eq!(krr.krr().unwrap().support.len(), 20);
        let lin = fit.by_kind.iter().find(|m| m.kind() == ModelKind::Linear).unwrap();
        assert!(krr.diagnostics.cv_rmse < lin.diagnostics.cv_rmse / 3.0);
        assert_eq!(fit.best.kind(), ModelKind::Krr);
    }

    #[test]
    fn folds_are_deterministic_and_balanced() {
        let a = folds(23, 5, SEED);
        assert_eq!(a, folds(23, 5, SEED));
        for f in 0..5 {
            let n = a.iter().filter(|x| **x == f).count();
            assert!(n == 4 || n == 5);
        }
        assert_ne!(a, folds(23, 5, SEED + 1));
    }

    /// Inner folds keep every group in one fold, use at most as many folds as groups, and fall back to
    /// seeded folds over the rows when there is a single group.
    #[test]
    fn grouped_folds_keep_groups_together() {
        for (keys, k, folds_used) in [
            (vec!["a", "b", "a", "c", "b", "d", "a"], 3, 3),
            (vec!["x", "y", "x", "y"], 3, 2),
            (vec!["g1", "g2", "g3", "g4", "g5", "g6"], 3, 3),
        ] {
            let f = grouped_folds(&keys, k);
            assert_eq!(f.len(), keys.len());
            for (i, key) in keys.iter().enumerate() {
                for (j, other) in keys.iter().enumerate() {
                    if key == other {
                        assert_eq!(f[i], f[j], "{keys:?}: {key} split across folds");
                    }
                }
            }
            let mut used = f.clone();
            used.sort();
            used.dedup();
            assert_eq!(used.len(), folds_used, "{keys:?}");
        }
        assert_eq!(grouped_folds(&["same"; 7], 3), folds(7, 3, SEED));
    }

    #[test]
    fn missing_features_predict_without_failing() {
        let pts: Vec<RunPoint> = (0..10).map(|i| point(i, 1.0 + i as f64, 32.0, 200.0)).collect();
        let fit = fit(&pts, Target::PowerFraction).unwrap();
        let v = fit.best.predict(&FeatureInput::default());
        assert!(v.is_finite());
    }
}

impl FittedModel {
    /// Whether `other` is KRR over the same support vectors, standardisation and kernel width: then one
    /// kernel row ([`FittedModel::kernel_row`]) and one refit ([`refit_shared`]) serve both. `wattcast fit`
    /// fits all three models on the same configurations, so the embedded ones share.
    pub fn shares_kernel_with(&self, other: &FittedModel) -> bool {
        match (self.krr(), other.krr()) {
            (Some(a), Some(b)) => {
                a.gamma == b.gamma && self.mean == other.mean && self.scale == other.scale && a.support == b.support
            }
            _ => false,
        }
    }

    /// The RBF kernel between the inputs and every support vector (`krr` only; `None` otherwise).
    pub fn kernel_row(&self, x: &FeatureInput) -> Option<Vec<f64>> {
        let k = self.krr()?;
        let z = self.standardise(&x.vector());
        Some(k.support.iter().map(|s| rbf(k.gamma, s, &z)).collect())
    }

    /// The prediction from a kernel row this model shares (see [`FittedModel::shares_kernel_with`]); the
    /// same bits as [`FittedModel::predict`]. A model that is not KRR predicts its intercept.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        let alpha = self.krr().map_or(&[][..], |k| &k.alpha[..]);
        dual_sum(self.intercept, alpha, row.iter().copied())
    }

    /// The model refitted with one more run, keeping its hyperparameters and standardisation: the fast
    /// refit the site does when a user adds a profile. KRR only (its training targets are recovered
    /// exactly from the fit: y = (K + λI) α + ȳ); `None` for linear kinds or a singular system.
    pub fn with_point(&self, x: &FeatureInput, y: f64) -> Option<FittedModel> {
        refit_shared(&[self], x, &[y])?.pop()
    }
}

/// Several KRR models that share one kernel (see [`FittedModel::shares_kernel_with`]), each refitted with
/// one more run (`ys[i]` is model `i`'s target): one kernel matrix and one factorisation serve them all,
/// with the same bits as refitting each alone. `None` when a model is not KRR, does not share the first
/// one's kernel and regularisation, a target is not finite, or the system is singular.
pub fn refit_shared(models: &[&FittedModel], x: &FeatureInput, ys: &[f64]) -> Option<Vec<FittedModel>> {
    let first = *models.first()?;
    let kernel = first.krr()?;
    let same = |m: &FittedModel| first.shares_kernel_with(m) && m.krr().is_some_and(|k| k.lambda == kernel.lambda);
    if models.len() != ys.len() || ys.iter().any(|y| !y.is_finite()) || models.iter().any(|m| !same(m)) {
        return None;
    }
    let (g, lambda) = (kernel.gamma, kernel.lambda);
    let m = kernel.support.len();
    let n = m + 1;
    let mut support = kernel.support.clone();
    support.push(first.standardise(&x.vector()));
    // The kernel of the old support vectors, then the new one's row.
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let v = rbf(g, &support[i], &support[j]);
            k[i * n + j] = v;
            k[j * n + i] = v;
        }
    }
    // Each model's training targets, recovered from its fit: (K + λI) α.
    let rhs: Vec<Vec<f64>> = models
        .iter()
        .zip(ys)
        .map(|(model, y)| {
            let alpha = model.krr().map_or(&[][..], |k| &k.alpha[..]);
            let mut t: Vec<f64> = (0..m)
                .map(|i| {
                    let row = &k[i * n..i * n + m];
                    row.iter().zip(alpha).map(|(kv, a)| a * kv).sum::<f64>() + lambda * alpha[i]
                })
                .collect();
            t.push(y - model.intercept);
            t
        })
        .collect();
    for i in 0..n {
        k[i * n + i] += lambda;
    }
    linalg::cholesky(&mut k, n)?;
    Some(
        models
            .iter()
            .zip(rhs)
            .map(|(model, b)| {
                let mut out = (*model).clone();
                out.regression = Regression::Krr(KernelFit {
                    lambda,
                    gamma: g,
                    support: support.clone(),
                    alpha: linalg::solve_factored(&k, n, &b),
                });
                out.diagnostics.n_runs += 1;
                out.diagnostics.n_configs = n;
                out
            })
            .collect(),
    )
}

#[cfg(test)]
mod refit_tests {
    use super::*;

    #[test]
    fn adding_a_point_keeps_old_predictions_and_learns_the_new_one() {
        let model = crate::calibration::Calibration::embedded().unwrap().power;
        let x = FeatureInput {
            gflops: Some(5.0),
            batch: Some(64.0),
            tdp_w: Some(400.0),
            peak_tflops: Some(312.0),
            ..FeatureInput::default()
        };
        let before = model.predict(&x);
        let refit = model.with_point(&x, before + 0.2).unwrap();
        let after = refit.predict(&x);
        assert!(after > before + 0.1, "{before} → {after}: the new run pulls the prediction towards 0.2 higher");
        // Far from the new point, predictions barely move (recovered targets are exact).
        let other = FeatureInput {
            gflops: Some(0.06),
            batch: Some(32.0),
            input_px: Some(128.0),
            tdp_w: Some(350.0),
            ..FeatureInput::default()
        };
        assert!((refit.predict(&other) - model.predict(&other)).abs() < 0.02);
        assert_eq!(refit.diagnostics.n_runs, model.diagnostics.n_runs + 1);
    }
}
