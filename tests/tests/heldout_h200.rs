//! Twelve training runs recorded with `wattcast record` on an H200 SXM (`data/power-runs/h200`; the README in
//! `tests/fixtures/h200` says how they were made). Each run's steady epochs (all but the first: model build and
//! cuDNN autotuning) give the measured power, throughput and energy per epoch; the committed headline estimate
//! of the same scenario is compared with them.
//!
//! Held out for time, not for power. Their steady power has been in the power model since 2026-12-06 (the only
//! measured power of a GPU newer than 2020 and of language models beyond BERT); their throughput and energy per
//! sample are in no fit (synthetic data already on the GPU, 40-s runs), so throughput, the duration's interval
//! and the memory fit are still scored on data the models never saw. What the power model did on these runs
//! before it saw them is in docs/accuracy-h200.md (−13 % to +4 % for the six below, −17 % to −20 % for the
//! language models); with the H200 held out, the `leave-gpu-out` protocol scores it in docs/accuracy.md.
//!
//! The thresholds hold the errors measured when these runs were recorded (docs/accuracy-h200.md), with a
//! little room: a change to the models that makes the H200 worse fails here. They are not targets: twelve runs
//! on one GPU, with synthetic data already on the GPU, say little about a user's training loop.

use std::io::Read;
use std::path::{Path, PathBuf};

use estimator::methods::MethodId;
use estimator::profile::Profile;
use estimator::{Calibration, Catalog};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The language-model runs as `python/bench/llm_train.py` described them.
fn llm_runs() -> Vec<LlmRun> {
    #[derive(serde::Deserialize)]
    struct Runs {
        runs: Vec<LlmRun>,
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/h200/llm/runs.json");
    let runs: Runs = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    runs.runs
}

/// The H200 runs that are not language-model runs.
fn fixtures() -> Vec<PathBuf> {
    let llm: Vec<String> = llm_runs().into_iter().map(|r| r.profile).collect();
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("data/power-runs/h200"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".json.gz"))
        .filter(|p| !llm.iter().any(|n| p.file_name().is_some_and(|f| f.to_string_lossy() == n.as_str())))
        .collect();
    out.sort();
    out
}

