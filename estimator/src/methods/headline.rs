//! The headline estimate: one number per GPU, from the time × power backbone ([`crate::backbone`]).
//!
//! energy = n_gpus × power fraction × power limit (the TDP) × duration, where duration = samples × epochs
//! ÷ throughput (a measured benchmark of this workload on this GPU, else the spec model), or the user's
//! hours. Device (GPU) energy; facility energy = × PUE (applied with the site factors). The 80 % interval
//! composes the held-out power band of the case (GPU measured or not, workload measured or not) with the
//! throughput band when the duration is estimated ([`Backbone::energy_factors`]), and the evidence line
//! says which case and how large the held-out errors were.

use super::cluster;
use super::paper::PreInputs;
use super::workload::Workload;
use super::RawEstimate;
use crate::backbone::{Backbone, BandQuantity, Case, ResidualBand, Throughput, WorkloadInput};
use crate::calibration::Calibration;
use crate::catalog::{Catalog, Gpu, SampleUnit};
use crate::scenario::{ArchChoice, Efficiency, Precision, Scenario};

/// The workload of a scenario as the backbone sees it; `None` without forward FLOPs.
pub fn workload_input(scenario: &Scenario, work: &Workload, catalog: &Catalog) -> Option<WorkloadInput> {
    // The backbone predicts from forward FLOPs with training = 3 × forward; LoRA's cheaper backward enters
    // as the forward pass that costs the same to train.
    let forward_gflops =
        work.training_gflops.map(|t| t / super::workload::TRAINING_FLOPS_FACTOR).filter(|g| *g > 0.0)?;
    let (key, unit, conv, activations_per_gflop) = match &scenario.arch {
        ArchChoice::Catalog { id } => {
            let a = catalog.arch(id)?;
            let px = scenario.input_px.or(a.input_px);
            (WorkloadInput::key_of(id, a.sample_unit, px), a.sample_unit, a.family == "cnn", a.activations_per_gflop())
        }
        // A custom architecture is a workload no measurement knows: an image CNN when an input size is
        // given, else a token model.
        ArchChoice::Custom { .. } => {
            let image = scenario.input_px.is_some();
            ("custom".to_string(), if image { SampleUnit::Image } else { SampleUnit::Token }, image, None)
        }
    };
    // A link's batch is the step's over all GPUs (as the fit's rows count it): each GPU runs its share.
    let step_samples_per_gpu =
        WorkloadInput::step_samples(scenario.batch.map(f64::from), scenario.n_gpus, unit, work.seq.map(f64::from));
    Some(WorkloadInput { key, forward_gflops, unit, conv, step_samples_per_gpu, activations_per_gflop })
}

/// What the case is called in sentences, with the protocol that scores it (no brackets: callers put the
/// phrase in brackets).
pub fn case_phrase(case: Case) -> &'static str {
    match case {
        Case::BothSeen => "GPU and workload both measured, scored with the pair held out",
        Case::GpuUnseen => "a GPU with no measured run, scored with the GPU held out",
        Case::WorkloadUnseen => "a workload with no measured run, scored with the workload held out",
        Case::NeitherSeen => "neither GPU nor workload measured, scored with both held out",
    }
}

