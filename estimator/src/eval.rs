//! Accuracy of every method on the measured runs, under the protocols `wattcast eval` reports.
//!
//! - STEP (`step-power`, `step-epoch`) observes the first 10 %, 25 % or 50 % of each trace
//!   (`observe-10|25|50`) and projects the total; runs still "not stable" are counted, not scored.
//! - PRE (`pre-power`, `pre-epoch`) by 5-fold CV over runs (`kfold`, a diagnostic), holding out each GPU
//!   (`leave-gpu-out`) and each workload (`leave-workload-out`) in turn, with the measured duration (the
//!   paper's protocol) or the predicted one (`*-predicted-duration`, the calculator's case: the time ×
//!   power model's duration held out the same way, on the runs at the default limit, as the headline).
//!   Each held-out group's kind and hyperparameters are chosen by cross-validation inside its training
//!   rows only (nested: `INNER_FOLDS` folds, grouped as the protocol groups), never on the held-out rows.
//! - Baselines (`mlco2`, `green-algorithms`, `flops`) on all runs (`all`), through `methods/baselines.rs`.
//! - The backbone (`headline`, `throughput`, `power-fraction`) under its nested protocols
//!   ([`backbone_results`], from `fit::backbone`).
//!
//! One function per protocol family: `step_results`, `pre_results`, `baseline_results`,
//! `kind_scores`, [`backbone_results`]; [`evaluate`] runs the first four.
//!
//! Every row also carries the RMSE of `mlco2` on the same runs, so methods compare on equal terms.

use serde::{Deserialize, Serialize};

use crate::calibration::{EvalResult, Evaluated, HeldOutGpu, Protocol, Split};
use crate::fit::backbone::{coverage_pct, shown_energy_coverage, HeldOut, ProtocolRun};
use crate::fit::mixed::{self, Holdout};
use crate::methods::MethodId;

const HEADLINE: Evaluated = Evaluated::Method(MethodId::Headline);
const PRE_POWER: Evaluated = Evaluated::Method(MethodId::PrePower);
const PRE_EPOCH: Evaluated = Evaluated::Method(MethodId::PreEpoch);
use crate::fit::{
    fit_nested, folds, gpu_folds, grouped_folds, FitResult, ModelKind, RunPoint, Target, FOLDS, INNER_FOLDS, SEED,
};
use crate::methods::baselines;
use crate::methods::step::{step_epoch, step_power, StableConfig};
use crate::methods::workload::{flops_seconds, TRAINING_FLOPS_FACTOR};
use crate::profile::{trapezoid_j, Profile};

/// One regression kind under one protocol (how the kept kind was chosen).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindScore {
    /// What is scored (`pre-power`, `pre-epoch`, `duration`).
    pub method: Evaluated,
    /// Regression kind.
    pub kind: ModelKind,
    /// Protocol id.
    pub protocol: Protocol,
    /// MAPE of the predicted quantity (power, energy per sample, or duration), %.
    pub mape_pct: f64,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// One row per method and protocol.
    pub results: Vec<EvalResult>,
    /// Leave-one-GPU-out, per GPU (measured duration).
    pub leave_gpu_out: Vec<HeldOutGpu>,
    /// Every regression kind under k-fold and leave-one-GPU-out.
    pub kinds: Vec<KindScore>,
}

/// (run id, predicted J, measured J).
type Scored = Vec<(String, f64, f64)>;

