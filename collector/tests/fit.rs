//! `wattcast fit` and `wattcast eval` are deterministic and the committed outputs are current; the
//! accuracy targets hold on the committed data.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_wattcast")).args(args).current_dir(root()).output().unwrap();
    assert!(out.status.success(), "wattcast {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn committed_models_calibration_and_accuracy_report_equal_a_fresh_fit() {
    let dir = std::env::temp_dir().join(format!("wattcast-fit-{}", std::process::id()));
    let d = dir.to_str().unwrap().to_string();
    let md = dir.join("accuracy.md").to_str().unwrap().to_string();
    run(&["fit", "--out", &d, "--markdown", &md]);
    for name in [
        "models/pre-power.json",
        "models/pre-epoch.json",
        "models/duration.json",
        "models/backbone.json",
        "calibration.json",
    ] {
        let fresh = std::fs::read(dir.join(name)).unwrap();
        let committed = std::fs::read(root().join("data").join(name)).unwrap();
        assert!(fresh == committed, "data/{name} differs from a fresh `wattcast fit`: run it and commit the result");
    }
    let fresh = std::fs::read_to_string(&md).unwrap();
    let committed = std::fs::read_to_string(root().join("docs/accuracy.md")).unwrap();
    assert!(fresh == committed, "docs/accuracy.md differs from `wattcast fit --markdown docs/accuracy.md`");
    std::fs::remove_dir_all(&dir).ok();
}

/// One row of the committed accuracy table.
fn result(cal: &serde_json::Value, method: &str, protocol: &str) -> serde_json::Value {
    cal["accuracy"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["method"] == method && r["protocol"] == protocol)
        .unwrap_or_else(|| panic!("no {method} / {protocol}"))
        .clone()
}

#[test]
fn accuracy_targets_hold_on_the_committed_data() {
    let cal: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("data/calibration.json")).unwrap()).unwrap();
    let f = |r: &serde_json::Value, k: &str| r[k].as_f64().unwrap_or(f64::NAN);
    for m in ["step-power", "step-epoch"] {
        // STEP after 25 % of a run: median ≤ 0.5 %, MAPE ≤ 1 %, on most runs.
        let r = result(&cal, m, "observe-25");
        assert!(f(&r, "median_abs_pct") <= 0.5 && f(&r, "mape_pct") <= 1.0, "{m} observe-25: {r}");
        assert!(r["n_runs"].as_u64().unwrap() >= 250, "{m} observe-25 projects too few runs: {r}");
        // STEP after 10 %: most runs projected (from an early regime), and the interval holds the true energy
        // for at least 3 runs in 4 (an early projection's band taken from the other architectures).
        let r = result(&cal, m, "observe-10");
        assert!(r["n_runs"].as_u64().unwrap() >= 250, "{m} observe-10 projects too few runs: {r}");
        assert!(f(&r, "coverage_80_pct") >= 75.0, "{m} observe-10: {r}");
        // Paper methods beat ML CO2 Impact's RMSE on the same runs at least 5×.
        for p in ["observe-25", "observe-50"] {
            let r = result(&cal, m, p);
            assert!(f(&r, "rmse_kj") * 5.0 <= f(&r, "mlco2_rmse_kj"), "{m} {p}: {r}");
        }
    }
    let r = result(&cal, "pre-power", "kfold");
    assert!(f(&r, "mape_pct") <= 5.0, "pre-power kfold: {r}");
    assert!(f(&r, "rmse_kj") * 5.0 <= f(&r, "mlco2_rmse_kj"), "pre-power kfold: {r}");
    let r = result(&cal, "pre-power", "leave-gpu-out");
    assert!(f(&r, "mape_pct") <= 25.0, "pre-power leave-gpu-out: {r}");
    let r = result(&cal, "pre-epoch", "kfold");
    assert!(f(&r, "rmse_kj") * 5.0 <= f(&r, "mlco2_rmse_kj"), "pre-epoch kfold: {r}");
    // Every paper method under every held-out protocol, with the measured and the predicted duration;
    // PRE-power with the measured duration beats ML CO2 Impact's RMSE under each of them.
    for p in ["leave-pair-out", "leave-gpu-out", "leave-workload-out", "leave-both-out"] {
        for m in ["pre-power", "pre-epoch"] {
            // Measured duration: every run with features; predicted: the runs at the default limit, where
            // the calculator predicts a duration (the headline's rows).
            for (d, n) in [("", 900), ("-predicted-duration", 350)] {
                let r = result(&cal, m, &format!("{p}{d}"));
                assert!(r["n_runs"].as_u64().unwrap() >= n, "{m} {p}{d}: {r}");
            }
        }
        let r = result(&cal, "pre-power", p);
        assert!(f(&r, "rmse_kj") < f(&r, "mlco2_rmse_kj"), "pre-power {p}: {r}");
    }
    // The baseline overestimates, as the paper found (TDP × hours MAPE 60.7 % on its runs).
    let r = result(&cal, "mlco2", "all");
    assert!(f(&r, "bias_pct") > 30.0, "mlco2: {r}");
}