/// The backbone's duration of a scenario on a GPU, hours, with its throughput over all the run's GPUs.
///
/// One GPU's throughput comes from the efficiency the scenario names: `typical`, the fitted model (or a
/// measured benchmark); `tuned`, the utilisation MLPerf's submissions reach × the GPU's dense peak; `mfu`, the
/// user's. It is then scaled to the run's GPUs and servers ([`cluster::scaling`]): within a server by
/// Lambda's measured efficiency (typical only: a tuned utilisation already includes it), across servers by
/// the gradient exchange.
pub fn duration(
    bb: &Backbone,
    scenario: &Scenario,
    gpu: &Gpu,
    w: &WorkloadInput,
    work: &Workload,
    all: &[Gpu],
) -> Option<(f64, Throughput)> {
    let (precision, _) = crate::backbone::effective_precision(gpu, scenario.precision);
    let fitted = crate::backbone::fitted_precision(precision);
    let mut thr = bb.throughput(gpu, fitted, w, all)?;
    let train_gflops = super::workload::TRAINING_FLOPS_FACTOR * w.forward_gflops;
    let peak = super::workload::peak_tflops(gpu, precision);
    match scenario.job.efficiency {
        Efficiency::Typical => {}
        Efficiency::Tuned => {
            let t = bb.tuned_for(w.unit)?;
            // The uplift multiplies what it was measured against (`fit::backbone::tuned`: MLPerf's workloads
            // are in no fit): the spec model without a workload's own effect or benchmark. Applied to Lambda's
            // ResNet-50 benchmark (7 % of an H100's peak) it put 8 × H100 at half MLPerf's rate.
            let base = bb.throughput(gpu, fitted, &w.anonymous(), all)?;
            let uplift = t.uplift_at(w.forward_gflops, super::workload::peak_tflops(gpu, fitted).0);
            thr.samples_per_s = base.samples_per_s * uplift;
            thr.mfu = base.mfu * uplift;
            thr.measured_source = None;
            thr.runs_only = false;
            // The typical model's error for the case and the spread of the tuned rows compose.
            bb.compose_band(&mut thr, (t.q10, t.q90), t.n);
        }
        Efficiency::Mfu(m) => {
            let (Some(p), None) = peak else { return None };
            thr.samples_per_s = p * 1e3 * m / train_gflops;
            thr.mfu = m;
            thr.measured_source = None;
            thr.fixed_band = Some(ResidualBand::stated(thr.case, 0, (0.0, 0.0)));
        }
    }
    match scenario.job.efficiency {
        Efficiency::Typical => bb.cap(&mut thr, fitted, Some((gpu, all))),
        Efficiency::Tuned => bb.cap(&mut thr, fitted, None),
        Efficiency::Mfu(_) => {}
    }
    if let Some(f) = fp8(scenario.job.efficiency).filter(|_| precision == Precision::Fp8) {
        thr.samples_per_s *= f.speedup;
        thr.mfu *= f.speedup / super::workload::FP8_OVER_BF16;
        let half_width = f.ln_half_width();
        if half_width > 0.0 {
            let n = bb.throughput_band(&thr).map_or(0, |b| b.n);
            bb.compose_band(&mut thr, (-half_width, half_width), n);
        }
    }
    let typical = matches!(scenario.job.efficiency, Efficiency::Typical);
    let within = if typical { bb.scaling.efficiency(scenario.gpus_per_node()) } else { 1.0 };
    let (params, step) = (work.trainable_params, bb.step_samples(w));
    let mut plan = cluster::scaling(scenario, gpu, params, thr.samples_per_s, within, step);
    thr.samples_per_s *= f64::from(scenario.n_gpus) * plan.efficiency();
    thr.mfu *= plan.efficiency();
    let total = scenario.samples as f64 * f64::from(scenario.epochs);
    // Strong scaling across servers, by the run's length at the rate so far (`Scaling::strong`), with the
    // held-out spread of MLPerf's pairs per doubling composed into the band.
    let fewest = super::memory::fewest_gpus(scenario, work, gpu)
        .map_or(1.0, |k| (f64::from(k) / f64::from(scenario.gpus_per_node())).ceil());
    let (kept, doublings) = bb.scaling.strong(f64::from(plan.nodes), fewest, total / thr.samples_per_s / 3600.0);
    if kept < 1.0 {
        thr.samples_per_s *= kept;
        thr.mfu *= kept;
        plan.strong = kept;
        if let Some(h) = &bb.scaling.across_held_out {
            let n = bb.throughput_band(&thr).map_or(0, |b| b.n);
            bb.compose_band(&mut thr, (-h.q90 * doublings, -h.q10 * doublings), n);
        }
    }
    thr.scaling = Some(plan);
    // Wall time = training time ÷ goodput: the link's, else the default for a run of this length.
    let training_h = total / thr.samples_per_s / 3600.0;
    let goodput = match scenario.job.goodput {
        Some(g) => Some((g, true)),
        // A loss under half a percent (a run just over a day) is neither applied nor said.
        None => bb.goodput.as_ref().map(|m| (m.at(training_h), false)).filter(|(g, _)| *g < 0.995),
    };
    if let Some((g, _)) = goodput {
        thr.samples_per_s *= g;
        thr.goodput = goodput;
    }
    (thr.samples_per_s > 0.0).then(|| (total / thr.samples_per_s / 3600.0, thr))
}

