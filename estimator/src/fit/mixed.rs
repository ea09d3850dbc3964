//! Ridge regression with group effects: `y = b + w·z + u[workload] + v[gpu]`, where z are standardised
//! features, w is shrunk by `lambda` (× rows), and each group effect by its own `lambda_groups[k]`, so a
//! group measured on n rows keeps about n ÷ (n + λ) of its mean residual. A group the model has not seen
//! (a new GPU, a new workload) has effect 0: the prediction falls back to what the features say. That is
//! the point: one fitted model serves a measured GPU (its own offset), an unmeasured one (its specs), and
//! the held-out protocols test exactly those two cases.
//!
//! Hyperparameters are chosen by [`select`] with grouped cross-validation inside the rows it is given,
//! so a protocol that holds out a GPU chooses them without that GPU ([`held_out`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::linalg;

/// The groups a row belongs to: `[workload, gpu]`.
pub const GROUPS: usize = 2;

/// One training row: features in natural (already transformed) units, its groups and its target.
#[derive(Debug, Clone, PartialEq)]
pub struct MixedRow {
    /// Feature values; NaN where a value is missing (the fitted mean stands in: it adds nothing).
    pub x: Vec<f64>,
    /// Workload id and GPU id.
    pub groups: [String; GROUPS],
    /// Target.
    pub y: f64,
    /// How much the row counts in the fit (1 for most; less for a table that measured one GPU many times:
    /// `fit::backbone::throughput_rows`).
    pub weight: f64,
}

/// Hyperparameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MixedHyper {
    /// Ridge penalty on the standardised feature weights (× number of rows).
    pub lambda: f64,
    /// Penalty on the workload and the GPU effects.
    pub lambda_groups: [f64; GROUPS],
}

impl MixedHyper {
    /// The candidates [`select`] tries.
    pub fn grid() -> Vec<MixedHyper> {
        let mut g = Vec::new();
        for lambda in [1e-3, 1e-2, 1e-1] {
            for lw in [1.0, 10.0, 100.0] {
                for lg in [1.0, 10.0, 100.0] {
                    g.push(MixedHyper { lambda, lambda_groups: [lw, lg] });
                }
            }
        }
        g
    }
}

/// A fitted model; `predict` cannot fail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedMixed {
    /// Feature names, in order.
    pub features: Vec<String>,
    /// Feature means.
    pub mean: Vec<f64>,
    /// Feature standard deviations (1 where constant).
    pub scale: Vec<f64>,
    /// Weights on standardised features.
    pub weights: Vec<f64>,
    /// Intercept.
    pub intercept: f64,
    /// Effects of the workloads seen, then of the GPUs seen, as (id, effect), sorted by id.
    pub effects: [Vec<(String, f64)>; GROUPS],
    /// The hyperparameters it was fitted with.
    pub hyper: MixedHyper,
    /// Rows fitted on.
    pub n_rows: usize,
    /// When given, the (min, max) of each feature over the training rows: predictions hold features to
    /// that range instead of extrapolating the linear trend beyond what was measured.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub range: Option<Vec<(f64, f64)>>,
}

/// How a fitted model treats features outside the range it was fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extrapolation {
    /// Follow the linear trend (throughput: a faster GPU than any measured is faster).
    Linear,
    /// Hold each feature to its measured range (power fraction: a bounded quantity that saturates).
    Clamp,
}

impl FittedMixed {
    /// A model that predicts 0 for everything (no rows to fit a stage on).
    pub fn zero() -> FittedMixed {
        FittedMixed {
            features: Vec::new(),
            mean: Vec::new(),
            scale: Vec::new(),
            weights: Vec::new(),
            intercept: 0.0,
            effects: Default::default(),
            hyper: MixedHyper { lambda: 0.0, lambda_groups: [0.0; GROUPS] },
            n_rows: 0,
            range: None,
        }
    }

    /// The effect of group `k` member `id`, 0 when unseen.
    pub fn effect(&self, k: usize, id: &str) -> f64 {
        self.effects[k].binary_search_by(|(g, _)| g.as_str().cmp(id)).map_or(0.0, |i| self.effects[k][i].1)
    }

