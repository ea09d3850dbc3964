//! Fitting the whole-run stage of the throughput model ([`RunsStage`]) on the calibration profiles'
//! residuals from the benchmark model: one overhead, a ceiling per workload and shrunk GPU effects, by
//! coordinate descent on squared error in ln TFLOP/s (each coordinate a one-dimensional search over a
//! fixed bracket, so the fit is deterministic and needs no derivative). The GPU penalty is chosen by
//! grouped cross-validation inside the rows given ([`select`]), like every other hyperparameter.

use super::mixed::{self, Holdout};
use crate::backbone::{softmin, Ceiling, RunsStage};

/// One profile run as the stage sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// The benchmark model's ln TFLOP/s per GPU for this run.
    pub ln_bench: f64,
    /// ln(samples per GPU per step ÷ the unit's typical step).
    pub ln_step_ratio: f64,
    /// Measured ln TFLOP/s per GPU.
    pub y: f64,
    /// Workload key.
    pub workload: String,
    /// GPU id.
    pub gpu: String,
}

/// Candidates for the GPU penalty (in units of squared ln error, like a row's loss).
pub const LAMBDA_GPU: [f64; 3] = [0.3, 3.0, 30.0];

/// Rounds of coordinate descent.
const ROUNDS: usize = 12;

/// Steps of the scan over a parameter's bracket in [`argmin`].
const SCAN: usize = 24;

/// The value in `[lo, hi]` that minimises `f`: a scan of `scan` steps, then golden-section search in the
/// step either side of the best.
fn argmin(lo: f64, hi: f64, scan: usize, f: impl Fn(f64) -> f64) -> f64 {
    let step = (hi - lo) / scan as f64;
    let best = (0..=scan).map(|i| lo + step * i as f64).map(|x| (f(x), x)).min_by(|a, b| a.0.total_cmp(&b.0));
    let centre = best.map_or(lo, |(_, x)| x);
    let (mut a, mut b) = ((centre - step).max(lo), (centre + step).min(hi));
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..24 {
        if fc < fd {
            (b, d, fd) = (d, c, fc);
            c = b - g * (b - a);
            fc = f(c);
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    (a + b) / 2.0
}

/// Fits the stage with a fixed GPU penalty. `None` without rows.
pub fn fit_runs(rows: &[&RunRow], lambda_gpu: f64) -> Option<RunsStage> {
    if rows.is_empty() {
        return None;
    }
    let index = |f: &dyn Fn(&RunRow) -> &str| {
        let mut ids: Vec<&str> = rows.iter().map(|r| f(r)).collect();
        crate::order::sort(&mut ids);
        ids.dedup();
        let of: Vec<usize> = rows.iter().map(|r| ids.binary_search(&f(r)).unwrap_or(0)).collect();
        let mut members = vec![Vec::new(); ids.len()];
        for (i, k) in of.iter().enumerate() {
            members[*k].push(i);
        }
        (ids, of, members)
    };
    let (workloads, w_of, w_rows) = index(&|r: &RunRow| r.workload.as_str());
    let (gpus, g_of, g_rows) = index(&|r: &RunRow| r.gpu.as_str());
    let b: Vec<f64> = rows.iter().map(|r| r.ln_bench).collect();
    let y: Vec<f64> = rows.iter().map(|r| r.y).collect();
    let step_ratio: Vec<f64> = rows.iter().map(|r| r.ln_step_ratio).collect();
    let b_hi = step_ratio.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (y_lo, y_hi) = y.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, c), v| (a.min(*v), c.max(*v)));
    let mut overhead = super::quantile(&sorted(rows.iter().map(|r| r.y - r.ln_bench).collect()), 0.5);
    let mut gpu = vec![0.0; gpus.len()];
    // No ceiling to start with: far above every measured rate.
    let top = y_hi + 8.0;
    let mut input = vec![top; workloads.len()];
    let mut step = vec![top; workloads.len()];
    let err = |i: usize, o: f64, v: f64, (c, s): (f64, f64)| {
        let e = y[i] - softmin(&[b[i] + o + v, c, s + step_ratio[i]]);
        e * e
    };
    // Coordinate descent: every round scans each parameter's whole bracket ([`argmin`]) with the others fixed.
    for _ in 0..ROUNDS {
        for (k, members) in w_rows.iter().enumerate() {
            let (lo, hi, n) = (y_lo - 2.0, top, SCAN);
            input[k] =
                argmin(lo, hi, n, |c| members.iter().map(|&i| err(i, overhead, gpu[g_of[i]], (c, step[k]))).sum());
            let (lo, hi, n) = (y_lo - 2.0 - b_hi, top, SCAN);
            step[k] =
                argmin(lo, hi, n, |s| members.iter().map(|&i| err(i, overhead, gpu[g_of[i]], (input[k], s))).sum());
        }
        let limits = |i: usize| (input[w_of[i]], step[w_of[i]]);
        let (lo, hi, n) = (-8.0, 4.0, SCAN);
        overhead = argmin(lo, hi, n, |o| (0..rows.len()).map(|i| err(i, o, gpu[g_of[i]], limits(i))).sum());
        for (k, members) in g_rows.iter().enumerate() {
            let (lo, hi, n) = (-4.0, 4.0, SCAN);
            gpu[k] = argmin(lo, hi, n, |v| {
                members.iter().map(|&i| err(i, overhead, v, limits(i))).sum::<f64>() + lambda_gpu * v * v
            });
        }
    }
    let r6 = |x: f64| (x * 1e6).round() / 1e6;
    Some(RunsStage {
        ln_overhead: r6(overhead),
        gpu_effects: gpus.iter().zip(&gpu).map(|(g, v)| (g.to_string(), r6(*v))).collect(),
        ceilings: workloads
            .iter()
            .enumerate()
            .map(|(k, w)| Ceiling { workload: w.to_string(), ln_input: r6(input[k]), ln_step: r6(step[k]) })
            .collect(),
        lambda_gpu,
        n_rows: rows.len(),
    })
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    crate::order::sort_by(&mut v, f64::total_cmp);
    v
}

