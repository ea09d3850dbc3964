//! Fitting and held-out evaluation of the time × power backbone ([`crate::backbone`]) from the benchmark
//! rows (throughput) and the calibration profiles (throughput and mean power).
//!
//! Every error reported here is held out: a protocol ([`Holdout`]) removes a GPU, a workload, both, or one
//! (workload, GPU) pair from training, chooses hyperparameters inside what is left ([`mixed::held_out`]),
//! and predicts the removed rows. Interval bands are the 10th/90th percentiles of those residuals;
//! their coverage is checked one group at a time against bands computed without that group.

use std::collections::{BTreeMap, BTreeSet};

use super::mixed::{self, FittedMixed, Holdout, MixedRow};
use super::RunPoint;
use crate::backbone::{
    compose, power_features, throughput_features, Backbone, BandQuantity, Case, MeasuredThroughput, ResidualBand,
    Scaling, Software, WorkloadInput, BACKBONE_SCHEMA_VERSION, POWER_FEATURES, THROUGHPUT_FEATURES,
};
use crate::bench::{BenchmarkSet, Tuning};
use crate::catalog::{Catalog, SampleUnit};
use crate::methods::workload::TRAINING_FLOPS_FACTOR;

/// A profile run counts as at the default power limit when its limit is at least its TDP less this
/// fraction (board-partner cards ship with limits above the reference TDP: an RTX 3070 at 240 W).
pub const DEFAULT_LIMIT_TOLERANCE: f64 = 0.05;

/// Where a throughput row comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A benchmark row (index into the set's rows).
    Bench(usize),
    /// A calibration profile (run id).
    Profile(String),
}

/// Rows of one model, with where each came from.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// The rows.
    pub rows: Vec<MixedRow>,
    /// Their origins, in the same order.
    pub origin: Vec<Origin>,
}