/// The 80 % interval of a duration the backbone estimated, as factors on it: the inverse of its throughput's
/// (slower than predicted = longer), never shorter than the GPUs at their peak FLOP/s would take; (1, 1) for a
/// utilisation the user stated.
pub fn duration_factors(bb: &Backbone, thr: &Throughput) -> (f64, f64) {
    let (lo, hi) = bb.throughput_band(thr).map_or((1.0, 1.0), |b| b.factors());
    let floor = if thr.mfu.is_finite() && thr.mfu > 0.0 { thr.mfu.min(1.0) } else { 0.0 };
    ((1.0 / hi).max(floor).min(1.0), (1.0 / lo).max(1.0))
}

/// How an FP8 run's throughput follows from BF16's fitted one; none for a stated utilisation (the FP8 peak's).
/// `typical` and `tuned` alike at [`crate::backbone::fp8_speedup`], the middle of the published end-to-end gains,
/// by which the tuned uplift also counted MLPerf's FP8 rows at BF16 (`fit::backbone::tuned`), with the range in
/// the interval. Power per GPU stays BF16's.
fn fp8(efficiency: Efficiency) -> Option<Fp8> {
    match efficiency {
        Efficiency::Typical | Efficiency::Tuned => {
            Some(Fp8 { speedup: crate::backbone::fp8_speedup(), range: crate::backbone::FP8_TYPICAL_SPEEDUP })
        }
        Efficiency::Mfu(_) => None,
    }
}

/// The factor [`fp8`] puts on BF16's throughput.
struct Fp8 {
    /// Factor on BF16's samples per second.
    speedup: f64,
    /// The published speed-ups it is the middle of (torchtitan's).
    range: (f64, f64),
}

impl Fp8 {
    /// Half the range's width in ln, composed with the interval.
    fn ln_half_width(&self) -> f64 {
        crate::fmath::ln(self.range.1 / self.range.0) / 2.0
    }

    /// The sentence that says which factor the estimate used.
    fn sentence(&self) -> String {
        let (lo, hi) = self.range;
        format!("FP8: {:.2} × BF16's speed (torchtitan: {lo}–{hi} ×), same power", self.speedup)
    }
}

/// What the goodput did to the wall time, as a clause of the throughput sentence.
fn goodput_sentence(g: f64, given: bool, bb: &Backbone) -> String {
    if given {
        return format!("; goodput {g:.2} as the link gives: wall time = training time ÷ {g:.2}");
    }
    let n = bb.goodput.as_ref().map_or(0, |m| m.runs.len());
    format!(
        "; goodput {g:.2}: a run this long loses time to restarts, evaluation, checkpoints and stragglers (calibrated on {n} published runs; goodput=1 leaves it out)"
    )
}

/// How the run's GPUs scale, in one sentence.
pub fn scaling_sentence(scenario: &Scenario, sc: &cluster::Scaling) -> String {
    let within = match scenario.job.efficiency {
        Efficiency::Typical => format!(
            "{:.0} % within a server of {} (median of Lambda's 1/2/4/8-GPU rows)",
            sc.within_node * 100.0,
            sc.gpus_per_node
        ),
        _ => "within a server included in the stated utilisation".to_string(),
    };
    let across = match &sc.exchange {
        None => String::new(),
        Some(x) => format!(
            "; {:.0} % across {} servers ({} GB of gradients all-reduced in {} s over {} GB/s per server, {} s of it not hidden by the {} s backward pass)",
            sc.across_nodes * 100.0,
            sc.nodes,
            crate::format::human(x.gradient_gb),
            crate::format::human(x.allreduce_s),
            crate::format::human(x.bandwidth_gb_s),
            crate::format::human(x.exposed_s),
            crate::format::human(x.step_s * 2.0 / 3.0),
        ),
    };
    let strong = if sc.strong < 1.0 {
        format!(
            "; {:.0} % kept from strong scaling over {} servers (what MLPerf Training's time-to-train runs lose per doubling of their servers, in full for a run of a day or less, none for a run of a month or more)",
            sc.strong * 100.0,
            sc.nodes
        )
    } else {
        String::new()
    };
    format!("{} GPUs: scaling {within}{across}{strong}", scenario.n_gpus)
}

