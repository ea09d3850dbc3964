//! The four methods of arXiv 2307.05520 as the calculator uses them, before a run.
//!
//! - `pre-power`: the fitted model's mean power (÷ power limit) × the TDP × n_gpus × duration (given, or
//!   from the duration model).
//! - `pre-epoch`: the fitted model's energy per training sample × samples × epochs.
//! - `step-power` / `step-epoch`: the calibration profiles measured with this architecture on this GPU:
//!   their stable-regime power × the duration at their throughput (power), or their stable energy per
//!   sample × samples × epochs (epoch). Without a matching profile they say so and give the
//!   `wattcast record` command that would supply one.

use super::workload::Workload;
use super::RawEstimate;
use crate::backbone::{Case, Throughput, WorkloadInput};
use crate::calibration::Calibration;
use crate::calibration::{Evaluated, Protocol, Split};
use crate::catalog::{Catalog, Gpu};
use crate::fit::mixed::Holdout;
use crate::fit::{FeatureInput, FittedModel};
use crate::methods::MethodId;
use crate::scenario::{ArchChoice, Mode, Scenario};

/// The model inputs of a scenario on one GPU.
pub fn features(scenario: &Scenario, work: &Workload, gpu: &Gpu, catalog: &Catalog) -> FeatureInput {
    let (params_m, default_px) = match &scenario.arch {
        ArchChoice::Catalog { id } => catalog.arch(id).map_or((None, None), |a| (a.params_m, a.input_px)),
        ArchChoice::Custom { params_m, .. } => (*params_m, None),
    };
    FeatureInput {
        gflops: work.forward_gflops,
        params_m,
        batch: scenario.batch.map(f64::from),
        input_px: scenario.input_px.or(default_px).map(f64::from),
        train_samples: Some(scenario.samples as f64),
        ..FeatureInput::default()
    }
    .with_gpu(gpu, scenario.precision, None)
}

fn evidence(model: &FittedModel, gpu: &Gpu) -> (String, bool) {
    let d = &model.diagnostics;
    let on_gpu = d.runs_per_gpu.iter().find(|(g, _)| *g == gpu.id).map_or(0, |(_, n)| *n);
    (format!("fitted on {} measured runs, {} on this GPU", d.n_runs, on_gpu), on_gpu > 0)
}

/// The protocol whose held-out residuals stand for a PRE estimate: that of its case (GPU and workload each
/// measured or not) where the time × power model knows the case, else the pair held out on a GPU with
/// measured runs and the GPU held out otherwise; with the predicted duration when the estimate predicts one.
fn held_out_protocol(case: Option<Case>, gpu_seen: bool, predicted_duration: bool) -> Protocol {
    let h = case.map_or(if gpu_seen { Holdout::Pair } else { Holdout::Gpu }, Case::holdout);
    Protocol { split: Split::Holdout(h), predicted_duration }
}

/// The 80 % interval factors of a PRE estimate from its protocol's held-out residuals, with the sentence
/// that quotes that protocol's error; the cross-validated ones (which leak near-identical runs) only where
/// the calibration has no held-out row.
fn held_out_interval(cal: &Calibration, model: &FittedModel, method: MethodId, p: Protocol) -> ((f64, f64), String) {
    let row = cal.summary.accuracy_of(Evaluated::Method(method), p);
    let factors = row.and_then(|r| r.interval_factors()).unwrap_or_else(|| model.interval_factors());
    let what = match p.split {
        Split::Holdout(Holdout::Gpu) => "on a GPU left out of the fit",
        Split::Holdout(Holdout::Workload) => "on a workload left out of the fit",
        Split::Holdout(Holdout::Both) => "with this architecture and this GPU both left out of the fit",
        _ => "with this architecture on this GPU left out of the fit",
    };
    let how = if p.predicted_duration { ", duration predicted" } else { "" };
    let sentence = row.and_then(|r| r.mape_pct).map_or(String::new(), |m| {
        format!(
            "held-out error {what}{how}: MAPE {m:.0} % ({} runs); the interval is its 10th–90th percentile",
            row.map_or(0, |r| r.n_runs)
        )
    });
    (factors, sentence)
}