fn ln(x: f64) -> f64 {
    crate::fmath::ln(x)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// The workload of a benchmark row.
fn bench_workload(set: &BenchmarkSet, row: usize, catalog: &Catalog) -> Option<WorkloadInput> {
    let r = &set.rows[row];
    let w = set.workload(&r.workload)?;
    let conv = w.arch_id.as_deref().and_then(|a| catalog.arch(a)).is_some_and(|a| a.family == "cnn");
    let key = match &w.arch_id {
        Some(a) => WorkloadInput::key_of(a, w.sample_unit, w.input_px),
        None => w.id.clone(),
    };
    Some(WorkloadInput {
        key,
        forward_gflops: w.forward_gflops,
        unit: w.sample_unit,
        conv,
        batch_per_gpu: r.batch.map(|b| f64::from(b) / f64::from(r.n_gpus)),
    })
}

/// The workload of a profile run.
pub fn run_workload(p: &RunPoint) -> Option<WorkloadInput> {
    let arch = p.arch_id.as_deref().unwrap_or(&p.id);
    let px = p.x.input_px.map(|v| v.round() as u32);
    Some(WorkloadInput {
        key: WorkloadInput::key_of(arch, p.sample_unit, px),
        forward_gflops: p.x.gflops.filter(|g| *g > 0.0)?,
        unit: p.sample_unit,
        conv: p.conv,
        batch_per_gpu: p.x.batch.map(|b| b / f64::from(p.n_gpus)),
    })
}

/// Whether a profile ran at its GPU's default power limit.
pub fn at_default_limit(p: &RunPoint) -> bool {
    match (p.x.power_limit_w, p.x.tdp_w) {
        (Some(l), Some(t)) => l / t >= 1.0 - DEFAULT_LIMIT_TOLERANCE,
        _ => true,
    }
}

/// Median ln(batch per GPU) for images and for sequences over the benchmark rows and the profiles.
pub fn batch_defaults(set: &BenchmarkSet, points: &[RunPoint], catalog: &Catalog) -> [f64; 2] {
    let mut by_unit: [Vec<f64>; 2] = Default::default();
    let idx = |u: SampleUnit| usize::from(u == SampleUnit::Token);
    for i in 0..set.rows.len() {
        if let Some(w) = bench_workload(set, i, catalog) {
            if let Some(b) = w.batch_per_gpu {
                by_unit[idx(w.unit)].push(ln(b));
            }
        }
    }
    for p in points {
        if let Some(b) = run_workload(p).and_then(|w| w.batch_per_gpu) {
            by_unit[idx(p.sample_unit)].push(ln(b));
        }
    }
    [0, 1].map(|k| median(by_unit[k].clone()).unwrap_or(ln(32.0)))
}

/// Throughput rows: single-GPU, framework-default benchmark rows, and profile runs at the default limit.
/// Target: ln(achieved training TFLOP/s per GPU).
pub fn throughput_rows(set: &BenchmarkSet, points: &[RunPoint], catalog: &Catalog, batch_default: &[f64; 2]) -> Rows {
    let mut out = Rows::default();
    for (i, r) in set.rows.iter().enumerate() {
        if r.tuning != Tuning::Typical || r.n_gpus != 1 {
            continue;
        }
        let (Some(gpu), Some(w)) = (catalog.gpu(&r.gpu_id), bench_workload(set, i, catalog)) else { continue };
        let Some(x) = throughput_features(gpu, r.precision, &w, Software::of_source(&r.source), batch_default) else {
            continue;
        };
        let tflops = r.samples_per_s * TRAINING_FLOPS_FACTOR * w.forward_gflops / 1e3;
        out.rows.push(MixedRow { x, groups: [w.key, gpu.id.clone()], y: ln(tflops) });
        out.origin.push(Origin::Bench(i));
    }
    for p in points {
        if !at_default_limit(p) || p.duration_s <= 0.0 {
            continue;
        }
        let (Some(gpu), Some(w)) = (catalog.gpu(&p.gpu_id), run_workload(p)) else { continue };
        let Some(x) = throughput_features(gpu, p.precision, &w, Software::Profile, batch_default) else { continue };
        let per_gpu = p.samples_seen / p.duration_s / f64::from(p.n_gpus);
        let tflops = per_gpu * TRAINING_FLOPS_FACTOR * w.forward_gflops / 1e3;
        if !(tflops.is_finite() && tflops > 0.0) {
            continue;
        }
        out.rows.push(MixedRow { x, groups: [w.key, gpu.id.clone()], y: ln(tflops) });
        out.origin.push(Origin::Profile(p.id.clone()));
    }
    out
}

/// Power rows: every profile run with a known limit. Target: mean power ÷ limit.
pub fn power_rows(points: &[RunPoint], catalog: &Catalog, batch_default: &[f64; 2]) -> Rows {
    let mut out = Rows::default();
    for p in points {
        let (Some(gpu), Some(w), Some(limit)) = (catalog.gpu(&p.gpu_id), run_workload(p), p.limit_w()) else {
            continue;
        };
        let Some(x) = power_features(gpu, p.precision, &w, limit, batch_default) else { continue };
        let y = p.mean_power_w / f64::from(p.n_gpus) / limit;
        if !y.is_finite() {
            continue;
        }
        out.rows.push(MixedRow { x, groups: [w.key, gpu.id.clone()], y });
        out.origin.push(Origin::Profile(p.id.clone()));
    }
    out
}

/// Measured single-GPU throughputs: for each (GPU, workload, precision), the newest software's row
/// (Lambda v2, then v1, v0, NeuSight), at its largest batch.
pub fn measured(set: &BenchmarkSet, catalog: &Catalog) -> Vec<MeasuredThroughput> {
    let rank = |s: Software| match s {
        Software::Current => 4,
        Software::LambdaV1 => 3,
        Software::LambdaV0 => 2,
        Software::NeuSight => 1,
        Software::Profile => 0,
    };
    let mut best: BTreeMap<(String, String, crate::Precision), (i32, u32, MeasuredThroughput)> = BTreeMap::new();
    for (i, r) in set.rows.iter().enumerate() {
        if r.tuning != Tuning::Typical || r.n_gpus != 1 {
            continue;
        }
        let Some(w) = bench_workload(set, i, catalog) else { continue };
        let score = (rank(Software::of_source(&r.source)), r.batch.unwrap_or(0));
        let m = MeasuredThroughput {
            gpu_id: r.gpu_id.clone(),
            workload: w.key.clone(),
            precision: r.precision,
            samples_per_s: r.samples_per_s,
            forward_gflops: w.forward_gflops,
            source: format!("{} ({})", r.source, r.workload),
        };
        let key = (r.gpu_id.clone(), w.key, r.precision);
        if best.get(&key).is_none_or(|(s, b, _)| score > (*s, *b)) {
            best.insert(key, (score.0, score.1, m));
        }
    }
    best.into_values().map(|(_, _, m)| m).collect()
}

/// Multi-GPU efficiency: for each benchmark row on 2, 4 or 8 GPUs, its per-GPU throughput ÷ the same
/// source's single-GPU row of that GPU, workload and precision; the median per count.
pub fn scaling(set: &BenchmarkSet) -> Scaling {
    let mut single = BTreeMap::new();
    for r in set.rows.iter().filter(|r| r.tuning == Tuning::Typical && r.n_gpus == 1) {
        single.insert((r.source.as_str(), r.gpu_id.as_str(), r.workload.as_str(), r.precision), r.samples_per_s);
    }
    let mut ratios: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for r in set.rows.iter().filter(|r| r.tuning == Tuning::Typical && matches!(r.n_gpus, 2 | 4 | 8)) {
        if let Some(one) = single.get(&(r.source.as_str(), r.gpu_id.as_str(), r.workload.as_str(), r.precision)) {
            ratios.entry(r.n_gpus).or_default().push(r.samples_per_s / (f64::from(r.n_gpus) * one));
        }
    }
    Scaling {
        measured: ratios
            .into_iter()
            .filter_map(|(n, v)| {
                let k = v.len();
                median(v).map(|m| (n, round6(m), k))
            })
            .collect(),
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// One held-out prediction of a quantity: (origin, GPU, workload, predicted, measured).
#[derive(Debug, Clone, PartialEq)]
pub struct HeldOut {
    /// Where the row came from.
    pub origin: Origin,
    /// GPU id.
    pub gpu: String,
    /// Workload key.
    pub workload: String,
    /// The configuration GPUs are compared on when picking one (workload with precision, or with batch).
    pub config: String,
    /// Predicted value (natural units: samples/s, fraction, J).
    pub predicted: f64,
    /// Measured value.
    pub measured: f64,
}

/// The case a protocol stands for.
pub fn case_of(h: Holdout) -> Case {
    match h {
        Holdout::Gpu => Case::GpuUnseen,
        Holdout::Workload => Case::WorkloadUnseen,
        Holdout::Both => Case::NeitherSeen,
        Holdout::Pair => Case::BothSeen,
    }
}

/// Held-out throughput, power fraction and energy for one protocol.
#[derive(Debug, Clone, Default)]
pub struct ProtocolRun {
    /// Throughput (samples/s per GPU) of the benchmark and profile rows.
    pub throughput: Vec<HeldOut>,
    /// Power fraction of the profile rows.
    pub power: Vec<HeldOut>,
    /// Energy of the profile runs at the default limit, J, with the predicted duration.
    pub energy_predicted_duration: Vec<HeldOut>,
    /// Energy with the measured duration (predicted power × measured duration), J.
    pub energy_measured_duration: Vec<HeldOut>,
}

impl ProtocolRun {
    /// The held-out throughput of the benchmark rows.
    pub fn bench_throughput(&self) -> Vec<HeldOut> {
        self.throughput.iter().filter(|x| matches!(x.origin, Origin::Bench(_))).cloned().collect()
    }

    /// The held-out throughput of the profile rows.
    pub fn runs_throughput(&self) -> Vec<HeldOut> {
        self.throughput.iter().filter(|x| matches!(x.origin, Origin::Profile(_))).cloned().collect()
    }
}

/// The two throughput stages: the benchmark model (features, workload and GPU effects), then on the
/// profiles' residuals from it an intercept (whole runs against benchmark windows) with workload and GPU
/// effects and no features, so that the slopes come from the benchmarks alone and the profiles only shift
/// the workloads they measured.
pub fn fit_throughput(rows: &[&MixedRow], origin: &[&Origin], holdout: Holdout) -> Option<(FittedMixed, FittedMixed)> {
    let bench: Vec<&MixedRow> =
        rows.iter().zip(origin).filter(|(_, o)| matches!(o, Origin::Bench(_))).map(|(r, _)| *r).collect();
    let first = mixed::select(&bench, &THROUGHPUT_FEATURES, holdout)?;
    let resid: Vec<MixedRow> = rows
        .iter()
        .zip(origin)
        .filter(|(_, o)| matches!(o, Origin::Profile(_)))
        .map(|(r, _)| MixedRow {
            x: Vec::new(),
            groups: r.groups.clone(),
            y: r.y - first.predict(&r.x, [&r.groups[0], &r.groups[1]]),
        })
        .collect();
    let resid_refs: Vec<&MixedRow> = resid.iter().collect();
    let second = mixed::select(&resid_refs, &[], holdout).unwrap_or_else(FittedMixed::zero);
    Some((first, second))
}

/// Held-out throughput predictions (ln TFLOP/s) of every row under a protocol: both stages refitted
/// without the held-out group, hyperparameters chosen inside.
pub fn held_out_throughput(tp: &Rows, holdout: Holdout) -> Vec<Option<f64>> {
    let mut out = vec![None; tp.rows.len()];
    for (test, train) in mixed::holdout_groups(&tp.rows, holdout) {
        let rows: Vec<&MixedRow> = train.iter().map(|&i| &tp.rows[i]).collect();
        let origin: Vec<&Origin> = train.iter().map(|&i| &tp.origin[i]).collect();
        let Some((a, b)) = fit_throughput(&rows, &origin, holdout) else { continue };
        for j in test {
            out[j] = Some(predict_two_stage(&a, &b, &tp.rows[j], &tp.origin[j]));
        }
    }
    out
}

/// A row's held-out prediction: the benchmark model, plus for a profile row the profiles' shift of its
/// workload when that workload was measured by other profiles (a benchmark row is a benchmark window, not
/// a whole run, and gets no shift).
pub fn predict_two_stage(first: &FittedMixed, second: &FittedMixed, r: &MixedRow, origin: &Origin) -> f64 {
    let g = [r.groups[0].as_str(), r.groups[1].as_str()];
    let shift = matches!(origin, Origin::Profile(_)) && second.knows(0, g[0]);
    first.predict(&r.x, g) + if shift { second.predict(&[], g) } else { 0.0 }
}

/// Runs one protocol over both models.
pub fn run_protocol(tp: &Rows, pw: &Rows, points: &[RunPoint], holdout: Holdout) -> ProtocolRun {
    let exp = crate::fmath::exp;
    let tp_pred = held_out_throughput(tp, holdout);
    let pw_pred = mixed::held_out(&pw.rows, &POWER_FEATURES, holdout);
    let mut run = ProtocolRun::default();
    let by_id: BTreeMap<&str, &RunPoint> = points.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut tp_by_run: BTreeMap<String, f64> = BTreeMap::new();
    for ((row, origin), pred) in tp.rows.iter().zip(&tp.origin).zip(&tp_pred) {
        let Some(pred) = pred else { continue };
        // ln TFLOP/s → samples/s: the ratio is the same, so report TFLOP/s ratios as throughput ratios.
        let (p, m) = (exp(*pred), exp(row.y));
        if let Origin::Profile(id) = origin {
            if let Some(pt) = by_id.get(id.as_str()) {
                let scale = pt.samples_seen / pt.duration_s / f64::from(pt.n_gpus) / m;
                tp_by_run.insert(id.clone(), p * scale);
            }
        }
        // Features 3 and 4 flag fp32 and tf32 (see THROUGHPUT_FEATURES).
        let config = match origin {
            Origin::Bench(_) => format!("{} fp32={} tf32={}", row.groups[0], row.x[3], row.x[4]),
            Origin::Profile(id) => config_of(by_id.get(id.as_str()).copied(), &row.groups[0]),
        };
        run.throughput.push(HeldOut {
            origin: origin.clone(),
            gpu: row.groups[1].clone(),
            workload: row.groups[0].clone(),
            config,
            predicted: p,
            measured: m,
        });
    }
    for ((row, origin), pred) in pw.rows.iter().zip(&pw.origin).zip(&pw_pred) {
        let Some(frac) = pred else { continue };
        let frac = frac.clamp(0.05, 1.0);
        let config = match origin {
            Origin::Profile(id) => config_of(by_id.get(id.as_str()).copied(), &row.groups[0]),
            Origin::Bench(_) => row.groups[0].clone(),
        };
        run.power.push(HeldOut {
            origin: origin.clone(),
            gpu: row.groups[1].clone(),
            workload: row.groups[0].clone(),
            config: config.clone(),
            predicted: frac,
            measured: row.y,
        });
        let Origin::Profile(id) = origin else { continue };
        let Some(pt) = by_id.get(id.as_str()) else { continue };
        let Some(limit) = pt.limit_w() else { continue };
        let n = f64::from(pt.n_gpus);
        let power_w = frac * limit * n;
        run.energy_measured_duration.push(HeldOut {
            origin: origin.clone(),
            gpu: row.groups[1].clone(),
            workload: row.groups[0].clone(),
            config: config.clone(),
            predicted: power_w * pt.duration_s,
            measured: pt.energy_j,
        });
        if let Some(per_gpu) = tp_by_run.get(id) {
            let duration_s = pt.samples_seen / (per_gpu * n);
            run.energy_predicted_duration.push(HeldOut {
                origin: origin.clone(),
                gpu: row.groups[1].clone(),
                workload: row.groups[0].clone(),
                config: config.clone(),
                predicted: power_w * duration_s,
                measured: pt.energy_j,
            });
        }
    }
    run
}

/// A profile run's configuration: workload, batch and power limit ÷ TDP (GPUs are compared like for like).
fn config_of(p: Option<&RunPoint>, workload: &str) -> String {
    match p {
        Some(p) => format!(
            "{workload} b{} pl{:.2}",
            p.x.batch.unwrap_or(0.0),
            p.x.power_limit_w.zip(p.x.tdp_w).map_or(1.0, |(l, t)| l / t)
        ),
        None => workload.to_string(),
    }
}

/// Sorted quantile (linear interpolation).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    super::quantile(sorted, q)
}

/// The 10th and 90th percentiles of ln(predicted ÷ measured) over some held-out rows (`None` under 5 rows).
fn quantiles(rows: &[HeldOut]) -> Option<(f64, f64)> {
    if rows.len() < 5 {
        return None;
    }
    let mut r: Vec<f64> = rows.iter().map(|h| ln(h.predicted / h.measured)).collect();
    r.sort_by(f64::total_cmp);
    Some((quantile(&r, 0.1), quantile(&r, 0.9)))
}

/// The 80 % band of ln(predicted ÷ measured) over some held-out rows.
pub fn band(quantity: BandQuantity, case: Case, rows: &[HeldOut]) -> Option<ResidualBand> {
    let (q10, q90) = quantiles(rows)?;
    let mape = rows.iter().map(|h| (h.predicted / h.measured - 1.0).abs()).sum::<f64>() / rows.len() as f64 * 100.0;
    Some(ResidualBand { quantity, case, n: rows.len(), q10: round6(q10), q90: round6(q90), mape_pct: round6(mape) })
}

/// The group a held-out row belongs to under a protocol.
fn holdout_key(h: &HeldOut, holdout: Holdout) -> String {
    match holdout {
        Holdout::Gpu => h.gpu.clone(),
        Holdout::Workload => h.workload.clone(),
        Holdout::Both | Holdout::Pair => format!("{}\u{1f}{}", h.workload, h.gpu),
    }
}

/// Share of `rows` inside the 80 % band composed ([`compose`]) from the bands of `components`, each
/// computed without the row's own group (`true` flips a component's sign: throughput over-predicted means
/// energy under-predicted). In %.
fn coverage_of(rows: &[HeldOut], components: &[(&[HeldOut], bool)], holdout: Holdout) -> Option<f64> {
    let groups: BTreeSet<String> = rows.iter().map(|h| holdout_key(h, holdout)).collect();
    let (mut inside, mut n) = (0usize, 0usize);
    for g in &groups {
        let mut parts = Vec::new();
        for (component, flip) in components {
            let others: Vec<HeldOut> = component.iter().filter(|h| holdout_key(h, holdout) != *g).cloned().collect();
            let Some((q10, q90)) = quantiles(&others) else { continue };
            parts.push(if *flip { (-q90, -q10) } else { (q10, q90) });
        }
        if parts.len() < components.len() {
            continue;
        }
        let (lo, hi) = compose(&parts);
        for h in rows.iter().filter(|h| holdout_key(h, holdout) == *g) {
            let r = ln(h.predicted / h.measured);
            n += 1;
            if r >= lo && r <= hi {
                inside += 1;
            }
        }
    }
    (n > 0).then(|| inside as f64 / n as f64 * 100.0)
}

/// Share of rows whose measured value lies in the 80 % band computed without their own group (the GPU for
/// `leave-gpu-out`, the workload for `leave-workload-out`, the pair otherwise): honest coverage, in %.
pub fn coverage_pct(rows: &[HeldOut], holdout: Holdout) -> Option<f64> {
    coverage_of(rows, &[(rows, false)], holdout)
}

/// Coverage of the interval the headline shows for an energy estimate with a predicted duration: the
/// power band composed with the throughput band as in [`Backbone::energy_factors`], both computed without
/// the row's own group, checked against the energy rows' residuals. The energy rows are profile runs of
/// workloads the profiles measured, so `throughput` holds the profile rows (see
/// [`Backbone::throughput_band`]). In %.
pub fn composed_coverage(
    energy: &[HeldOut],
    power: &[HeldOut],
    throughput: &[HeldOut],
    holdout: Holdout,
) -> Option<f64> {
    coverage_of(energy, &[(power, false), (throughput, true)], holdout)
}

/// Builds the rows once, runs every protocol ([`PROTOCOLS`]), takes the interval bands from their
/// held-out residuals, and fits the backbone on all rows. Returns the backbone and the protocol runs (for
/// the accuracy report).
pub fn fit_and_evaluate(
    set: &BenchmarkSet,
    points: &[RunPoint],
    catalog: &Catalog,
) -> Option<(Backbone, Vec<(Holdout, ProtocolRun)>)> {
    let batch_default = batch_defaults(set, points, catalog);
    let tp = throughput_rows(set, points, catalog, &batch_default);
    let pw = power_rows(points, catalog, &batch_default);
    let runs: Vec<(Holdout, ProtocolRun)> =
        PROTOCOLS.into_iter().map(|h| (h, run_protocol(&tp, &pw, points, h))).collect();
    let mut bands = Vec::new();
    for (h, run) in &runs {
        let case = case_of(*h);
        bands.extend(band(BandQuantity::Throughput, case, &run.bench_throughput()));
        bands.extend(band(BandQuantity::ThroughputRuns, case, &run.runs_throughput()));
        bands.extend(band(BandQuantity::PowerFraction, case, &run.power));
    }
    let tp_refs: Vec<&MixedRow> = tp.rows.iter().collect();
    let tp_origin: Vec<&Origin> = tp.origin.iter().collect();
    let pw_refs: Vec<&MixedRow> = pw.rows.iter().collect();
    let (throughput, throughput_runs) = fit_throughput(&tp_refs, &tp_origin, Holdout::Gpu)?;
    let backbone = Backbone {
        schema_version: BACKBONE_SCHEMA_VERSION,
        throughput,
        throughput_runs,
        power: mixed::select(&pw_refs, &POWER_FEATURES, Holdout::Gpu)?,
        batch_default: batch_default.map(round6),
        measured: measured(set, catalog),
        scaling: scaling(set),
        bands,
    };
    Some((backbone, runs))
}

/// The protocols every backbone evaluation runs, in report order.
pub const PROTOCOLS: [Holdout; 4] = [Holdout::Pair, Holdout::Gpu, Holdout::Workload, Holdout::Both];