    /// Whether group `k` member `id` was in the training rows.
    pub fn knows(&self, k: usize, id: &str) -> bool {
        self.effects[k].binary_search_by(|(g, _)| g.as_str().cmp(id)).is_ok()
    }

    /// Predicts from features and group ids (unseen ids contribute nothing).
    pub fn predict(&self, x: &[f64], groups: [&str; GROUPS]) -> f64 {
        let held = |j: usize, v: f64| match self.range.as_ref().and_then(|r| r.get(j)) {
            Some((lo, hi)) if lo <= hi => v.clamp(*lo, *hi),
            _ => v,
        };
        let lin: f64 = x
            .iter()
            .enumerate()
            .zip(self.mean.iter().zip(&self.scale))
            .zip(&self.weights)
            .map(|(((j, v), (m, s)), w)| w * standardised(held(j, *v), *m, *s))
            .sum();
        self.intercept + lin + (0..GROUPS).map(|k| self.effect(k, groups[k])).sum::<f64>()
    }
}

/// A feature value standardised; a missing one (NaN) is the mean, 0.
fn standardised(v: f64, mean: f64, scale: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        (v - mean) / scale
    }
}

/// Fits with fixed hyperparameters; `None` when there are no rows or the system is singular.
pub fn fit_mixed(rows: &[&MixedRow], names: &[&str], h: MixedHyper, ex: Extrapolation) -> Option<FittedMixed> {
    let n = rows.len();
    let d = names.len();
    if n == 0 || rows.iter().any(|r| r.x.len() != d) {
        return None;
    }
    let mut mean = vec![0.0; d];
    let mut scale = vec![1.0; d];
    for j in 0..d {
        let known: Vec<f64> = rows.iter().map(|r| r.x[j]).filter(|v| !v.is_nan()).collect();
        if known.is_empty() {
            continue;
        }
        let k = known.len() as f64;
        let m = known.iter().sum::<f64>() / k;
        let var = known.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / k;
        mean[j] = m;
        scale[j] = if var > 1e-12 { var.sqrt() } else { 1.0 };
    }
    let mut ids: [Vec<String>; GROUPS] = Default::default();
    for (k, list) in ids.iter_mut().enumerate() {
        let mut v: Vec<String> = rows.iter().map(|r| r.groups[k].clone()).collect();
        crate::order::sort(&mut v);
        v.dedup();
        *list = v;
    }
    // Unknowns: features, GPU effects and the intercept (q of them, solved densely), and one effect per workload.
    // Every row belongs to one workload, so the workload block of the normal equations is diagonal: it is
    // eliminated (its Schur complement), which keeps the solve at q × q however many workloads there are (the
    // vision tables bring hundreds).
    let nw = ids[0].len();
    let gpu0 = d;
    let q = d + ids[1].len() + 1;
    let mut c = vec![0.0; q * q];
    let mut b2 = vec![0.0; q];
    let mut dw = vec![h.lambda_groups[0] + 1e-9; nw];
    let mut bw = vec![0.0; nw * q];
    let mut b1 = vec![0.0; nw];
    let mut cols: Vec<(usize, f64)> = Vec::with_capacity(d + 2);
    for r in rows {
        cols.clear();
        for j in 0..d {
            cols.push((j, standardised(r.x[j], mean[j], scale[j])));
        }
        cols.push((gpu0 + ids[1].binary_search(&r.groups[1]).expect("collected above"), 1.0));
        cols.push((q - 1, 1.0));
        let w = ids[0].binary_search(&r.groups[0]).expect("collected above");
        let rw = r.weight;
        dw[w] += rw;
        b1[w] += rw * r.y;
        for &(i, vi) in &cols {
            b2[i] += rw * vi * r.y;
            bw[w * q + i] += rw * vi;
            for &(j, vj) in &cols {
                c[i * q + j] += rw * vi * vj;
            }
        }
    }
    let total_weight: f64 = rows.iter().map(|r| r.weight).sum();
    for j in 0..d {
        c[j * q + j] += h.lambda * total_weight;
    }
    for g in 0..ids[1].len() {
        c[(gpu0 + g) * q + gpu0 + g] += h.lambda_groups[1];
    }
    for i in 0..q {
        c[i * q + i] += 1e-9;
    }
    for w in 0..nw {
        let row = &bw[w * q..(w + 1) * q];
        let nz: Vec<(usize, f64)> = row.iter().copied().enumerate().filter(|(_, v)| *v != 0.0).collect();
        for &(i, vi) in &nz {
            b2[i] -= vi * b1[w] / dw[w];
            for &(j, vj) in &nz {
                c[i * q + j] -= vi * vj / dw[w];
            }
        }
    }
    let rest = linalg::cholesky_solve(&mut c, q, &b2)?;
    let workload: Vec<f64> = (0..nw)
        .map(|w| (b1[w] - bw[w * q..(w + 1) * q].iter().zip(&rest).map(|(a, x)| a * x).sum::<f64>()) / dw[w])
        .collect();
    let effects = [
        ids[0].iter().zip(&workload).map(|(id, e)| (id.clone(), *e)).collect(),
        ids[1].iter().enumerate().map(|(i, id)| (id.clone(), rest[gpu0 + i])).collect(),
    ];
    Some(FittedMixed {
        features: names.iter().map(|s| s.to_string()).collect(),
        mean,
        scale,
        weights: rest[..d].to_vec(),
        intercept: rest[q - 1],
        effects,
        hyper: h,
        n_rows: n,
        range: (ex == Extrapolation::Clamp).then(|| {
            (0..d)
                .map(|j| {
                    let v = rows.iter().map(|r| r.x[j]).filter(|v| !v.is_nan());
                    (v.clone().fold(f64::INFINITY, f64::min), v.fold(f64::NEG_INFINITY, f64::max))
                })
                .collect()
        }),
    })
}