fn summarise(
    method: Evaluated,
    protocol: Protocol,
    scored: &Scored,
    mlco2: &std::collections::HashMap<String, f64>,
) -> EvalResult {
    let mut abs: Vec<f64> = scored.iter().map(|(_, p, t)| ((p - t) / t * 100.0).abs()).collect();
    crate::order::sort_by(&mut abs, f64::total_cmp);
    let n = scored.len();
    let mean = |v: &mut dyn Iterator<Item = f64>| {
        let (s, c) = v.fold((0.0, 0usize), |(s, c), x| (s + x, c + 1));
        if c == 0 {
            f64::NAN
        } else {
            s / c as f64
        }
    };
    let rmse = |it: &mut dyn Iterator<Item = f64>| mean(it).sqrt() / 1000.0;
    let base: Vec<(f64, f64)> = scored.iter().filter_map(|(id, _, t)| mlco2.get(id).map(|p| (*p, *t))).collect();
    let mut log_ratio: Vec<f64> =
        scored.iter().map(|(_, p, t)| crate::fmath::ln(p / t)).filter(|r| r.is_finite()).collect();
    crate::order::sort_by(&mut log_ratio, f64::total_cmp);
    let log_q =
        (log_ratio.len() >= 5).then(|| (crate::fit::quantile(&log_ratio, 0.1), crate::fit::quantile(&log_ratio, 0.9)));
    EvalResult {
        method,
        protocol,
        n_runs: n,
        mape_pct: finite(mean(&mut abs.iter().copied())),
        median_abs_pct: finite(crate::fit::quantile(&abs, 0.5)).filter(|_| n > 0),
        p90_abs_pct: finite(crate::fit::quantile(&abs, 0.9)).filter(|_| n > 0),
        rmse_kj: finite(rmse(&mut scored.iter().map(|(_, p, t)| (p - t) * (p - t)))),
        bias_pct: finite(mean(&mut scored.iter().map(|(_, p, t)| (p - t) / t * 100.0))),
        mlco2_rmse_kj: finite(rmse(&mut base.iter().map(|(p, t)| (p - t) * (p - t)))),
        n_not_stable: None,
        n_within_5pct: None,
        n_gpus: None,
        coverage_80_pct: None,
        spearman_median: None,
        top1_regret_median_pct: None,
        log_ratio_q10: log_q.map(|q| q.0),
        log_ratio_q90: log_q.map(|q| q.1),
    }
}

/// Spearman rank correlation (average ranks for ties); `None` under 3 values or with a constant side.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    fn ranks(v: &[f64]) -> Vec<f64> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        crate::order::sort_by(&mut idx, |&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        let mut i = 0;
        while i < idx.len() {
            let mut j = i;
            while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
                j += 1;
            }
            for k in i..=j {
                r[idx[k]] = (i + j) as f64 / 2.0;
            }
            i = j + 1;
        }
        r
    }
    if a.len() < 3 || a.len() != b.len() {
        return None;
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma) * (x - ma)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb) * (y - mb)).sum();
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

/// Picking a GPU: per group (a workload), the GPUs' (predicted, measured) costs; median Spearman and median
/// top-1 regret over the groups with ≥ 3 GPUs.
pub fn picking(groups: &std::collections::BTreeMap<String, Vec<(f64, f64)>>) -> (Option<f64>, Option<f64>) {
    let mut rho = Vec::new();
    let mut regret = Vec::new();
    for v in groups.values().filter(|v| v.len() >= 3) {
        let (p, m): (Vec<f64>, Vec<f64>) = v.iter().copied().unzip();
        if let Some(r) = spearman(&p, &m) {
            rho.push(r);
        }
        let first = v.iter().min_by(|a, b| a.0.total_cmp(&b.0)).map(|x| x.1);
        let best = m.iter().copied().fold(f64::INFINITY, f64::min);
        if let Some(f) = first {
            regret.push((f / best - 1.0) * 100.0);
        }
    }
    let med = |mut v: Vec<f64>| {
        crate::order::sort_by(&mut v, f64::total_cmp);
        (!v.is_empty()).then(|| crate::fit::quantile(&v, 0.5))
    };
    (med(rho), med(regret))
}

/// One backbone quantity under one protocol: percentage errors, bias, coverage and GPU picking.
fn backbone_row(
    method: Evaluated,
    protocol: Protocol,
    rows: &[HeldOut],
    holdout: Holdout,
    cost: fn(&HeldOut) -> (f64, f64),
    energy: bool,
) -> EvalResult {
    let scored: Scored = rows.iter().enumerate().map(|(i, h)| (i.to_string(), h.predicted, h.measured)).collect();
    let mut r = summarise(method, protocol, &scored, &std::collections::HashMap::new());
    if !energy {
        r.rmse_kj = None;
    }
    r.mlco2_rmse_kj = None;
    r.n_gpus = Some(rows.iter().map(|h| h.gpu.as_str()).collect::<std::collections::BTreeSet<_>>().len());
    // The page shows the benchmark throughput's family band for unseen workloads (`Backbone::family_band`).
    r.coverage_80_pct = coverage_pct(rows, holdout, method == Evaluated::Throughput);
    if holdout == Holdout::Gpu {
        let mut groups: std::collections::BTreeMap<String, Vec<(f64, f64)>> = Default::default();
        for h in rows {
            groups.entry(h.config.clone()).or_default().push(cost(h));
        }
        (r.spearman_median, r.top1_regret_median_pct) = picking(&groups);
    }
    r
}