/// Warnings about inputs the models have not seen: unknown values and values far outside the data.
fn coverage_warnings(model: &FittedModel, x: &FeatureInput, gpu_seen: bool) -> Vec<String> {
    let mut w = Vec::new();
    if !gpu_seen {
        w.push("no measured run on this GPU: the model extrapolates from other GPUs".to_string());
    }
    let (unknown, far) = unknown_and_far(model, x);
    if !unknown.is_empty() {
        w.push(format!("unknown inputs taken as typical of the calibration data: {}", unknown.join(", ")));
    }
    if !far.is_empty() {
        w.push(format!("outside the range of the calibration data: {}", far.join(", ")));
    }
    w
}

/// The model's features a scenario leaves unknown, and those more than 3 standard deviations from the
/// runs the model was fitted on.
fn unknown_and_far(model: &FittedModel, x: &FeatureInput) -> (Vec<String>, Vec<String>) {
    let v = x.vector();
    let (mut unknown, mut far) = (Vec::new(), Vec::new());
    for (i, name) in model.features.iter().enumerate() {
        let label = name.trim_start_matches("ln_").to_string();
        match v.get(i).copied().flatten() {
            None => unknown.push(label),
            Some(x) if ((x - model.mean[i]) / model.scale[i]).abs() > 3.0 => far.push(label),
            Some(_) => {}
        }
    }
    (unknown, far)
}

/// The duration the PRE methods use, with the warnings that go with it.
#[derive(Debug, Clone, PartialEq)]
struct PreDuration {
    hours: f64,
    estimated: bool,
    /// Factors for the duration's interval (1, 1 when given by the user).
    factors: (f64, f64),
    warnings: Vec<String>,
}

impl PreDuration {
    /// The duration's 80 % interval, hours (`None` when it has no width: given by the user).
    fn range(&self) -> Option<(f64, f64)> {
        let (lo, hi) = self.factors;
        (hi > lo).then_some((self.hours * lo, self.hours * hi))
    }
}

/// What both PRE methods of one GPU share, computed once: the model inputs and the duration (the user's, or
/// the duration model's per-GPU throughput × n_gpus).
#[derive(Debug, Clone, PartialEq)]
pub struct PreInputs {
    x: FeatureInput,
    /// The workload as the time × power backbone sees it.
    w: Option<WorkloadInput>,
    /// The backbone's duration (hours) and throughput on this GPU, computed once for the PRE methods and
    /// the headline.
    backbone: Option<(f64, Throughput)>,
    /// The kernel row the three models share, when they do (one set of exponentials instead of three).
    row: Option<Vec<f64>>,
    duration: PreDuration,
    /// The scenario's case as the time × power model sees it (GPU and workload measured or not).
    case: Option<Case>,
}