fn ids(r: &RunRow) -> [&str; 2] {
    [&r.workload, &r.gpu]
}

/// Chooses the GPU penalty by grouped cross-validation ([`mixed::select_by_cv`]: groups by `holdout`;
/// mean absolute error of the predictions the calculator would make: the stage only for workloads it was
/// fitted on), then fits on all `rows`.
pub fn select(rows: &[&RunRow], holdout: Holdout) -> Option<RunsStage> {
    let chosen = mixed::select_by_cv(rows, holdout, ids, LAMBDA_GPU, |train, test, lambda| {
        let m = fit_runs(train, lambda)?;
        let predict = |t: &RunRow| {
            if m.knows_workload(&t.workload) {
                m.predict(t.ln_bench, t.ln_step_ratio, &t.workload, &t.gpu)
            } else {
                t.ln_bench
            }
        };
        Some(test.iter().map(|t| (predict(t) - t.y).abs()).collect())
    });
    fit_runs(rows, chosen.unwrap_or(LAMBDA_GPU[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(bench: f64, y: f64, w: &str, g: &str) -> RunRow {
        RunRow { ln_bench: bench, ln_step_ratio: 5.0, y, workload: w.into(), gpu: g.into() }
    }

    #[test]
    fn recovers_an_overhead_and_a_ceiling() {
        // Workload "big" runs at the benchmark rate × e^−0.5 on every GPU; "small" is held at ln 1.0 on
        // the fast GPUs whatever they could compute.
        let mut rows = Vec::new();
        for (g, b) in [("slow", -1.0), ("mid", 0.5), ("fast", 2.0), ("faster", 3.0)] {
            rows.push(row(b, b - 0.5, "big", g));
            rows.push(row(b, softmin(&[b - 0.5, 1.0]), "small", g));
        }
        let refs: Vec<&RunRow> = rows.iter().collect();
        let m = fit_runs(&refs, 30.0).unwrap();
        assert!((m.ln_overhead + 0.5).abs() < 0.02, "{m:?}");
        for r in &rows {
            assert!((m.predict(r.ln_bench, r.ln_step_ratio, &r.workload, &r.gpu) - r.y).abs() < 0.03, "{r:?} {m:?}");
        }
        // A faster GPU never measured: "big" follows the benchmark model, "small" stays at its ceiling.
        assert!((m.predict(6.0, 5.0, "big", "new") - 5.5).abs() < 0.05);
        assert!((m.predict(6.0, 5.0, "small", "new") - 1.0).abs() < 0.05);
        // A workload it has not seen gets no ceiling.
        assert!(!m.knows_workload("other") && (m.predict(6.0, 5.0, "other", "new") - 5.5).abs() < 0.05);
    }

    #[test]
    fn fits_are_deterministic_and_need_rows() {
        let rows = [row(0.0, -0.2, "w", "g"), row(1.0, 0.7, "w", "h"), row(2.0, 1.1, "v", "g")];
        let refs: Vec<&RunRow> = rows.iter().collect();
        assert_eq!(select(&refs, Holdout::Gpu), select(&refs, Holdout::Gpu));
        assert_eq!(fit_runs(&[], 1.0), None);
    }
}