/// The headline's energy with the predicted duration, one GPU held out at a time, per GPU: where the pooled
/// figure comes from (a GPU unlike any other, such as the 60 W GTX 750 Ti, weighs on it).
pub fn headline_by_gpu(runs: &[(Holdout, ProtocolRun)]) -> Vec<HeldOutGpu> {
    let Some((_, run)) = runs.iter().find(|(h, _)| *h == Holdout::Gpu) else { return Vec::new() };
    let mut by_gpu: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for x in &run.energy_predicted_duration {
        by_gpu.entry(x.gpu.as_str()).or_default().push(100.0 * (x.predicted / x.measured - 1.0).abs());
    }
    by_gpu
        .into_iter()
        .map(|(gpu, e)| HeldOutGpu {
            method: HEADLINE,
            gpu: gpu.into(),
            n_runs: e.len(),
            mape_pct: finite(e.iter().sum::<f64>() / e.len() as f64).map(|m| (m * 100.0).round() / 100.0),
        })
        .collect()
}

/// The backbone's rows: `throughput` on the benchmark rows (time ranking for picking), `power-fraction` on
/// the profiles, `headline` energy on the profiles at the default limit with the measured and with the
/// predicted duration.
pub fn backbone_results(runs: &[(Holdout, ProtocolRun)]) -> Vec<EvalResult> {
    let mut out = Vec::new();
    for (h, run) in runs {
        let (protocol, predicted) = (Protocol::of(Split::Holdout(*h)), Protocol::predicted(Split::Holdout(*h)));
        let bench = run.bench_throughput();
        // Faster is cheaper: rank by time (1 ÷ throughput).
        out.push(backbone_row(
            Evaluated::Throughput,
            protocol,
            &bench,
            *h,
            |x| (1.0 / x.predicted, 1.0 / x.measured),
            false,
        ));
        let mut p =
            backbone_row(Evaluated::PowerFraction, protocol, &run.power, *h, |x| (x.predicted, x.measured), false);
        // A power fraction is not a cost: no GPU picking on it.
        (p.spearman_median, p.top1_regret_median_pct) = (None, None);
        out.push(p);
        out.push(backbone_row(
            HEADLINE,
            protocol,
            &run.energy_measured_duration,
            *h,
            |x| (x.predicted, x.measured),
            true,
        ));
        let mut e =
            backbone_row(HEADLINE, predicted, &run.energy_predicted_duration, *h, |x| (x.predicted, x.measured), true);
        // Check the interval the page would show for these runs.
        e.coverage_80_pct = shown_energy_coverage(&run.energy_predicted_duration, &run.power, &bench, *h);
        out.push(e);
    }
    out
}

/// `None` for NaN and infinities (no runs scored): unknown is not zero.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// ML CO2 Impact on a run: catalogue TDP × measured duration, J.
fn mlco2_j(r: &RunPoint) -> Option<f64> {
    r.x.tdp_w.map(|p| baselines::mlco2_kwh(p, r.n_gpus, r.duration_s / 3600.0) * 3.6e6)
}

/// Evaluates every method. `traced` are the profiles with samples (for STEP); `points` the runs with
/// features (for PRE and baselines); `power`, `energy`, `duration` the full fits whose hyperparameters
/// the protocols reuse.
pub fn evaluate(
    traced: &[Profile],
    points: &[RunPoint],
    power: &FitResult,
    energy: &FitResult,
    duration: &FitResult,
    backbone: &[(Holdout, ProtocolRun)],
) -> EvalReport {
    let mut mlco2 = std::collections::HashMap::new();
    for r in points {
        if let Some(p) = mlco2_j(r) {
            mlco2.insert(r.id.clone(), p);
        }
    }
    // Traced runs may lack features; their mlco2 comes from the profile's own GPU TDP via `points` when
    // present, else from the power limit it recorded.
    for p in traced {
        if !mlco2.contains_key(&p.id) {
            if let Some(l) = p.meta.gpu.power_limit_w {
                mlco2.insert(p.id.clone(), l * p.summary.duration_s);
            }
        }
    }
    let mut results = step_results(traced, &mlco2);
    let pre = PreRows::of(points);
    let (pre_results, mut leave_gpu_out) = pre_results(&pre, power, energy, backbone, &mlco2);
    leave_gpu_out.extend(headline_by_gpu(backbone));
    results.extend(pre_results);
    results.extend(baseline_results(points, &mlco2));
    let kinds = kind_scores(&pre, power, energy, duration);
    EvalReport { results, leave_gpu_out, kinds }
}