/// How rows are grouped for held-out evaluation and for the inner folds of [`select`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Holdout {
    /// Every row of one workload out at a time.
    Workload,
    /// Every row of one GPU out at a time.
    Gpu,
    /// Every row of one (workload, GPU) pair out, and training without that workload and without that GPU.
    Both,
    /// Every row of one (workload, GPU) pair out; other rows of that workload and of that GPU train.
    Pair,
}

impl Holdout {
    /// The group a (workload, GPU) is held out with.
    pub fn key_of(self, workload: &str, gpu: &str) -> String {
        match self {
            Holdout::Workload => workload.to_string(),
            Holdout::Gpu => gpu.to_string(),
            Holdout::Both | Holdout::Pair => format!("{workload}\u{1f}{gpu}"),
        }
    }

    /// The group of a (workload, GPU) given as ids of any ordered kind (names, indices): what the protocol
    /// holds out together. Sorts as [`Holdout::key_of`] does.
    pub fn group_of<K: Copy>(self, [workload, gpu]: [K; GROUPS]) -> (Option<K>, Option<K>) {
        match self {
            Holdout::Workload => (Some(workload), None),
            Holdout::Gpu => (None, Some(gpu)),
            Holdout::Both | Holdout::Pair => (Some(workload), Some(gpu)),
        }
    }

    /// Whether a (workload, GPU) `train` may be used when `test` is held out.
    pub fn may_train_ids<K: PartialEq + Copy>(self, train: [K; GROUPS], test: [K; GROUPS]) -> bool {
        match self {
            Holdout::Workload => train[0] != test[0],
            Holdout::Gpu => train[1] != test[1],
            Holdout::Both => train[0] != test[0] && train[1] != test[1],
            Holdout::Pair => train != test,
        }
    }
}

/// A row's (workload, GPU) ids.
pub(crate) fn ids(r: &MixedRow) -> [&str; GROUPS] {
    [&r.groups[0], &r.groups[1]]
}