impl PreInputs {
    /// The inputs of a scenario on one GPU.
    pub fn new(
        scenario: &Scenario,
        work: &Workload,
        w: Option<&WorkloadInput>,
        gpu: &Gpu,
        catalog: &Catalog,
        cal: &Calibration,
    ) -> PreInputs {
        let x = features(scenario, work, gpu, catalog);
        let row = if cal.shares_kernel() { cal.power.kernel_row(&x) } else { None };
        let backbone = cal
            .backbone
            .as_ref()
            .zip(w)
            .and_then(|(bb, w)| super::headline::duration(bb, scenario, gpu, w, work, &catalog.gpus.gpus));
        let from_backbone = cal.backbone.as_ref().zip(backbone.as_ref()).map(|(bb, (h, thr))| {
            let how = match &thr.measured_source {
                Some(s) => format!("measured benchmark {s}"),
                None => "throughput predicted from the GPU's specs".into(),
            };
            PreDuration {
                hours: *h,
                estimated: true,
                factors: super::headline::duration_factors(bb, thr),
                warnings: vec![format!("duration from the time × power model ({how}; give \"hours\" to override)")],
            }
        });
        let duration = match (scenario.hours, from_backbone) {
            (Some(h), _) => PreDuration { hours: h, estimated: false, factors: (1.0, 1.0), warnings: Vec::new() },
            (None, Some(d)) => d,
            (None, None) => {
                let per_gpu = crate::fmath::exp(predict(&cal.duration, &x, row.as_deref()));
                let total = scenario.samples as f64 * f64::from(scenario.epochs);
                let mut warnings = vec![
                    "duration from the duration model (throughput fitted on measured runs; give \"hours\" to override)"
                        .to_string(),
                ];
                if scenario.n_gpus > 1 {
                    warnings.push("assumes throughput scales linearly with the number of GPUs".into());
                }
                // Slower than predicted = longer: the duration interval is the inverse of the throughput's.
                let (lo, hi) = cal.duration.interval_factors();
                PreDuration {
                    hours: total / (per_gpu * f64::from(scenario.n_gpus)) / 3600.0,
                    estimated: true,
                    factors: (1.0 / hi, 1.0 / lo),
                    warnings,
                }
            }
        };
        let case = cal.backbone.as_ref().zip(w).map(|(bb, w)| bb.power_case(&gpu.id, &w.key));
        PreInputs { x, w: w.cloned(), backbone, row, duration, case }
    }

    /// The scenario's case as the time × power model sees it (`None` without the model or the workload).
    pub fn case(&self) -> Option<Case> {
        self.case
    }

    /// Whether PRE was fitted, and so scored, on runs like this scenario: an image model (every run PRE is
    /// fitted on is one; a test holds that) whose every known input (GPU specs, FLOPs, dataset size, ...)
    /// lies within the span of those runs ([`FittedModel::spans`]). Outside it, its kernel falls back towards
    /// the mean and no held-out row measures how far off it is.
    pub fn within_fit(&self, cal: &Calibration) -> bool {
        self.w.as_ref().is_some_and(|w| w.unit == crate::catalog::SampleUnit::Image)
            && [&cal.power, &cal.energy].iter().all(|m| m.spans(&self.x))
    }

    /// The duration's 80 % interval, hours (`None` for a duration the user gave or a stated utilisation).
    pub fn duration_range(&self) -> Option<(f64, f64)> {
        self.duration.range()
    }

    /// The backbone's duration (hours) and throughput on this GPU, when it could estimate them.
    pub fn backbone_duration(&self) -> Option<&(f64, Throughput)> {
        self.backbone.as_ref()
    }

    /// The workload as the backbone sees it (`None` without forward FLOPs).
    pub fn workload(&self) -> Option<&WorkloadInput> {
        self.w.as_ref()
    }

    /// One model's prediction for these inputs (from the shared kernel row when there is one).
    fn predict(&self, m: &FittedModel) -> f64 {
        predict(m, &self.x, self.row.as_deref())
    }
}

fn predict(m: &FittedModel, x: &FeatureInput, row: Option<&[f64]>) -> f64 {
    row.map_or_else(|| m.predict(x), |r| m.predict_row(r))
}

/// The power fractions `pre-power` keeps: its regression's output clamped to 5 %–120 % of TDP (the
/// calculator warns when it clamps; the evaluation scores the clamped value, as the calculator shows it).
pub fn clamp_fraction(fraction: f64) -> f64 {
    fraction.clamp(0.05, 1.2)
}

