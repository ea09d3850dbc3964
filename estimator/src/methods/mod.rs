//! The estimation methods and the one entry point both the CLI and the site call: [`estimate_all`].
//!
//! Invariant: an estimate that cannot be made is `energy_kwh: None` with a warning saying why, never 0.

pub mod baselines;
pub mod cluster;
pub mod headline;
pub mod lead;
pub mod memory;
pub mod paper;
pub mod step;
pub mod transformer;
pub mod workload;

use serde::Serialize;

use crate::calibration::Calibration;
use crate::catalog::{Catalog, Gpu};
use crate::scenario::{Scenario, Scope};

/// Identifier of an estimation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MethodId {
    /// The time × power backbone (fitted power fraction × power limit × duration from measured or predicted
    /// throughput), with held-out intervals: the headline unless a PRE method, fitted on runs like the
    /// scenario, has the lower held-out error for its case ([`lead::mark`]). Its id stays `headline`.
    Headline,
    /// PRE, power-based: regression-predicted mean power × duration.
    PrePower,
    /// PRE, energy-based: regression-predicted energy per sample × samples × epochs.
    PreEpoch,
    /// STEP, power-based: stable power of matching calibration profiles × duration.
    StepPower,
    /// STEP, epoch-based: stable energy per sample of matching profiles × samples × epochs.
    StepEpoch,
    /// ML CO2 Impact: TDP × n_gpus × hours.
    Mlco2,
    /// Green Algorithms: (n_gpus × TDP × usage + mem_gb × 0.3725 W) × hours × PUE.
    GreenAlgorithms,
    /// FLOPs-based: training FLOPs / (n_gpus × peak × utilisation) × TDP.
    Flops,
}

impl MethodId {
    /// Every method, in display order.
    pub const ALL: [MethodId; 8] = [
        MethodId::Headline,
        MethodId::PrePower,
        MethodId::PreEpoch,
        MethodId::StepPower,
        MethodId::StepEpoch,
        MethodId::Mlco2,
        MethodId::GreenAlgorithms,
        MethodId::Flops,
    ];

    /// The id used in JSON, links and `data-method` attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            MethodId::Headline => "headline",
            MethodId::PrePower => "pre-power",
            MethodId::PreEpoch => "pre-epoch",
            MethodId::StepPower => "step-power",
            MethodId::StepEpoch => "step-epoch",
            MethodId::Mlco2 => "mlco2",
            MethodId::GreenAlgorithms => "green-algorithms",
            MethodId::Flops => "flops",
        }
    }

    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            MethodId::Headline => "Time × power",
            MethodId::PrePower => "PRE power",
            MethodId::PreEpoch => "PRE energy",
            MethodId::StepPower => "STEP power",
            MethodId::StepEpoch => "STEP epoch",
            MethodId::Mlco2 => "ML CO2 Impact",
            MethodId::GreenAlgorithms => "Green Algorithms",
            MethodId::Flops => "FLOPs model",
        }
    }

    /// The formula, as shown to users.
    pub fn formula(self) -> &'static str {
        match self {
            MethodId::Headline => "n_gpus × fitted power fraction × power limit × samples × epochs ÷ throughput",
            MethodId::PrePower => "predicted mean power ÷ TDP × TDP × n_gpus × hours",
            MethodId::PreEpoch => "predicted J per sample × samples × epochs",
            MethodId::StepPower => "stable power of measured runs × hours",
            MethodId::StepEpoch => "stable J per sample of measured runs × samples × epochs",
            MethodId::Mlco2 => "TDP × n_gpus × hours",
            MethodId::GreenAlgorithms => "(n_gpus × TDP × usage + mem_GB × 0.3725 W) × hours × PUE",
            MethodId::Flops => "3 × forward FLOPs × samples × epochs ÷ (n_gpus × peak FLOP/s × 0.33) × TDP × n_gpus",
        }
    }

    /// Whether the method is one of the paper's (arXiv 2307.05520), fitted on measured runs.
    pub fn is_paper_method(self) -> bool {
        matches!(self, MethodId::PrePower | MethodId::PreEpoch | MethodId::StepPower | MethodId::StepEpoch)
    }

    /// Whether the method's energy already includes the data-centre overhead (PUE).
    pub fn includes_pue(self) -> bool {
        matches!(self, MethodId::GreenAlgorithms)
    }
}