/// Issue 11's targets that hold, as measured (docs/accuracy.md); the ones that do not are in the note and
/// in docs/methods.md, not here.
#[test]
fn held_out_throughput_and_power_targets_hold_on_the_committed_data() {
    let cal: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("data/calibration.json")).unwrap()).unwrap();
    let f = |r: &serde_json::Value, k: &str| r[k].as_f64().unwrap_or(f64::NAN);
    // Throughput with the GPU held out, over ≥ 25 GPUs of the benchmark rows.
    let r = result(&cal, "throughput", "leave-gpu-out");
    assert!(r["n_gpus"].as_u64().unwrap() >= 25, "{r}");
    assert!(f(&r, "mape_pct") <= 15.0, "throughput leave-gpu-out: {r}");
    // Picking a GPU by time: rank correlation and regret.
    assert!(f(&r, "spearman_median") >= 0.9 && f(&r, "top1_regret_median_pct") <= 5.0, "{r}");
    // 80 % intervals cover 70–90 % of held-out rows, in every protocol, for throughput, power and the
    // headline energy with the measured duration; and with the predicted duration for a pair held out.
    for p in ["leave-pair-out", "leave-gpu-out", "leave-workload-out", "leave-both-out"] {
        for m in ["throughput", "power-fraction", "headline"] {
            let r = result(&cal, m, p);
            let c = f(&r, "coverage_80_pct");
            assert!((70.0..=90.0).contains(&c), "{m} {p}: coverage {c}");
        }
    }
    let r = result(&cal, "headline", "leave-pair-out-predicted-duration");
    let c = f(&r, "coverage_80_pct");
    assert!((70.0..=90.0).contains(&c), "headline leave-pair-out-predicted-duration: coverage {c}");
    // Power with a GPU held out (fraction of the limit), and with anything held out within 35 %.
    let r = result(&cal, "power-fraction", "leave-gpu-out");
    assert!(f(&r, "mape_pct") <= 16.0, "power-fraction leave-gpu-out: {r}");
    for p in ["leave-pair-out", "leave-gpu-out", "leave-workload-out", "leave-both-out"] {
        let r = result(&cal, "power-fraction", p);
        assert!(f(&r, "mape_pct") <= 35.0, "power-fraction {p}: {r}");
    }
    // With the measured duration, the headline's energy error is its power error: ≤ 25 % with a GPU held out.
    let r = result(&cal, "headline", "leave-gpu-out");
    assert!(f(&r, "mape_pct") <= 25.0, "headline leave-gpu-out: {r}");
    // With the predicted duration, on workloads other profiles measured (the whole-run stage: input and
    // per-step limits): a pair held out ≤ 26 %, a GPU held out ≤ 30 % (134.6 % before that stage). The pair was
    // 24.3 %, 25.1 % since a language model's step is counted in tokens (the slopes are shared with images).
    let r = result(&cal, "headline", "leave-pair-out-predicted-duration");
    assert!(f(&r, "mape_pct") <= 26.0, "headline leave-pair-out-predicted-duration: {r}");
    let r = result(&cal, "headline", "leave-gpu-out-predicted-duration");
    assert!(f(&r, "mape_pct") <= 30.0, "headline leave-gpu-out-predicted-duration: {r}");
}

/// Every committed run the fits use states what one sample is, and it is its architecture's unit: a run
/// point (throughput, energy per sample) or a power-only run names a catalogue architecture, and the unit
/// it is fitted in is that architecture's.
#[test]
fn every_run_used_in_a_fit_has_its_architecture_unit() {
    use estimator::fit::backbone::{power_run, run_workload};
    use estimator::fit::run_point;
    let catalog = estimator::Catalog::embedded().unwrap();
    let profiles = collector::profiles::load_all(&root().join("data/profiles")).unwrap();
    let (mut points, mut power_only) = (0, 0);
    for p in &profiles {
        if let Some(r) = run_point(p, &catalog) {
            if run_workload(&r).is_none() {
                continue;
            }
            let arch = r.arch_id.as_deref().and_then(|a| catalog.arch(a));
            let arch = arch.unwrap_or_else(|| panic!("{}: fitted without a catalogue architecture", p.id));
            assert_eq!(r.sample_unit, arch.sample_unit, "{}: unit differs from {}'s", p.id, arch.id);
            // PRE may lead only for image models (`PreInputs::within_fit`) because every run it is fitted on
            // is one: a token run here must change that rule.
            assert_eq!(r.sample_unit, estimator::catalog::SampleUnit::Image, "{}: PRE's runs are images", p.id);
            points += 1;
        } else if let Some(r) = power_run(p, &catalog) {
            let arch = catalog.arch(p.meta.arch_id.as_deref().unwrap()).unwrap();
            assert_eq!(r.workload.unit, arch.sample_unit, "{}", p.id);
            power_only += 1;
        }
    }
    // What the fits say they used (docs/methods.md): 965 run points (905 with a known limit and FLOPs)
    // and 328 power-only BERT runs.
    assert!(points >= 900 && power_only >= 300, "{points} run points, {power_only} power-only runs");
}

#[test]
fn the_early_step_band_is_what_the_traces_give() {
    let traced: Vec<estimator::profile::Profile> =
        collector::profiles::load_all(&root().join("data/profiles/seaa2023"))
            .unwrap()
            .into_iter()
            .filter(|p| !p.devices.is_empty())
            .collect();
    use estimator::methods::step::{early_rest_band, Basis, EARLY_REST_BAND, LATEST_REST_BAND};
    for (basis, band, at_least) in [(Basis::Early, EARLY_REST_BAND, 250), (Basis::Latest, LATEST_REST_BAND, 15)] {
        let ratios = estimator::eval::early_rest_ratios(&traced, 0.10, basis);
        assert!(ratios.len() >= at_least, "{} {basis:?} projections at 10 %", ratios.len());
        assert_eq!(early_rest_band(&ratios), Some(band), "the {basis:?} band must be recomputed from the profiles");
    }
}
