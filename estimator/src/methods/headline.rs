//! The headline estimate: one number per GPU, from the time × power backbone ([`crate::backbone`]).
//!
//! energy = n_gpus × power fraction × power limit (the TDP) × duration, where duration = samples × epochs
//! ÷ throughput (a measured benchmark of this workload on this GPU, else the spec model), or the user's
//! hours. Device (GPU) energy; facility energy = × PUE (applied with the site factors). The 80 % interval
//! composes the held-out power band of the case (GPU measured or not, workload measured or not) with the
//! throughput band when the duration is estimated ([`Backbone::energy_factors`]), and the evidence line
//! says which case and how large the held-out errors were.

use super::paper::PreInputs;
use super::workload::Workload;
use super::RawEstimate;
use crate::backbone::{Backbone, BandQuantity, Case, Throughput, WorkloadInput};
use crate::calibration::Calibration;
use crate::catalog::{Catalog, Gpu, SampleUnit};
use crate::scenario::{ArchChoice, Scenario};

/// The workload of a scenario as the backbone sees it; `None` without forward FLOPs.
pub fn workload_input(scenario: &Scenario, work: &Workload, catalog: &Catalog) -> Option<WorkloadInput> {
    let forward_gflops = work.forward_gflops.filter(|g| *g > 0.0)?;
    let (key, unit, conv) = match &scenario.arch {
        ArchChoice::Catalog { id } => {
            let a = catalog.arch(id)?;
            let px = scenario.input_px.or(a.input_px);
            (WorkloadInput::key_of(id, a.sample_unit, px), a.sample_unit, a.family == "cnn")
        }
        // A custom architecture is a workload no measurement knows: an image CNN when an input size is
        // given, else a token model.
        ArchChoice::Custom { .. } => {
            let image = scenario.input_px.is_some();
            ("custom".to_string(), if image { SampleUnit::Image } else { SampleUnit::Token }, image)
        }
    };
    Some(WorkloadInput { key, forward_gflops, unit, conv, batch_per_gpu: scenario.batch.map(f64::from) })
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

/// The backbone's duration of a scenario on a GPU, hours, with its throughput.
pub fn duration(bb: &Backbone, scenario: &Scenario, gpu: &Gpu, w: &WorkloadInput) -> Option<(f64, Throughput)> {
    let (precision, _) = crate::backbone::effective_precision(gpu, scenario.precision);
    let thr = bb.throughput(gpu, precision, w, scenario.n_gpus)?;
    let total = scenario.samples as f64 * f64::from(scenario.epochs);
    (thr.samples_per_s > 0.0).then(|| (total / thr.samples_per_s / 3600.0, thr))
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
    if let Some(why) = crate::backbone::missing_spec(gpu, precision) {
        return none(vec![format!("{why}: this GPU cannot be estimated from its specs")]);
    }
    let Some(tdp) = gpu.tdp_w else {
        return none(vec![format!("no TDP is known for {}", gpu.name)]);
    };
    let Some(frac) = bb.power_fraction(gpu, precision, w, tdp) else {
        return none(vec![format!("the power model lacks a spec of {}", gpu.name)]);
    };
    let power_case = bb.power_case(&gpu.id, &w.key);
    let mut used_thr = None;
    let (hours, thr_note) = match (scenario.hours, pre.backbone_duration()) {
        (Some(h), _) => (h, "duration given".to_string()),
        (None, Some((h, thr))) => {
            let how = match &thr.measured_source {
                Some(src) => format!("measured benchmark ({src})"),
                None => {
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
            if scenario.n_gpus > 1 {
                warnings.push(format!(
                    "{} GPUs at {:.0} % scaling efficiency (median of Lambda's 1/2/4/8-GPU rows; beyond 8 extrapolated)",
                    scenario.n_gpus,
                    bb.scaling.efficiency(scenario.n_gpus) * 100.0
                ));
            }
            let per_gpu = thr.samples_per_s / f64::from(scenario.n_gpus);
            let mfu =
                if thr.mfu.is_finite() { format!(", {:.0} % of peak FLOP/s", thr.mfu * 100.0) } else { String::new() };
            let note = format!("throughput {} samples/s per GPU{mfu}, {how}", crate::format::human(per_gpu));
            used_thr = Some(thr);
            (*h, note)
        }
        (None, None) => return none(vec![format!("no throughput could be estimated for {}", gpu.name)]),
    };
    let estimated = used_thr.is_some();
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
            warnings,
        },
        Some(evidence),
    )
}