/// One method's estimate for one GPU. This is also the row of `wattcast estimate --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// GPU id.
    pub gpu: String,
    /// Method id.
    pub method: MethodId,
    /// Energy, kWh (`null` when the method cannot estimate this case; see `warnings`).
    pub energy_kwh: Option<f64>,
    /// Lower end of the interval, kWh (`null` when the method gives none).
    pub low_kwh: Option<f64>,
    /// Upper end of the interval, kWh.
    pub high_kwh: Option<f64>,
    /// Duration the energy was computed with, hours.
    pub duration_h: Option<f64>,
    /// Whether that duration is estimated (not given by the user).
    pub duration_estimated: bool,
    /// Lower end of the duration's 80 % interval, hours (`null` when the duration is given, or the method or a
    /// stated utilisation gives none). GPU-hours and their cost scale with it.
    pub duration_low_h: Option<f64>,
    /// Upper end of the duration's interval, hours.
    pub duration_high_h: Option<f64>,
    /// The servers' hosts' energy over the same duration, kWh (CPUs, memory, NICs, fans:
    /// [`cluster::host_kwh`]); counted in the scope's energy only with `scope=server`.
    pub host_kwh: Option<f64>,
    /// Energy in the scenario's scope before PUE, kWh: the GPUs' (`energy_kwh`), plus the hosts' with
    /// `scope=server`.
    pub scope_kwh: Option<f64>,
    /// Emissions, kg CO2e (scope energy × PUE × grid intensity; PUE not applied twice).
    pub co2e_kg: Option<f64>,
    /// Cost in the scenario's currency: GPU-hours × the GPU-hour price + facility energy × the electricity
    /// price; `null` without either price.
    pub cost: Option<f64>,
    /// The GPU-hours part of the cost.
    pub rental_cost: Option<f64>,
    /// The electricity part of the cost.
    pub energy_cost: Option<f64>,
    /// Why a number is missing or less certain.
    pub warnings: Vec<String>,
    /// Whether this is the GPU's headline estimate (the one the page, the CLI and the ranking lead with:
    /// [`lead::mark`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub headline: bool,
    /// What the estimate rests on ("fitted on 965 measured runs, 150 on this GPU"), for fitted methods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// Site factors shared by every estimate of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Site {
    /// PUE in use.
    pub pue: f64,
    /// Where the PUE comes from (`user`, or a default's id).
    pub pue_source: String,
    /// Grid intensity, gCO2e/kWh.
    pub intensity_g_per_kwh: f64,
    /// Price per kWh, when given.
    pub price_per_kwh: Option<f64>,
}

impl Site {
    /// The site factors of a resolved scenario (its region is known to the catalogue).
    pub fn of(scenario: &Scenario, catalog: &Catalog) -> Site {
        let region = catalog.region(&scenario.region);
        let default = region.and_then(|r| catalog.default_pue_for(r));
        let (pue, pue_source) = match (scenario.pue, default) {
            (Some(p), _) => (p, "user".to_string()),
            (None, Some(d)) => (d.pue, d.id.clone()),
            (None, None) => (1.0, "none".to_string()),
        };
        Site {
            pue,
            pue_source,
            intensity_g_per_kwh: region.map(|r| r.intensity_g_per_kwh).unwrap_or(0.0),
            price_per_kwh: scenario.price_per_kwh,
        }
    }
}

/// Every method for every GPU of the scenario, GPU-major, in `MethodId::ALL` order.
pub fn estimate_all(catalog: &Catalog, cal: &Calibration, scenario: &Scenario) -> Vec<Estimate> {
    estimate_with_plans(catalog, cal, scenario).0
}

/// What a run looks like on one GPU type beside its energy: memory fit, servers, scaling, utilisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuPlan {
    /// GPU id.
    pub gpu: String,
    /// Whether the run fits in memory (`null` when the parameters or the memory are unknown).
    pub memory: Option<memory::MemoryFit>,
    /// The class of server the GPU is used in (host power, network).
    pub server: cluster::ServerClass,
    /// How the GPUs scale (`null` when no duration could be estimated).
    pub scaling: Option<cluster::Scaling>,
    /// Model-FLOPs utilisation the time × power estimate implies over the run (`null` when unknown).
    pub mfu: Option<f64>,
}

impl GpuPlan {
    /// Whether the memory check marks this GPU as unable to hold the run.
    pub fn cannot_hold(&self, scenario: &Scenario) -> bool {
        scenario.job.memory_check && self.memory.as_ref().is_some_and(|m| !m.fits)
    }
}