/// ML CO2 Impact's energy of each run by run id, J (the yardstick every row carries).
type Mlco2 = std::collections::HashMap<String, f64>;

/// STEP projects each traced run from its first 10 %, 25 % and 50 %.
fn step_results(traced: &[Profile], mlco2: &Mlco2) -> Vec<EvalResult> {
    let mut results = Vec::new();
    for (frac, split) in [(0.10, Split::Observe10), (0.25, Split::Observe25), (0.50, Split::Observe50)] {
        let protocol = Protocol::of(split);
        let mut sp: Scored = Vec::new();
        let mut se: Scored = Vec::new();
        // Each projection's interval, for the coverage: (architecture, truth, projection).
        let mut ip: Vec<Interval> = Vec::new();
        let mut ie: Vec<Interval> = Vec::new();
        let (mut ns_p, mut ns_e) = (0, 0);
        for p in traced {
            let Some((t, w)) = p.total_power() else { continue };
            let Some(&end) = t.last() else { continue };
            let truth = trapezoid_j(&t, &w);
            let cut = (end as f64 * frac) as u64;
            let k = t.partition_point(|x| *x <= cut);
            let (tp, wp) = (&t[..k], &w[..k]);
            let arch = p.meta.arch_id.clone().unwrap_or_else(|| p.id.clone());
            match step_power(StableConfig::default(), tp, wp, end) {
                Some(proj) => {
                    sp.push((p.id.clone(), proj.energy_j, truth));
                    ip.push((arch.clone(), truth, proj));
                }
                None => ns_p += 1,
            }
            let total_epochs = p.meta.completed_epochs.unwrap_or(0);
            let ends: Vec<u64> = if !p.epochs.is_empty() {
                p.epochs.iter().map(|e| e.end_t_ms).filter(|e| *e <= cut).collect()
            } else if let Some(l) = p.summary.mean_epoch_s {
                let l_ms = (l * 1000.0) as u64;
                (1..=total_epochs as u64).map(|i| i * l_ms).filter(|e| *e <= cut && l_ms > 0).collect()
            } else {
                Vec::new()
            };
            let note = p
                .epochs
                .is_empty()
                .then(|| "no epoch marks: epochs taken from the run's mean epoch length".to_string());
            match (total_epochs > 0 && !ends.is_empty())
                .then(|| step_epoch(StableConfig::default(), tp, wp, &ends, total_epochs, Some(end), note))
                .flatten()
            {
                Some(proj) => {
                    se.push((p.id.clone(), proj.energy_j, truth));
                    ie.push((arch, truth, proj));
                }
                None => ns_e += 1,
            }
        }
        for (method, scored, ns, iv) in [(MethodId::StepPower, &sp, ns_p, &ip), (MethodId::StepEpoch, &se, ns_e, &ie)] {
            let method = Evaluated::Method(method);
            let mut r = summarise(method, protocol, scored, mlco2);
            r.coverage_80_pct = step_coverage_pct(iv);
            r.n_not_stable = Some(ns);
            r.n_within_5pct = Some(scored.iter().filter(|(_, p, t)| ((p - t) / t).abs() <= 0.05).count());
            results.push(r);
        }
    }

    results
}

/// A STEP projection with its run's architecture and true energy.
type Interval = (String, f64, crate::methods::step::Projection);

/// Share of STEP projections whose interval holds the true energy, %. An early projection's band is taken
/// from the other architectures' early projections (`early_rest_band`), never from its own: the shipped
/// `EARLY_REST_BAND` comes from all of them.
fn step_coverage_pct(iv: &[Interval]) -> Option<f64> {
    if iv.is_empty() {
        return None;
    }
    let ratio = |(_, truth, p): &Interval| rest_ratio(*truth, p);
    let covered = iv
        .iter()
        .filter(|x| {
            let (arch, truth, p) = x;
            if !p.early() {
                return p.low_j <= *truth && *truth <= p.high_j;
            }
            let others: Vec<f64> = iv.iter().filter(|y| y.2.basis == p.basis && y.0 != *arch).map(ratio).collect();
            crate::methods::step::early_rest_band(&others).is_some_and(|(lo, hi)| (lo..=hi).contains(&ratio(x)))
        })
        .count();
    Some(covered as f64 / iv.len() as f64 * 100.0)
}