/// The workloads, GPUs and pairs of some held-out rows, to test training rows against all of them at once.
struct HeldIds<'a> {
    workloads: BTreeSet<&'a str>,
    gpus: BTreeSet<&'a str>,
    pairs: BTreeSet<[&'a str; GROUPS]>,
}

fn held_ids<'a>(test: impl Iterator<Item = [&'a str; GROUPS]>) -> HeldIds<'a> {
    let mut h = HeldIds { workloads: BTreeSet::new(), gpus: BTreeSet::new(), pairs: BTreeSet::new() };
    for [w, g] in test {
        h.workloads.insert(w);
        h.gpus.insert(g);
        h.pairs.insert([w, g]);
    }
    h
}

impl HeldIds<'_> {
    /// Whether [`Holdout::may_train_ids`] allows `train` for every held-out row.
    fn may_train(&self, holdout: Holdout, train: [&str; GROUPS]) -> bool {
        match holdout {
            Holdout::Workload => !self.workloads.contains(train[0]),
            Holdout::Gpu => !self.gpus.contains(train[1]),
            Holdout::Both => !self.workloads.contains(train[0]) && !self.gpus.contains(train[1]),
            Holdout::Pair => !self.pairs.contains(&train),
        }
    }
}

/// Inner folds of [`select`].
pub const INNER_FOLDS: usize = 5;

/// Grouped cross-validation, shared by every hyperparameter choice: `rows` are grouped by `holdout` (their
/// (workload, GPU) from `ids`), the groups assigned to [`INNER_FOLDS`] folds in sorted key order, and each
/// candidate of `grid` scored by `fold_errors(train, test, candidate)` over the folds (the absolute error of
/// each test row, `None` where nothing could be fitted). Training rows for a fold are those
/// [`Holdout::may_train_ids`] allows for every test row. Returns the candidate with the lowest mean
/// absolute error (the first on ties), `None` when none could be scored.
pub fn select_by_cv<R, H: Copy>(
    rows: &[&R],
    holdout: Holdout,
    ids: fn(&R) -> [&str; GROUPS],
    grid: impl IntoIterator<Item = H>,
    mut fold_errors: impl FnMut(&[&R], &[&R], H) -> Option<Vec<f64>>,
) -> Option<H> {
    let key = |r: &R| {
        let [w, g] = ids(r);
        holdout.key_of(w, g)
    };
    let mut keys: Vec<String> = rows.iter().map(|r| key(r)).collect();
    crate::order::sort(&mut keys);
    keys.dedup();
    let folds: Vec<usize> = rows.iter().map(|r| keys.binary_search(&key(r)).map_or(0, |i| i % INNER_FOLDS)).collect();
    // The folds do not depend on the candidate: built once.
    let splits: Vec<(Vec<&R>, Vec<&R>)> = (0..INNER_FOLDS.min(keys.len()))
        .map(|f| {
            let test: Vec<&R> = rows.iter().zip(&folds).filter(|(_, k)| **k == f).map(|(r, _)| *r).collect();
            let held = held_ids(test.iter().map(|t| ids(t)));
            let train: Vec<&R> = rows
                .iter()
                .zip(&folds)
                .filter(|(r, k)| **k != f && held.may_train(holdout, ids(r)))
                .map(|(r, _)| *r)
                .collect();
            (train, test)
        })
        .collect();
    let mut best: Option<(f64, H)> = None;
    for h in grid {
        let (mut err, mut n) = (0.0, 0usize);
        for (train, test) in &splits {
            let Some(errors) = fold_errors(train, test, h) else { continue };
            for e in errors {
                err += e;
                n += 1;
            }
        }
        if n == 0 {
            continue;
        }
        let score = err / n as f64;
        if best.is_none_or(|(s, _)| score < s) {
            best = Some((score, h));
        }
    }
    best.map(|(_, h)| h)
}