/// `pre-power`.
pub fn pre_power(pre: &PreInputs, scenario: &Scenario, gpu: &Gpu, cal: &Calibration) -> (RawEstimate, Option<String>) {
    let (ev, seen) = evidence(&cal.power, gpu);
    let mut warnings = coverage_warnings(&cal.power, &pre.x, seen);
    let Some(tdp) = gpu.tdp_w else {
        warnings.push(format!("no TDP is known for {}", gpu.name));
        return (RawEstimate { warnings, ..RawEstimate::default() }, Some(ev));
    };
    let fraction = pre.predict(&cal.power);
    let clamped = clamp_fraction(fraction);
    if (clamped - fraction).abs() > 1e-12 {
        warnings.push(format!(
            "predicted power {:.0} % of TDP was clamped to {:.0} %",
            fraction * 100.0,
            clamped * 100.0
        ));
    }
    let power_w = clamped * tdp * f64::from(scenario.n_gpus);
    let d = &pre.duration;
    warnings.extend(d.warnings.iter().cloned());
    // The held-out residuals with the predicted duration already hold the duration's error.
    let protocol = held_out_protocol(pre.case, seen, d.estimated);
    let ((lo, hi), sentence) = held_out_interval(cal, &cal.power, MethodId::PrePower, protocol);
    if !sentence.is_empty() {
        warnings.push(sentence);
    }
    let e = power_w * d.hours / 1000.0;
    (
        RawEstimate {
            energy_kwh: Some(e),
            low_kwh: Some(e * lo.min(1.0)),
            high_kwh: Some(e * hi.max(1.0)),
            duration_h: Some(d.hours),
            duration_estimated: d.estimated,
            duration_range_h: pre.duration_range(),
            warnings,
        },
        Some(ev),
    )
}

/// `pre-epoch` (energy per training sample).
pub fn pre_epoch(pre: &PreInputs, scenario: &Scenario, gpu: &Gpu, cal: &Calibration) -> (RawEstimate, Option<String>) {
    let (ev, seen) = evidence(&cal.energy, gpu);
    if pre.w.as_ref().is_some_and(|w| w.unit == crate::catalog::SampleUnit::Token) {
        // Joules per image times tokens is no estimate: on GPT-2 and BERT runs recorded on an H200 it was
        // 50× and 92× the measured energy (docs/accuracy-h200.md).
        let why = "PRE energy predicts joules per image and was fitted on image models only: no estimate for a model \
                   counted in tokens";
        return (RawEstimate { warnings: vec![why.into()], ..RawEstimate::default() }, Some(ev));
    }
    let mut warnings = coverage_warnings(&cal.energy, &pre.x, seen);
    let per_sample_j = crate::fmath::exp(pre.predict(&cal.energy));
    let e = per_sample_j * scenario.samples as f64 * f64::from(scenario.epochs) / 3.6e6;
    if scenario.n_gpus > 1 {
        warnings.push("energy per sample measured on single-GPU runs; multi-GPU communication is not included".into());
    }
    let d = &pre.duration;
    warnings.extend(d.warnings.iter().cloned());
    let ((lo, hi), sentence) =
        held_out_interval(cal, &cal.energy, MethodId::PreEpoch, held_out_protocol(pre.case, seen, false));
    if !sentence.is_empty() {
        warnings.push(sentence);
    }
    (
        RawEstimate {
            energy_kwh: Some(e),
            low_kwh: Some(e * lo.min(1.0)),
            high_kwh: Some(e * hi.max(1.0)),
            duration_h: Some(d.hours),
            duration_estimated: d.estimated,
            duration_range_h: pre.duration_range(),
            warnings,
        },
        Some(ev),
    )
}

/// The `wattcast record` command that records this scenario's run with its own numbers (architecture,
/// batch, samples: tokens for a language model, epochs, input size or sequence length, precision, and the mode
/// when it is not pre-training), writing `output`.
pub fn record_command(scenario: &Scenario, seq: Option<u32>, output: &str) -> String {
    let mut cmd = String::from("wattcast record");
    if let ArchChoice::Catalog { id } = &scenario.arch {
        cmd.push_str(&format!(" --arch {id}"));
    }
    if let Some(b) = scenario.batch {
        cmd.push_str(&format!(" --batch {b}"));
    }
    if let Some(px) = scenario.input_px {
        cmd.push_str(&format!(" --input {px}"));
    }
    if let Some(s) = seq {
        cmd.push_str(&format!(" --seq {s}"));
    }
    match scenario.job.mode {
        Mode::Pretrain => {}
        Mode::Finetune => cmd.push_str(" --mode finetune"),
        Mode::Lora => cmd.push_str(&format!(" --mode lora --lora-rank {}", scenario.job.lora_rank)),
    }
    cmd.push_str(&format!(
        " --samples {} --epochs {} --precision {} -o {output} -- python train.py",
        scenario.samples, scenario.epochs, scenario.precision
    ));
    cmd
}