/// The energy still to come ÷ what a projection says it is: (truth − observed) ÷ (projected − observed).
fn rest_ratio(truth_j: f64, p: &crate::methods::step::Projection) -> f64 {
    (truth_j - p.observed_j) / (p.energy_j - p.observed_j)
}

/// The true rest ÷ the projected rest of every power-based projection on `basis` after `fraction` of each traced
/// run: what `EARLY_REST_BAND` and `LATEST_REST_BAND` are the 10th and 90th percentiles of (at 10 %).
pub fn early_rest_ratios(traced: &[Profile], fraction: f64, basis: crate::methods::step::Basis) -> Vec<f64> {
    traced
        .iter()
        .filter_map(|p| {
            let (t, w) = p.total_power()?;
            let end = *t.last()?;
            let k = t.partition_point(|x| *x <= (end as f64 * fraction) as u64);
            let proj = step_power(StableConfig::default(), &t[..k], &w[..k], end).filter(|q| q.basis == basis)?;
            Some(rest_ratio(trapezoid_j(&t, &w), &proj))
        })
        .collect()
}

/// The runs PRE is scored on (those with a power fraction) and their fold assignments.
struct PreRows<'a> {
    rows: Vec<&'a RunPoint>,
    by_gpu: Vec<usize>,
    by_workload: Vec<usize>,
}