/// Chooses hyperparameters by grouped cross-validation over `rows` ([`select_by_cv`]: groups by `holdout`,
/// mean absolute error of the target); then fits on all of `rows`.
pub fn select(rows: &[&MixedRow], names: &[&str], holdout: Holdout, ex: Extrapolation) -> Option<FittedMixed> {
    let chosen = select_by_cv(rows, holdout, ids, MixedHyper::grid(), |train, test, h| {
        let m = fit_mixed(train, names, h, ex)?;
        Some(test.iter().map(|t| (m.predict(&t.x, ids(t)) - t.y).abs()).collect())
    });
    let h = chosen.unwrap_or(MixedHyper { lambda: 1e-2, lambda_groups: [10.0, 10.0] });
    fit_mixed(rows, names, h, ex)
}

/// A protocol with more groups than this holds them out in [`OUTER_FOLDS`] folds instead of one by one (the
/// vision benchmark brings 830 workloads: one nested fit each would take an hour).
pub const MAX_GROUPS_ONE_BY_ONE: usize = 100;

/// Folds of a protocol with more than [`MAX_GROUPS_ONE_BY_ONE`] groups.
pub const OUTER_FOLDS: usize = 10;

/// The groups of a protocol over rows given by their (workload, GPU) ids of any ordered kind, as (held-out
/// row indices, training row indices), in sorted group order: the training rows are those that
/// [`Holdout::may_train_ids`] allows for the group. Up to [`MAX_GROUPS_ONE_BY_ONE`] groups, one group at a
/// time; beyond, the groups are dealt in sorted order into [`OUTER_FOLDS`] folds (for [`Holdout::Both`], the
/// workloads are, and each fold is held out with one GPU at a time), and a fold trains on the rows allowed
/// for every row it holds out.
pub fn holdout_groups<K: Ord + Copy>(ids: &[[K; GROUPS]], holdout: Holdout) -> Vec<(Vec<usize>, Vec<usize>)> {
    let row_keys: Vec<(Option<K>, Option<K>)> = ids.iter().map(|&i| holdout.group_of(i)).collect();
    let mut keys = row_keys.clone();
    crate::order::sort(&mut keys);
    keys.dedup();
    if keys.len() <= MAX_GROUPS_ONE_BY_ONE {
        return keys
            .iter()
            .map(|key| {
                let test: Vec<usize> = (0..ids.len()).filter(|&i| row_keys[i] == *key).collect();
                let probe = ids[test[0]];
                let train = (0..ids.len()).filter(|&i| holdout.may_train_ids(ids[i], probe)).collect();
                (test, train)
            })
            .collect();
    }
    // The fold of each row: its group's (its workload's, for Both) place in sorted order, dealt round.
    let fold_of = |list: &[K], k: K| list.binary_search(&k).map_or(0, |i| i % OUTER_FOLDS);
    let mut workloads: Vec<K> = ids.iter().map(|i| i[0]).collect();
    crate::order::sort(&mut workloads);
    workloads.dedup();
    let fold: Vec<usize> = match holdout {
        Holdout::Both => ids.iter().map(|i| fold_of(&workloads, i[0])).collect(),
        _ => row_keys.iter().map(|k| keys.binary_search(k).map_or(0, |i| i % OUTER_FOLDS)).collect(),
    };
    let mut out = Vec::new();
    for f in 0..OUTER_FOLDS {
        let in_fold: Vec<usize> = (0..ids.len()).filter(|&i| fold[i] == f).collect();
        if in_fold.is_empty() {
            continue;
        }
        if holdout == Holdout::Both {
            let mut gpus: Vec<K> = in_fold.iter().map(|&i| ids[i][1]).collect();
            crate::order::sort(&mut gpus);
            gpus.dedup();
            for g in gpus {
                let test: Vec<usize> = in_fold.iter().copied().filter(|&i| ids[i][1] == g).collect();
                let train = (0..ids.len()).filter(|&i| fold[i] != f && ids[i][1] != g).collect();
                out.push((test, train));
            }
        } else {
            let held: BTreeSet<(Option<K>, Option<K>)> = in_fold.iter().map(|&i| row_keys[i]).collect();
            let train = (0..ids.len()).filter(|&i| fold[i] != f && !held.contains(&row_keys[i])).collect();
            out.push((in_fold, train));
        }
    }
    out
}