/// `step-power` (`by_epoch = false`) or `step-epoch` (`true`) from the matching calibration profiles.
pub fn step(
    scenario: &Scenario,
    gpu: &Gpu,
    cal: &Calibration,
    seq: Option<u32>,
    by_epoch: bool,
) -> (RawEstimate, Option<String>) {
    let arch_id = match &scenario.arch {
        ArchChoice::Catalog { id } => Some(id.as_str()),
        ArchChoice::Custom { .. } => None,
    };
    let matches: Vec<_> = cal
        .summary
        .step_profiles
        .iter()
        .filter(|p| Some(p.arch_id.as_str()) == arch_id && p.gpu_id == gpu.id && p.samples_per_s.is_some())
        .collect();
    if matches.is_empty() {
        let arch = match &scenario.arch {
            ArchChoice::Catalog { id } => id.as_str(),
            ArchChoice::Custom { .. } => "custom",
        };
        let cmd = record_command(scenario, seq, &format!("{arch}-{}.json", gpu.id));
        return (
            RawEstimate {
                warnings: vec![format!(
                    "no calibration profile of this architecture on this GPU; record one with: {cmd}"
                )],
                ..RawEstimate::default()
            },
            Some("0 calibration profiles".into()),
        );
    }
    let total_samples = scenario.samples as f64 * f64::from(scenario.epochs);
    let n = f64::from(scenario.n_gpus);
    let mut values: Vec<(f64, f64)> = matches
        .iter()
        .filter_map(|p| {
            let per_gpu_thr = p.samples_per_s? / f64::from(p.n_gpus);
            let per_gpu_w = p.stable_power_w / f64::from(p.n_gpus);
            let h = scenario.hours.unwrap_or(total_samples / (per_gpu_thr * n) / 3600.0);
            let e = if by_epoch {
                // Stable energy per sample × samples × epochs.
                per_gpu_w / per_gpu_thr * total_samples / 3.6e6
            } else {
                per_gpu_w * n * h / 1000.0
            };
            Some((e, h))
        })
        .collect();
    crate::order::sort_by(&mut values, |a, b| a.0.total_cmp(&b.0));
    let mid = values[values.len() / 2];
    let floor = super::step::INTERVAL_FLOOR;
    let mut warnings = Vec::new();
    let p0 = matches[0];
    if scenario.batch.is_some_and(|b| Some(b) != p0.batch) || scenario.input_px.is_some_and(|i| Some(i) != p0.input_px)
    {
        warnings.push(format!(
            "profiles measured at batch {}, input {} px; scaled by sample count only",
            p0.batch.map_or("?".into(), |b| b.to_string()),
            p0.input_px.map_or("?".into(), |i| i.to_string())
        ));
    }
    if scenario.hours.is_none() {
        warnings.push("duration from the profiles' measured throughput (give \"hours\" to override)".into());
    }
    (
        RawEstimate {
            energy_kwh: Some(mid.0),
            low_kwh: Some(values[0].0 * (1.0 - floor)),
            high_kwh: Some(values[values.len() - 1].0 * (1.0 + floor)),
            duration_h: Some(mid.1),
            duration_estimated: scenario.hours.is_none(),
            // The measured runs' spread of throughput, as the energy's interval is their spread of energy.
            duration_range_h: Some(
                values.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| (lo.min(v.1), hi.max(v.1))),
            )
            .filter(|(lo, hi)| scenario.hours.is_none() && hi > lo),
            warnings,
        },
        Some(format!("{} calibration profiles ({})", matches.len(), p0.source)),
    )
}