impl<'a> PreRows<'a> {
    fn of(points: &'a [RunPoint]) -> PreRows<'a> {
        let rows: Vec<&RunPoint> = points.iter().filter(|r| Target::PowerFraction.of(r).is_some()).collect();
        let by_gpu = gpu_folds(&rows.iter().map(|r| (*r, 0.0)).collect::<Vec<_>>());
        // Every run of one workload (architecture × input size) in one fold.
        let workload_key = |r: &RunPoint| crate::fit::backbone::run_workload(r).map_or_else(|| r.id.clone(), |w| w.key);
        let mut keys: Vec<String> = rows.iter().map(|r| workload_key(r)).collect();
        crate::order::sort(&mut keys);
        keys.dedup();
        let by_workload: Vec<usize> = rows.iter().map(|r| keys.binary_search(&workload_key(r)).unwrap_or(0)).collect();
        PreRows { rows, by_gpu, by_workload }
    }

    /// The group of row `i` under a protocol: its GPU, its workload, or its (workload, GPU) pair.
    fn key(&self, h: Holdout, i: usize) -> (Option<usize>, Option<usize>) {
        h.group_of(self.ids(i))
    }

    fn ids(&self, i: usize) -> [usize; 2] {
        [self.by_workload[i], self.by_gpu[i]]
    }

    /// (held-out rows, training rows) of each group under a protocol ([`mixed::holdout_groups`]).
    fn held_out(&self, h: Holdout) -> Groups {
        mixed::holdout_groups(&(0..self.rows.len()).map(|i| self.ids(i)).collect::<Vec<_>>(), h)
    }
}

/// Held-out groups as (test row indices, training row indices).
type Groups = Vec<(Vec<usize>, Vec<usize>)>;

/// The groups of a fold assignment: each fold held out, the others training.
fn split_by_fold(fold_of: &[usize]) -> Groups {
    let k = fold_of.iter().max().map_or(0, |m| m + 1);
    (0..k)
        .map(|f| {
            let (test, train): (Vec<usize>, Vec<usize>) = (0..fold_of.len()).partition(|&i| fold_of[i] == f);
            (test, train)
        })
        .collect()
}

/// PRE with the measured and the predicted duration, by k-fold (a diagnostic), a GPU held out and a
/// workload held out; and a GPU held out, per GPU.
fn pre_results(
    pre: &PreRows<'_>,
    power: &FitResult,
    energy: &FitResult,
    backbone: &[(Holdout, ProtocolRun)],
    mlco2: &Mlco2,
) -> (Vec<EvalResult>, Vec<HeldOutGpu>) {
    // The duration the calculator would predict for a run, held out as the protocol holds out (k-fold,
    // a diagnostic, takes the pair-held-out one: the nearest).
    let no_durations = std::collections::BTreeMap::new();
    let durations = |split: Split| {
        let h = match split {
            Split::Holdout(h) => h,
            _ => Holdout::Pair,
        };
        backbone.iter().find(|(x, _)| *x == h).map_or(&no_durations, |(_, r)| &r.predicted_duration_s)
    };
    let pw_rows = &pre.rows[..];
    let all_kinds = &ModelKind::ALL[..];
    let protocols = [
        (Split::Kfold, split_by_fold(&folds(pw_rows.len(), FOLDS, SEED))),
        (Split::Holdout(Holdout::Pair), pre.held_out(Holdout::Pair)),
        (Split::Holdout(Holdout::Gpu), pre.held_out(Holdout::Gpu)),
        (Split::Holdout(Holdout::Workload), pre.held_out(Holdout::Workload)),
        (Split::Holdout(Holdout::Both), pre.held_out(Holdout::Both)),
    ];
    let mut results = Vec::new();
    let mut leave_gpu_out = Vec::new();
    for (split, groups) in &protocols {
        let frac = oof(power.best.target, all_kinds, pre, *split, groups);
        let eps = oof(energy.best.target, all_kinds, pre, *split, groups);
        let predicted_s = durations(*split);
        let mut power_measured: Scored = Vec::new();
        let mut power_predicted: Scored = Vec::new();
        let mut epoch: Scored = Vec::new();
        // PRE-epoch needs no duration; its "predicted-duration" row scores it on the calculator's rows
        // (runs at the default limit, where a duration is predicted), the same rows as the others.
        let mut epoch_predicted: Scored = Vec::new();
        for (i, r) in pw_rows.iter().enumerate() {
            let limit = r.limit_w().unwrap_or(0.0);
            if let Some(f) = frac[i].map(crate::methods::paper::clamp_fraction) {
                power_measured.push((r.id.clone(), f * limit * r.duration_s, r.energy_j));
                if let Some(d) = predicted_s.get(&r.id) {
                    power_predicted.push((r.id.clone(), f * limit * f64::from(r.n_gpus) * d, r.energy_j));
                }
            }
            if let Some(e) = eps[i] {
                epoch.push((r.id.clone(), crate::fmath::exp(e) * r.samples_seen, r.energy_j));
                if predicted_s.contains_key(&r.id) {
                    epoch_predicted.push((r.id.clone(), crate::fmath::exp(e) * r.samples_seen, r.energy_j));
                }
            }
        }
        let (measured, predicted) = (Protocol::of(*split), Protocol::predicted(*split));
        results.push(summarise(PRE_POWER, measured, &power_measured, mlco2));
        results.push(summarise(PRE_EPOCH, measured, &epoch, mlco2));
        results.push(summarise(PRE_POWER, predicted, &power_predicted, mlco2));
        results.push(summarise(PRE_EPOCH, predicted, &epoch_predicted, mlco2));
        if *split == Split::Holdout(Holdout::Gpu) {
            for (method, scored) in [(PRE_POWER, &power_measured), (PRE_EPOCH, &epoch)] {
                let mut gpus: Vec<&str> = pw_rows.iter().map(|r| r.gpu_id.as_str()).collect();
                crate::order::sort(&mut gpus);
                gpus.dedup();
                for g in gpus {
                    let ids: std::collections::HashSet<&str> =
                        pw_rows.iter().filter(|r| r.gpu_id == g).map(|r| r.id.as_str()).collect();
                    let sub: Scored = scored.iter().filter(|(id, _, _)| ids.contains(id.as_str())).cloned().collect();
                    let s = summarise(method, measured, &sub, mlco2);
                    leave_gpu_out.push(HeldOutGpu { method, gpu: g.into(), n_runs: s.n_runs, mape_pct: s.mape_pct });
                }
            }
        }
    }

    (results, leave_gpu_out)
}

/// The formulas people use today, on every run with its measured duration.
fn baseline_results(points: &[RunPoint], mlco2: &Mlco2) -> Vec<EvalResult> {
    let mut results = Vec::new();
    // Baselines on all runs, through the calculator's own formulas (`methods/baselines.rs`), scored on
    // device energy: Green Algorithms at PUE 1 with the calculator's default memory (0 GB) and the run's
    // measured GPU utilisation as its usage factor (1 where not measured, the calculator's default).
    let mut ml: Scored = Vec::new();
    let mut ga: Scored = Vec::new();
    let mut fl: Scored = Vec::new();
    for r in points {
        let Some(tdp) = r.x.tdp_w else { continue };
        let (hours, j_per_kwh) = (r.duration_s / 3600.0, 3.6e6);
        ml.push((r.id.clone(), baselines::mlco2_kwh(tdp, r.n_gpus, hours) * j_per_kwh, r.energy_j));
        let usage = r.mean_utilisation_pct.map_or(1.0, |u| u / 100.0);
        ga.push((
            r.id.clone(),
            baselines::green_algorithms_kwh(tdp, r.n_gpus, usage, 0.0, hours, 1.0) * j_per_kwh,
            r.energy_j,
        ));
        if let (Some(g), Some(peak)) = (r.x.gflops, r.x.peak_tflops) {
            let secs = flops_seconds(TRAINING_FLOPS_FACTOR * g * 1e9 * r.samples_seen, r.n_gpus, peak);
            fl.push((r.id.clone(), baselines::mlco2_kwh(tdp, r.n_gpus, secs / 3600.0) * j_per_kwh, r.energy_j));
        }
    }
    let all = Protocol::of(Split::All);
    results.push(summarise(Evaluated::Method(MethodId::Mlco2), all, &ml, mlco2));
    results.push(summarise(Evaluated::Method(MethodId::GreenAlgorithms), all, &ga, mlco2));
    results.push(summarise(Evaluated::Method(MethodId::Flops), all, &fl, mlco2));
    results
}

/// Every regression kind of the PRE models, by k-fold and with a GPU held out (how the kept kind was
/// chosen).
fn kind_scores(pre: &PreRows<'_>, power: &FitResult, energy: &FitResult, duration: &FitResult) -> Vec<KindScore> {
    let pw_rows = &pre.rows[..];
    let mut kinds = Vec::new();
    for (method, fit) in [(PRE_POWER, power), (PRE_EPOCH, energy), (Evaluated::Duration, duration)] {
        for m in &fit.by_kind {
            for (split, groups) in [
                (Split::Kfold, split_by_fold(&folds(pw_rows.len(), FOLDS, SEED))),
                (Split::Holdout(Holdout::Gpu), pre.held_out(Holdout::Gpu)),
            ] {
                let pred = oof(m.target, &[m.kind()], pre, split, &groups);
                let errs: Vec<f64> = pred
                    .iter()
                    .zip(pw_rows)
                    .filter_map(|(p, r)| {
                        let y = m.target.of(r)?;
                        let (q, t) = (crate::fit::quantity(m.target, (*p)?), crate::fit::quantity(m.target, y));
                        Some(((q - t) / t).abs() * 100.0)
                    })
                    .collect();
                let mape = errs.iter().sum::<f64>() / errs.len().max(1) as f64;
                kinds.push(KindScore { method, kind: m.kind(), protocol: Protocol::of(split), mape_pct: mape });
            }
        }
    }
    kinds
}

/// Held-out predictions: for each group, a model of one of `kinds` chosen and fitted on its training rows
/// alone ([`fit_nested`], inner folds grouped as `split` groups: by GPU, workload or pair; seeded for
/// k-fold), then its held-out rows predicted (`None` where no fit succeeded).
fn oof(target: Target, kinds: &[ModelKind], pre: &PreRows<'_>, split: Split, groups: &Groups) -> Vec<Option<f64>> {
    let rows = &pre.rows;
    let fit = |_: &[usize], train: &[usize]| {
        let (index, train): (Vec<usize>, Vec<(&RunPoint, f64)>) =
            train.iter().filter_map(|&i| target.of(rows[i]).map(|y| (i, (rows[i], y)))).unzip();
        if train.is_empty() {
            return None;
        }
        let inner = match split {
            Split::Holdout(h) => grouped_folds(&index.iter().map(|&i| pre.key(h, i)).collect::<Vec<_>>(), INNER_FOLDS),
            _ => folds(train.len(), INNER_FOLDS, SEED),
        };
        fit_nested(&train, target, kinds, &inner)
    };
    mixed::predict_groups(rows.len(), groups, fit, |m, i| target.of(rows[i]).map(|_| m.predict(&rows[i].x)))
}