fn read(path: &Path) -> Profile {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_string(&mut text).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What a run measured over its steady epochs.
struct Measured {
    power_w: f64,
    samples_per_s: f64,
    epoch_j: f64,
}

fn median(v: Vec<f64>) -> f64 {
    estimator::fit::median(v).unwrap()
}

fn steady(p: &Profile) -> Measured {
    let epochs = &p.epochs[1..];
    assert!(epochs.len() >= 4, "{}: {} steady epochs", p.id, epochs.len());
    let seconds: Vec<f64> = epochs.iter().map(|e| (e.end_t_ms - e.start_t_ms) as f64 / 1000.0).collect();
    let joules: Vec<f64> = epochs.iter().map(|e| e.energy_j.unwrap()).collect();
    Measured {
        power_w: p.steady_power_w().unwrap(),
        samples_per_s: p.meta.train_samples.unwrap() as f64 / median(seconds),
        epoch_j: median(joules),
    }
}

fn query(p: &Profile) -> String {
    let m = &p.meta;
    let mut q = format!(
        "arch={}&gpu={}&batch={}&samples={}&epochs={}&precision={}",
        m.arch_id.as_deref().unwrap(),
        m.gpu.catalog_id.as_deref().unwrap(),
        m.batch.unwrap(),
        m.train_samples.unwrap(),
        m.planned_epochs.unwrap(),
        m.precision.as_deref().unwrap(),
    );
    if let Some(s) = m.sequence {
        q.push_str(&format!("&seq={}", s.tokens));
    }
    q
}

/// What the committed headline estimate says of a run's scenario, per epoch and per second.
struct Predicted {
    power_w: f64,
    samples_per_s: f64,
    epoch_j: f64,
    low_j: f64,
    high_j: f64,
    /// The throughput the duration's interval allows (its long end gives the low throughput).
    samples_per_s_range: (f64, f64),
}

impl Predicted {
    /// Whether the duration's interval holds the measured throughput.
    fn time_holds(&self, measured_samples_per_s: f64) -> bool {
        (self.samples_per_s_range.0..=self.samples_per_s_range.1).contains(&measured_samples_per_s)
    }
}

/// The headline for `query` (a scenario of the run `p`), checked to rest on the power these runs measured (the
/// power model knows the GPU). `wattcast fit` reads `data/power-runs` into the power model alone, so their
/// throughput stays unseen.
fn headline(catalog: &Catalog, cal: &Calibration, p: &Profile, query: &str) -> (Predicted, estimator::Report) {
    let (_, report) = estimator::estimate(catalog, cal, query);
    assert!(report.errors.is_empty(), "{}: {:?}", p.id, report.errors);
    let row = report.rows.iter().find(|r| r.method == MethodId::Headline).unwrap();
    assert!(!row.warnings.iter().any(|w| w.contains("no measured power")), "{}: {:?}", p.id, row.warnings);
    let (kwh, s) = (row.energy_kwh.unwrap(), row.duration_h.unwrap() * 3600.0);
    let epochs = f64::from(p.meta.planned_epochs.unwrap());
    let samples = p.meta.train_samples.unwrap() as f64 * epochs;
    let predicted = Predicted {
        power_w: kwh * 3.6e6 / s,
        samples_per_s: samples / s,
        epoch_j: kwh * 3.6e6 / epochs,
        low_j: row.low_kwh.unwrap() * 3.6e6 / epochs,
        high_j: row.high_kwh.unwrap() * 3.6e6 / epochs,
        samples_per_s_range: (
            samples / (row.duration_high_h.unwrap() * 3600.0),
            samples / (row.duration_low_h.unwrap() * 3600.0),
        ),
    };
    (predicted, report)
}

#[test]
fn the_headline_on_h200_runs_whose_time_it_never_saw() {
    let (catalog, cal) = (Catalog::embedded().unwrap(), Calibration::embedded().unwrap());
    let mut power_err = Vec::new();
    let mut throughput_ratio = Vec::new();
    let (mut covered, mut time_covered) = (0, 0);
    let runs = fixtures();
    assert_eq!(runs.len(), 6);
    println!(
        "| run | measured W | predicted W | measured samples/s | predicted | J/epoch measured | predicted (interval) |"
    );
    for path in &runs {
        let p = read(path);
        assert_eq!(p.meta.gpu.catalog_id.as_deref(), Some("nvidia-h200-sxm"), "{}", p.id);
        let got = steady(&p);
        let (predicted, _) = headline(&catalog, &cal, &p, &query(&p));
        time_covered += usize::from(predicted.time_holds(got.samples_per_s));
        let Predicted { power_w, samples_per_s, epoch_j, low_j, high_j, .. } = predicted;
        covered += usize::from((low_j..=high_j).contains(&got.epoch_j));
        println!(
            "| {} | {:.0} | {:.0} ({:+.0} %) | {:.0} | {:.0} (× {:.2}) | {:.0} | {:.0} ({:.0}–{:.0}) |",
            p.id,
            got.power_w,
            power_w,
            (power_w / got.power_w - 1.0) * 100.0,
            got.samples_per_s,
            samples_per_s,
            samples_per_s / got.samples_per_s,
            got.epoch_j,
            epoch_j,
            low_j,
            high_j
        );
        power_err.push((power_w / got.power_w - 1.0).abs());
        throughput_ratio.push(samples_per_s / got.samples_per_s);
    }
    println!("headline interval covers {covered} of {} runs' energy per epoch", runs.len());
    println!("duration interval covers {time_covered} of {} runs' throughput", runs.len());
    // 4 of 6 when the duration got its interval: the two ResNet-50 runs, 51 % (bf16) and 40 % (TF32) faster than
    // the Lambda benchmark the estimate rests on, fall outside it. 3 of 6 since a step is counted in tokens
    // (2026-12-04, a change made for language models, not fitted to these runs): GPT-2 fell out as well.
    assert!(time_covered >= 3, "the duration interval holds {time_covered} of 6");
    // 3 of 6 when recorded; 4 once a measured benchmark's interval took in how far benchmark versions differ; 3
    // since these runs' power joined the fit (2026-12-06): it lifted the H200's power for every workload, and
    // ResNet-50 bf16 (51 % faster than its benchmark) left the interval again.
    assert!(covered >= 3, "the interval holds {covered} of 6");
    // Power carried over from other GPUs by specs: within 13 % on each run when recorded, 8 % since; fitted on
    // them (with the language-model runs, which sit at 98–99 % of the limit): +3 % to +13 %.
    assert!(power_err.iter().all(|e| *e <= 0.15), "power errors {power_err:?}");
    // Throughput: median error 28 % when recorded, 22 % since a step is counted in tokens; GPT-2 2.27× too fast
    // (training-code efficiency the model cannot see: 13 % of peak with Hugging Face's defaults), 3.22× since:
    // 16 sequences of 1,024 tokens are a typical step, where 16 sequences had read as a small one.
    let median_err = median(throughput_ratio.iter().map(|r| (r - 1.0).abs()).collect());
    assert!(median_err <= 0.3, "median throughput error {median_err}");
    assert!(throughput_ratio.iter().all(|r| (0.4..=3.5).contains(r)), "throughput ratios {throughput_ratio:?}");
}

/// One language-model run as `python/bench/llm_train.py` described it (`tests/fixtures/h200/llm/runs.json`; the
/// profiles are in `data/power-runs/h200`).
#[derive(serde::Deserialize)]
struct LlmRun {
    profile: String,
    efficiency: String,
    checkpointing: bool,
    max_allocated_gb: f64,
}

/// Six language-model runs on the same H200 (Llama shapes of 1B, 3B and 8B; pre-training, LoRA, activation
/// checkpointing, a compiled run scored as `efficiency=tuned`): the headline's power, throughput and energy per
/// epoch, and the memory fit, against what they measured.
#[test]
fn language_models_on_h200_runs_whose_time_they_never_saw() {
    let (catalog, cal) = (Catalog::embedded().unwrap(), Calibration::embedded().unwrap());
    let dir = root().join("data/power-runs/h200");
    let runs = llm_runs();
    assert_eq!(runs.len(), 6);
    let (mut energy_err, mut power_err, mut ratios, mut covered) = (Vec::new(), Vec::new(), Vec::new(), 0);
    let mut time_covered = 0;
    println!("| run | measured W | predicted W | measured tokens/s | predicted | J/epoch measured | predicted (interval) | memory GB measured | predicted |");
    for run in &runs {
        let p = read(&dir.join(&run.profile));
        let got = steady(&p);
        // The mode and rank as the profile recorded them.
        let mode = p.meta.mode.as_deref().unwrap();
        let mut q = format!("{}&mode={mode}&efficiency={}&scope=gpu", query(&p), run.efficiency);
        if let Some(r) = p.meta.lora_rank {
            q.push_str(&format!("&lora_rank={r}"));
        }
        let (predicted, report) = headline(&catalog, &cal, &p, &q);
        time_covered += usize::from(predicted.time_holds(got.samples_per_s));
        let Predicted { power_w, samples_per_s: tokens_per_s, epoch_j, low_j, high_j, .. } = predicted;
        covered += usize::from((low_j..=high_j).contains(&got.epoch_j));
        let need_gb = report.plans[0].memory.as_ref().unwrap().need.total_gb();
        println!(
            "| {} | {:.0} | {:.0} ({:+.0} %) | {:.0} | {:.0} (× {:.2}) | {:.0} | {:.0} ({:+.0} %; {:.0}–{:.0}) | {:.1}{} | {:.1} |",
            p.id,
            got.power_w,
            power_w,
            (power_w / got.power_w - 1.0) * 100.0,
            got.samples_per_s,
            tokens_per_s,
            tokens_per_s / got.samples_per_s,
            got.epoch_j,
            epoch_j,
            (epoch_j / got.epoch_j - 1.0) * 100.0,
            low_j,
            high_j,
            run.max_allocated_gb,
            if run.checkpointing { " (checkpointing)" } else { "" },
            need_gb
        );
        energy_err.push(epoch_j / got.epoch_j - 1.0);
        power_err.push(power_w / got.power_w - 1.0);
        ratios.push(tokens_per_s / got.samples_per_s);
        // The memory fit assumes activation checkpointing: with it, the need is the measured peak; without it
        // (PyTorch's default) the measured peak is larger, never smaller.
        let m = run.max_allocated_gb / need_gb;
        if run.checkpointing {
            assert!((0.9..=1.1).contains(&m), "{}: measured {} GB, need {need_gb} GB", p.id, run.max_allocated_gb);
        } else {
            assert!((1.2..=2.5).contains(&m), "{}: measured {} GB, need {need_gb} GB", p.id, run.max_allocated_gb);
        }
    }
    println!("headline interval covers {covered} of {} runs' energy per epoch", runs.len());
    println!("duration interval covers {time_covered} of {} runs' throughput", runs.len());
    // 6 of 6 when the duration got its interval (no language-model benchmark: the widest throughput band).
    assert!(time_covered >= 5, "the duration interval holds {time_covered} of 6");
    let abs = |v: &[f64]| median(v.iter().map(|e| e.abs()).collect());
    println!(
        "median absolute error: energy {:.3}, power {:.3}; throughput ratios {ratios:?}",
        abs(&energy_err),
        abs(&power_err)
    );
    // As recorded: the interval held all six; energy per epoch within −13 % to +42 % (median 9.6 %), because two
    // errors cancelled: power 28–31 % low (every run sat at the 700 W limit; the model carried 68–70 % over from
    // other GPUs, reading 8 sequences of 2,048 tokens as a small step) and throughput 1.2–2.0 × too slow.
    // Since a step is counted in tokens (2026-12-04, chosen on the held-out benchmark and profile rows and the
    // published runs, not on these): power 17–20 % low, throughput × 0.59 to × 1.36 (the compiled run, scored as
    // `tuned`, is the fast one; median error 18 %, was 30 %), energy −39 % to +36 % (median 19 %): the errors
    // cancel less, and both are smaller.
    // Since these runs' power joined the fit (2026-12-06): power −5 % to −10 %; energy −31 % to +53 % (median
    // 14 %), what is left being the throughput, which no fit has seen (the 8B LoRA at × 0.59 is the +53 %).
    assert!(covered >= 5, "the interval holds {covered} of 6");
    assert!(abs(&energy_err) <= 0.25 && energy_err.iter().all(|e| e.abs() <= 0.6), "energy errors {energy_err:?}");
    assert!(power_err.iter().all(|e| (-0.12..=0.05).contains(e)), "power errors {power_err:?}");
    let median_ratio_err = median(ratios.iter().map(|r| (r - 1.0).abs()).collect());
    assert!(median_ratio_err <= 0.2, "median throughput error {median_ratio_err}");
    assert!(ratios.iter().all(|r| (0.5..=1.5).contains(r)), "throughput ratios {ratios:?}");
}

/// The live projection on a 362-s H200 run (`tests/fixtures/h200/live`, recorded by `python/bench/live_check.py`
/// through `wattcast.Monitor`): after every epoch, STEP projects the total from the samples so far and the
/// forecast end, as the recorder does. Flat power, so from the first tenth on the projection is within 0.2 % and
/// its interval holds the total; the first epoch's warm-up must not stretch the forecast (it did by 4 %).
#[test]
fn the_live_projection_on_an_h200_run_from_its_first_tenth() {
    use estimator::methods::step::{forecast_end_ms, step_power, StableConfig};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/h200/live");
    let p = read(&dir.join("llama-3.2-1b-pretrain-b8-50-epochs.json.gz"));
    let (t, w) = p.total_power().unwrap();
    // The integrated trace, as `observe-10` scores it (the energy counter's total is 0.1 % above it).
    let (truth, planned) = (estimator::profile::trapezoid_j(&t, &w), p.meta.planned_epochs.unwrap());
    let ends: Vec<u64> = p.epochs.iter().map(|e| e.end_t_ms).collect();
    let end = *t.last().unwrap();
    let mut first = None;
    for k in 1..ends.len() {
        let now = ends[k - 1];
        let n = t.partition_point(|x| *x <= now);
        let total = forecast_end_ms(t[0], &ends[..k], planned).unwrap();
        let Some(proj) = step_power(StableConfig::default(), &t[..n], &w[..n], total) else { continue };
        let (observed, err) = (now as f64 / end as f64, proj.energy_j / truth - 1.0);
        first.get_or_insert(observed);
        if observed >= 0.1 {
            assert!(err.abs() <= 0.002, "after {k} epochs ({observed:.2}): {err:+.4}");
        }
        assert!(proj.low_j <= truth && truth <= proj.high_j, "after {k} epochs: {proj:?}, total {truth}");
    }
    // The first projection came after 4 of 50 epochs (8 % of the run).
    assert!(first.is_some_and(|f| f <= 0.1), "first projection at {first:?}");
}