/// Held-out predictions: for each group of `holdout`, hyperparameters chosen and the model fitted on the
/// rows that may train for it (nested: [`select`] never sees the held-out rows), then its rows predicted.
/// Returns one prediction per row, in row order (`None` where nothing could be fitted).
pub fn held_out(rows: &[MixedRow], names: &[&str], holdout: Holdout, ex: Extrapolation) -> Vec<Option<f64>> {
    predict_groups(
        rows.len(),
        &holdout_groups(&rows.iter().map(ids).collect::<Vec<_>>(), holdout),
        |_, train| select(&train.iter().map(|&i| &rows[i]).collect::<Vec<_>>(), names, holdout, ex),
        |m, i| Some(m.predict(&rows[i].x, ids(&rows[i]))),
    )
}

/// Held-out predictions over groups of (held-out rows, training rows), every held-out scheme's loop: each
/// group's model fitted by `fit(test, train)`, the groups on the machine's cores ([`crate::par::map`]), then
/// its held-out rows predicted by `predict(model, row)`. One prediction per row of `n_rows`, in row order
/// (`None` where nothing was fitted or predicted).
pub fn predict_groups<M: Send>(
    n_rows: usize,
    groups: &[(Vec<usize>, Vec<usize>)],
    fit: impl Fn(&[usize], &[usize]) -> Option<M> + Sync,
    predict: impl Fn(&M, usize) -> Option<f64>,
) -> Vec<Option<f64>> {
    let fitted = crate::par::map(groups, |(test, train)| fit(test, train));
    let mut out = vec![None; n_rows];
    for ((test, _), m) in groups.iter().zip(fitted) {
        let Some(m) = m else { continue };
        for &i in test {
            out[i] = predict(&m, i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(x: f64, w: &str, g: &str, y: f64) -> MixedRow {
        MixedRow { x: vec![x], groups: [w.into(), g.into()], y, weight: 1.0 }
    }

    /// A row of weight 2 counts as the same row twice; a row of weight 0 as no row.
    #[test]
    fn a_weighted_row_counts_as_that_many_rows() {
        let base = vec![
            row(0.0, "a", "g1", 1.0),
            row(1.0, "b", "g1", 2.5),
            row(2.0, "c", "g2", 2.9),
            row(3.0, "a", "g2", 4.4),
        ];
        let odd = row(1.5, "b", "g2", 0.7);
        let h = MixedHyper { lambda: 0.0, lambda_groups: [1e-3, 1e-3] };
        let fit = |rows: &[MixedRow]| {
            let refs: Vec<&MixedRow> = rows.iter().collect();
            let m = fit_mixed(&refs, &["x"], h, Extrapolation::Linear).unwrap();
            [0.5, 1.5, 2.5].map(|x| m.predict(&[x], ["b", "g2"]))
        };
        let twice = fit(&[base.clone(), vec![odd.clone(), odd.clone()]].concat());
        let weighted = fit(&[base.clone(), vec![MixedRow { weight: 2.0, ..odd.clone() }]].concat());
        let once = fit(&[base.clone(), vec![odd.clone()]].concat());
        for k in 0..3 {
            assert!((twice[k] - weighted[k]).abs() < 1e-6, "{twice:?} vs {weighted:?}");
            assert!((twice[k] - once[k]).abs() > 1e-4, "the weight changes the fit: {twice:?} vs {once:?}");
        }
        let without = fit(&base);
        let zero = fit(&[base, vec![MixedRow { weight: 0.0, ..odd }]].concat());
        for k in 0..3 {
            assert!((without[k] - zero[k]).abs() < 1e-6, "{without:?} vs {zero:?}");
        }
    }

    #[test]
    fn held_out_groups_follow_the_protocol_whatever_the_ids_are() {
        // Rows over 3 workloads × 2 GPUs (one pair twice), named and as indices: the same groups, each holding
        // out what the protocol says and training on the rest it allows.
        let named = [["w1", "g1"], ["w1", "g2"], ["w2", "g1"], ["w3", "g2"], ["w2", "g1"]];
        let index = |s: &str| s[1..].parse::<usize>().unwrap();
        let numbered: Vec<[usize; 2]> = named.iter().map(|[w, g]| [index(w), index(g)]).collect();
        let expect = |h: Holdout| -> Vec<(Vec<usize>, Vec<usize>)> {
            match h {
                Holdout::Workload => {
                    vec![(vec![0, 1], vec![2, 3, 4]), (vec![2, 4], vec![0, 1, 3]), (vec![3], vec![0, 1, 2, 4])]
                }
                Holdout::Gpu => vec![(vec![0, 2, 4], vec![1, 3]), (vec![1, 3], vec![0, 2, 4])],
                Holdout::Pair => vec![
                    (vec![0], vec![1, 2, 3, 4]),
                    (vec![1], vec![0, 2, 3, 4]),
                    (vec![2, 4], vec![0, 1, 3]),
                    (vec![3], vec![0, 1, 2, 4]),
                ],
                Holdout::Both => {
                    vec![(vec![0], vec![3]), (vec![1], vec![2, 4]), (vec![2, 4], vec![1, 3]), (vec![3], vec![0, 2, 4])]
                }
            }
        };
        for h in [Holdout::Workload, Holdout::Gpu, Holdout::Both, Holdout::Pair] {
            assert_eq!(holdout_groups(&named, h), expect(h), "{h:?}");
            assert_eq!(holdout_groups(&numbered, h), expect(h), "{h:?}");
        }
    }

    #[test]
    fn many_groups_are_held_out_in_folds_that_never_train_on_what_they_hold_out() {
        // 150 workloads × 3 GPUs: more groups than one by one allows under every protocol but Gpu.
        let ids: Vec<[usize; 2]> = (0..150).flat_map(|w| (0..3).map(move |g| [w, g])).collect();
        for h in [Holdout::Workload, Holdout::Gpu, Holdout::Both, Holdout::Pair] {
            let groups = holdout_groups(&ids, h);
            let expected = match h {
                Holdout::Gpu => 3,
                Holdout::Both => OUTER_FOLDS * 3,
                _ => OUTER_FOLDS,
            };
            assert_eq!(groups.len(), expected, "{h:?}");
            let mut seen = vec![0; ids.len()];
            for (test, train) in &groups {
                for &i in test {
                    seen[i] += 1;
                    assert!(train.iter().all(|&j| h.may_train_ids(ids[j], ids[i])), "{h:?}: row {i} leaks");
                }
                assert!(!train.is_empty(), "{h:?}");
            }
            assert!(seen.iter().all(|n| *n == 1), "{h:?}: every row held out once");
        }
    }

    #[test]
    fn a_fold_trains_on_what_every_held_out_row_allows() {
        // Every (workload, GPU) of a 3 × 3 grid against some held-out sets, under each protocol.
        let ids = ["a", "b", "c"];
        let all: Vec<[&str; 2]> = ids.iter().flat_map(|w| ids.iter().map(move |g| [*w, *g])).collect();
        for held in [&all[..1], &all[2..5], &all[..0], &all[4..]] {
            let set = held_ids(held.iter().copied());
            for h in [Holdout::Workload, Holdout::Gpu, Holdout::Both, Holdout::Pair] {
                for t in &all {
                    let one_by_one = held.iter().all(|x| h.may_train_ids(*t, *x));
                    assert_eq!(set.may_train(h, *t), one_by_one, "{h:?} {t:?} against {held:?}");
                }
            }
        }
    }

    #[test]
    fn clamped_models_hold_features_to_the_fitted_range() {
        // y = x on x ∈ [0, 1]: a linear model follows the trend beyond it, a clamped one stays at the edge.
        let rows: Vec<MixedRow> = (0..=10).map(|i| row(i as f64 / 10.0, "a", "g", i as f64 / 10.0)).collect();
        let refs: Vec<&MixedRow> = rows.iter().collect();
        let h = MixedHyper { lambda: 0.0, lambda_groups: [1e-6, 1e-6] };
        let lin = fit_mixed(&refs, &["x"], h, Extrapolation::Linear).unwrap();
        let clamp = fit_mixed(&refs, &["x"], h, Extrapolation::Clamp).unwrap();
        assert!((lin.predict(&[3.0], ["a", "g"]) - 3.0).abs() < 1e-4);
        assert!((clamp.predict(&[3.0], ["a", "g"]) - 1.0).abs() < 1e-4);
        assert!((clamp.predict(&[-2.0], ["a", "g"]) - 0.0).abs() < 1e-4);
        // Inside the range both agree.
        assert!((lin.predict(&[0.35], ["a", "g"]) - clamp.predict(&[0.35], ["a", "g"])).abs() < 1e-9);
        assert_eq!(clamp.range, Some(vec![(0.0, 1.0)]));
    }

    #[test]
    fn recovers_slope_and_group_offsets() {
        // y = 2x + 1 (+0.5 on workload "b") (−0.3 on gpu "h"), no noise; small penalties recover it.
        let mut rows = Vec::new();
        for i in 0..30 {
            let x = i as f64 / 10.0;
            for (w, dw) in [("a", 0.0), ("b", 0.5)] {
                for (g, dg) in [("g", 0.0), ("h", -0.3)] {
                    rows.push(row(x, w, g, 2.0 * x + 1.0 + dw + dg));
                }
            }
        }
        let refs: Vec<&MixedRow> = rows.iter().collect();
        let m =
            fit_mixed(&refs, &["x"], MixedHyper { lambda: 0.0, lambda_groups: [1e-6, 1e-6] }, Extrapolation::Linear)
                .unwrap();
        let at = |x: f64, w: &str, g: &str| m.predict(&[x], [w, g]);
        assert!((at(1.0, "b", "h") - (3.0 + 0.5 - 0.3)).abs() < 1e-4, "{}", at(1.0, "b", "h"));
        // Differences between groups are identified even though each level is not.
        assert!(((at(1.0, "b", "g") - at(1.0, "a", "g")) - 0.5).abs() < 1e-4);
        assert!(((at(2.0, "a", "g") - at(1.0, "a", "g")) - 2.0).abs() < 1e-4);
        assert!(m.knows(1, "h") && !m.knows(1, "new"));
    }

    #[test]
    fn an_unseen_group_falls_back_to_the_features() {
        // Two GPUs 0.4 apart around the line; a new GPU gets the line itself (effects shrink to a mean of 0).
        let mut rows = Vec::new();
        for i in 0..40 {
            let x = i as f64;
            rows.push(row(x, "w", "g1", x + 0.2));
            rows.push(row(x, "w", "g2", x - 0.2));
        }
        let refs: Vec<&MixedRow> = rows.iter().collect();
        let m = fit_mixed(&refs, &["x"], MixedHyper { lambda: 0.0, lambda_groups: [1.0, 1.0] }, Extrapolation::Linear)
            .unwrap();
        assert!((m.predict(&[10.0], ["w", "g3"]) - 10.0).abs() < 1e-3);
        assert!((m.predict(&[10.0], ["w", "g1"]) - 10.2).abs() < 0.01);
    }

    #[test]
    fn held_out_never_trains_on_the_held_out_group() {
        // GPU "odd" is 5 above a line every other GPU follows exactly: held out, it is predicted on the line,
        // so its error is the full 5 (it would be ~0 if its rows leaked into the fit).
        let mut rows = Vec::new();
        for g in ["a", "b", "c", "d", "e", "odd"] {
            for i in 0..10 {
                let x = i as f64;
                rows.push(row(x, "w", g, x + if g == "odd" { 5.0 } else { 0.0 }));
            }
        }
        let pred = held_out(&rows, &["x"], Holdout::Gpu, Extrapolation::Linear);
        for (r, p) in rows.iter().zip(&pred) {
            let err = (p.unwrap() - r.y).abs();
            if r.groups[1] == "odd" {
                assert!(err > 4.0, "{err}");
            } else {
                assert!(err < 1.5, "{err}");
            }
        }
    }
}