/// `headline`; `pre` carries the workload and the backbone's duration on this GPU.
pub fn headline(
    scenario: &Scenario,
    gpu: &Gpu,
    cal: &Calibration,
    pre: &PreInputs,
    work: &Workload,
) -> (RawEstimate, Option<String>) {
    let w = pre.workload();
    let mut warnings = Vec::new();
    let none = |warnings: Vec<String>| (RawEstimate { warnings, ..RawEstimate::default() }, None);
    let Some(bb) = cal.backbone.as_ref() else {
        return none(vec!["this calibration has no time × power model (run `wattcast fit`)".into()]);
    };
    let Some(w) = w else {
        let mut w = work.warnings.clone();
        w.push("no forward FLOPs are known for this architecture: the duration cannot be estimated".into());
        return none(w);
    };
    let (precision, fallback) = crate::backbone::effective_precision(gpu, scenario.precision);
    warnings.extend(fallback);
    let fitted = crate::backbone::fitted_precision(precision);
    if let Some(why) = crate::backbone::missing_spec(gpu, fitted) {
        return none(vec![format!("{why}: this GPU cannot be estimated from its specs")]);
    }
    let Some(tdp) = gpu.tdp_w else {
        // No power limit: the time, without an energy.
        let mut w = vec![format!("no TDP is known for {}: the time only, no energy", gpu.name)];
        w.extend(warnings);
        return match (scenario.hours, pre.backbone_duration()) {
            (None, Some((h, _))) => (
                RawEstimate {
                    duration_h: Some(*h),
                    duration_estimated: true,
                    duration_range_h: pre.duration_range(),
                    warnings: w,
                    ..RawEstimate::default()
                },
                None,
            ),
            _ => none(w),
        };
    };
    if let Some(f) = fp8(scenario.job.efficiency).filter(|_| precision == Precision::Fp8) {
        warnings.push(f.sentence());
    }
    let Some(frac) = bb.power_fraction(gpu, fitted, w, tdp) else {
        return none(vec![format!("the power model lacks a spec of {}", gpu.name)]);
    };
    let power_case = bb.power_case(&gpu.id, &w.key);
    let mut used_thr = None;
    let (hours, thr_note) = match (scenario.hours, pre.backbone_duration()) {
        (Some(h), _) => (h, "duration given".to_string()),
        (None, Some((h, thr))) => {
            let how = match (&thr.measured_source, scenario.job.efficiency) {
                (_, Efficiency::Tuned) => {
                    let up = bb.tuned_for(w.unit).map_or(String::new(), |t| {
                        let (precision, _) = crate::backbone::effective_precision(gpu, scenario.precision);
                        let peak = super::workload::peak_tflops(gpu, crate::backbone::fitted_precision(precision)).0;
                        format!(" × {:.2}", t.uplift_at(w.forward_gflops, peak))
                    });
                    let m = bb.throughput_band(thr).map_or(String::new(), |b| format!(", ± {:.0} %", b.mape_pct));
                    format!("the spec model{up}, how much faster tuned code ran than it predicts (MLPerf Training, the MPT and torchtitan tables){m}")
                }
                (_, Efficiency::Mfu(_)) => "the utilisation given".to_string(),
                (Some(src), _) => {
                    let spread = bb.band(BandQuantity::BenchmarkSpread, Case::BothSeen).map_or(String::new(), |b| {
                        format!(
                            "; another training loop or software version: ± {:.0} % (how far benchmark versions of one GPU and workload differ)",
                            b.mape_pct
                        )
                    });
                    format!("measured benchmark ({src}){spread}")
                }
                (None, _) => {
                    let m = bb
                        .throughput_band(thr)
                        .map_or(String::new(), |b| format!(", held-out MAPE {:.0} %", b.mape_pct));
                    let feed = if thr.runs_only {
                        ""
                    } else {
                        "; assumes the input pipeline keeps the GPUs busy, as in the benchmarks"
                    };
                    format!("predicted from specs{m}{feed}")
                }
            };
            if let Some(sc) = thr.scaling.as_ref().filter(|_| scenario.n_gpus > 1) {
                warnings.push(scaling_sentence(scenario, sc));
            }
            let per_gpu = thr.samples_per_s / f64::from(scenario.n_gpus);
            let mfu =
                if thr.mfu.is_finite() { format!(", {:.0} % of peak FLOP/s", thr.mfu * 100.0) } else { String::new() };
            let unit = if w.unit == SampleUnit::Token { "tokens" } else { "images" };
            let mut note = format!("throughput {} {unit}/s per GPU{mfu}, {how}", crate::format::human(per_gpu));
            if let Some(b) = &thr.basis {
                note.push_str(&format!(" ({b})"));
            }
            if let Some((g, given)) = thr.goodput {
                note.push_str(&goodput_sentence(g, given, bb));
            }
            if let Some(c) = thr.capped_at {
                note.push_str(&format!(
                    "; held to {:.0} % of peak: no measured run at {} reached more (of its architecture, where one was measured)",
                    c * 100.0,
                    crate::backbone::ceiling_precision(fitted)
                ));
            }
            used_thr = Some(thr);
            (*h, note)
        }
        (None, None) => return none(vec![format!("no throughput could be estimated for {}", gpu.name)]),
    };
    let estimated = used_thr.is_some();
    // The benchmarks measured AMD GPUs at FP32 only (NeuSight's MI100 and MI210) and no other vendor's.
    let from_specs = used_thr.is_some_and(|t| t.other_stack) && !matches!(scenario.job.efficiency, Efficiency::Mfu(_));
    if from_specs {
        let amd = if gpu.vendor == "AMD" {
            ", likely too fast (MLPerf Training v5.0: 8 × MI300X slightly slower than 8 × H100)"
        } else {
            ""
        };
        warnings.push(format!(
            "no {} accelerator measured at this precision: NVIDIA GPUs' specs-to-speed relation carried over{amd}; the interval reaches {} × slower",
            gpu.vendor,
            crate::backbone::OTHER_STACK_SLOWER
        ));
    }
    // GPUs waiting on the network or on each other draw less (`cluster::Scaling::power_fraction`), when the
    // model that estimated the time says how long they wait (a given duration does not split).
    let computing = frac;
    let frac = match used_thr.and_then(|t| t.scaling.as_ref()).filter(|sc| sc.busy() < 1.0) {
        Some(sc) => {
            warnings.push(format!(
                "power: {:.0} % of the time computing at {:.0} % of the limit, the rest waiting on other GPUs at {:.0} % ({})",
                sc.busy() * 100.0,
                computing * 100.0,
                cluster::WAIT_POWER_FRACTION.min(computing) * 100.0,
                "an A100 blocked in NCCL, Kareus' measurement"
            ));
            sc.power_fraction(computing)
        }
        None => computing,
    };
    let e = f64::from(scenario.n_gpus) * frac * tdp * hours / 1000.0;
    let (mut lo, hi) = bb.energy_factors(power_case, used_thr);
    // A physical floor: no run is faster than the GPUs' peak FLOP/s, so a throughput predicted at a share
    // `mfu` of the peak is at most 1 ÷ mfu too slow; with the power band's low end, energy cannot be lower.
    if let Some(t) = used_thr.filter(|t| t.measured_source.is_none() && t.mfu.is_finite() && t.mfu > 0.0) {
        let power_low = bb.band(BandQuantity::PowerFraction, power_case).map_or(1.0, |b| b.factors().0);
        lo = lo.max(t.mfu.min(1.0) * power_low);
    }
    let accuracy =
        bb.band(BandQuantity::PowerFraction, power_case).map_or("no held-out runs for this case".to_string(), |b| {
            format!("power held-out MAPE {:.0} % on {} runs ({})", b.mape_pct, b.n, case_phrase(power_case))
        });
    if matches!(power_case, Case::GpuUnseen | Case::NeitherSeen) {
        warnings.push(format!(
            "no measured power on {}: its power fraction is carried over from other GPUs by specs",
            gpu.name
        ));
    }
    let evidence =
        format!("device energy: {:.0} % of the {:.0} W power limit; {thr_note}; {accuracy}", frac * 100.0, tdp);
    (
        RawEstimate {
            energy_kwh: Some(e),
            low_kwh: Some(e * lo.min(1.0)),
            high_kwh: Some(e * hi.max(1.0)),
            duration_h: Some(hours),
            duration_estimated: estimated,
            // The backbone's duration is PRE's too, and its interval was computed with it ([`duration_factors`]).
            duration_range_h: pre.duration_range(),
            warnings,
        },
        Some(evidence),
    )
}