/// [`estimate_all`] with each GPU's [`GpuPlan`].
pub fn estimate_with_plans(catalog: &Catalog, cal: &Calibration, scenario: &Scenario) -> (Vec<Estimate>, Vec<GpuPlan>) {
    let site = Site::of(scenario, catalog);
    let work = workload::Workload::of(scenario, catalog);
    let w = headline::workload_input(scenario, &work, catalog);
    let mut out = Vec::with_capacity(scenario.gpus.len() * MethodId::ALL.len());
    let mut plans = Vec::with_capacity(scenario.gpus.len());
    for gpu_id in &scenario.gpus {
        let Some(gpu) = catalog.gpu(gpu_id) else { continue };
        // Both PRE methods share the model inputs and the duration model's prediction: compute them once.
        let pre = paper::PreInputs::new(scenario, &work, w.as_ref(), gpu, catalog, cal);
        let start = out.len();
        for method in MethodId::ALL {
            out.push(estimate_one(method, gpu, scenario, &work, &site, &pre, cal));
        }
        lead::mark(&mut out[start..], pre.case(), pre.within_fit(cal), cal);
        let thr = pre.backbone_duration().map(|(_, t)| t);
        plans.push(GpuPlan {
            gpu: gpu.id.clone(),
            memory: memory::fit(scenario, &work, gpu),
            server: cluster::ServerClass::of(gpu),
            scaling: thr.and_then(|t| t.scaling.clone()),
            mfu: thr.map(|t| t.mfu).filter(|m| m.is_finite()),
        });
    }
    (out, plans)
}

/// One method for one GPU (`pre` from [`paper::PreInputs::new`] for this scenario and GPU).
pub fn estimate_one(
    method: MethodId,
    gpu: &Gpu,
    scenario: &Scenario,
    work: &workload::Workload,
    site: &Site,
    pre: &paper::PreInputs,
    cal: &Calibration,
) -> Estimate {
    let (raw, evidence) = match method {
        MethodId::Headline => headline::headline(scenario, gpu, cal, pre, work),
        MethodId::PrePower => paper::pre_power(pre, scenario, gpu, cal),
        MethodId::PreEpoch => paper::pre_epoch(pre, scenario, gpu, cal),
        MethodId::StepPower => paper::step(scenario, gpu, cal, work.seq, false),
        MethodId::StepEpoch => paper::step(scenario, gpu, cal, work.seq, true),
        MethodId::Mlco2 => (baselines::mlco2(gpu, scenario, work), None),
        MethodId::GreenAlgorithms => (baselines::green_algorithms(gpu, scenario, work, site), None),
        MethodId::Flops => (baselines::flops(gpu, scenario, work), None),
    };
    let host_kwh = raw.duration_h.and_then(|h| cluster::host_kwh(scenario, gpu, h));
    let host_in_scope = if scenario.job.scope == Scope::Server { host_kwh } else { Some(0.0) };
    let scope_kwh = raw.energy_kwh.zip(host_in_scope).map(|(e, h)| e + h);
    // Facility energy: × PUE, which Green Algorithms' own energy already includes (its hosts' does not).
    let facility_kwh = raw.energy_kwh.zip(host_in_scope).map(|(e, h)| {
        if method.includes_pue() {
            e + h * site.pue
        } else {
            (e + h) * site.pue
        }
    });
    let gpu_hours = raw.duration_h.map(|h| h * f64::from(scenario.n_gpus));
    let cost = cluster::Cost::of(scenario, gpu_hours, facility_kwh);
    Estimate {
        gpu: gpu.id.clone(),
        method,
        energy_kwh: raw.energy_kwh,
        low_kwh: raw.low_kwh,
        high_kwh: raw.high_kwh,
        duration_h: raw.duration_h,
        duration_estimated: raw.duration_estimated,
        duration_low_h: raw.duration_range_h.map(|r| r.0),
        duration_high_h: raw.duration_range_h.map(|r| r.1),
        host_kwh,
        scope_kwh,
        co2e_kg: facility_kwh.map(|e| e * site.intensity_g_per_kwh / 1000.0),
        cost: cost.total,
        rental_cost: cost.rental,
        energy_cost: cost.energy,
        warnings: raw.warnings,
        evidence,
        headline: method == MethodId::Headline,
    }
}

/// What a method computes before site factors are applied.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawEstimate {
    /// Energy, kWh.
    pub energy_kwh: Option<f64>,
    /// Interval low, kWh.
    pub low_kwh: Option<f64>,
    /// Interval high, kWh.
    pub high_kwh: Option<f64>,
    /// Duration, hours.
    pub duration_h: Option<f64>,
    /// Whether the duration is estimated.
    pub duration_estimated: bool,
    /// The duration's 80 % interval, hours.
    pub duration_range_h: Option<(f64, f64)>,
    /// Warnings.
    pub warnings: Vec<String>,
}
