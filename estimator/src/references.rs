//! Published training runs against the `tuned` estimate: GPU-hours as model cards and papers report them,
//! and what the calculator predicts for the same model, tokens, sequence, GPU and GPU count.

use serde::Serialize;

use crate::backbone::GoodputModel;
use crate::calibration::Calibration;
use crate::catalog::Catalog;
use crate::methods::MethodId;
use crate::scenario::Precision;

/// One published run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    /// Slug.
    pub id: String,
    /// Catalogue architecture.
    pub arch: String,
    /// Catalogue GPU.
    pub gpu: String,
    /// Precision the run trained in.
    pub precision: Precision,
    /// Training tokens.
    pub tokens: u64,
    /// Sequence length.
    pub seq: u32,
    /// GPUs the run used (or the assumption, see `note`).
    pub n_gpus: u32,
    /// Published GPU-hours.
    pub gpu_hours: f64,
    /// Where the figures are.
    pub source: String,
    /// What was assumed.
    pub note: String,
    /// Why this run is held to the median only, not to the 2 × bound (empty: held to both).
    pub outlier: String,
}

/// A reference with the calculator's prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compared {
    /// The published run.
    pub reference: Reference,
    /// The share-link query the prediction comes from.
    pub query: String,
    /// Predicted GPU-hours (`null` when the estimate could not be made).
    pub predicted_gpu_hours: Option<f64>,
    /// The 80 % interval of the predicted GPU-hours (the duration's).
    pub interval_gpu_hours: Option<(f64, f64)>,
    /// Predicted ÷ published.
    pub ratio: Option<f64>,
    /// The utilisation the prediction implies.
    pub mfu: Option<f64>,
}

impl Reference {
    /// The link of the `tuned` pre-training estimate for this run (8 GPUs per server, ZeRO-1).
    pub fn query(&self) -> String {
        format!(
            "arch={}&gpu={}&n_gpus={}&gpus_per_node=8&samples={}&epochs=1&seq={}&precision={}&mode=pretrain&efficiency=tuned&zero=1&scope=server",
            self.arch, self.gpu, self.n_gpus, self.tokens, self.seq, self.precision
        )
    }

    /// The prediction for this run, at the goodput the calibration's model gives a run of its length when fitted
    /// without this run (leave one out: [`crate::backbone::GoodputModel::without`]), written into the link.
    pub fn compare(&self, catalog: &Catalog, cal: &Calibration) -> Compared {
        let loo = cal.backbone.as_ref().and_then(|b| b.goodput.as_ref()).and_then(|m| m.without(&self.id));
        let Some(model) = loo else { return self.compare_at(catalog, cal, None) };
        let training = self.compare_at(catalog, cal, Some(1.0));
        let wall_h = training.predicted_gpu_hours.map(|h| h / f64::from(self.n_gpus));
        let g = wall_h.map_or(1.0, |h| (model.at(h) * 1e4).round() / 1e4);
        self.compare_at(catalog, cal, Some(g))
    }

    /// The prediction at a goodput the link gives (`None`: the calibration's default).
    pub fn compare_at(&self, catalog: &Catalog, cal: &Calibration, goodput: Option<f64>) -> Compared {
        let query = match goodput {
            Some(g) => format!("{}&goodput={g}", self.query()),
            None => self.query(),
        };
        let (_, report) = crate::estimate(catalog, cal, &query);
        let head = report.rows.iter().find(|r| r.method == MethodId::Headline);
        let n = f64::from(self.n_gpus);
        let predicted = head.and_then(|h| h.duration_h).map(|h| h * n);
        Compared {
            reference: self.clone(),
            query,
            predicted_gpu_hours: predicted,
            interval_gpu_hours: head.and_then(|h| h.duration_low_h.zip(h.duration_high_h)).map(|(l, h)| (l * n, h * n)),
            ratio: predicted.map(|p| p / self.gpu_hours),
            mfu: report.plans.first().and_then(|p| p.mfu),
        }
    }
}

/// The goodput model calibrated on published runs (`wattcast fit`): the long-run goodput each implies, from its
/// `tuned` estimate without goodput and its predicted wall time ([`GoodputModel::implied_long`]); `None` when no
/// run is long enough to say.
pub fn fit_goodput(refs: &[Reference], catalog: &Catalog, cal: &Calibration) -> Option<GoodputModel> {
    let runs = refs
        .iter()
        .filter_map(|r| {
            let c = r.compare_at(catalog, cal, Some(1.0));
            let wall_h = c.predicted_gpu_hours? / f64::from(r.n_gpus);
            let g = GoodputModel::implied_long(c.ratio?, wall_h)?;
            Some((r.id.clone(), (g * 1e4).round() / 1e4))
        })
        .collect();
    GoodputModel::of(runs)
}

impl Compared {
    /// Whether the published GPU-hours lie inside the prediction's interval.
    pub fn inside(&self) -> bool {
        self.interval_gpu_hours.is_some_and(|(l, h)| (l..=h).contains(&self.reference.gpu_hours))
    }
}

/// Median and largest absolute error of the ratios, % (`None` without any ratio).
pub fn errors_pct(rows: &[Compared]) -> Option<(f64, f64)> {
    ratio_errors_pct(rows.iter().filter_map(|c| c.ratio))
}

/// The largest factor between prediction and publication (≥ 1), over the rows with a ratio; with
/// `bounded_only`, over the rows not marked as outliers.
pub fn worst_factor(rows: &[Compared], bounded_only: bool) -> Option<f64> {
    rows.iter()
        .filter(|c| !bounded_only || c.reference.outlier.is_empty())
        .filter_map(|c| c.ratio)
        .map(|r| r.max(1.0 / r))
        .max_by(f64::total_cmp)
}

/// One training run measured at the wall: a whole server (or several) running a benchmark whose work is known,
/// with its energy and time as published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WallRun {
    /// Slug.
    pub id: String,
    /// Catalogue GPU.
    pub gpu: String,
    /// GPUs the run used (8 per server).
    pub n_gpus: u32,
    /// The rest of the share link: architecture, samples, sequence, mode.
    pub link: String,
    /// Measured energy of the whole system over the timed run, kJ.
    pub energy_kj: f64,
    /// Measured time of the timed run, minutes.
    pub minutes: f64,
    /// Precision the measured code trained in (FP8: its matrix products).
    pub precision: Precision,
    /// Where the figures are.
    pub source: String,
    /// What was assumed, and what the estimate cannot say.
    pub note: String,
    /// Why the run misses the targets, when it is known to (empty otherwise).
    pub outlier: String,
}

/// A measured run with the calculator's `scope=server&efficiency=tuned` prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WallCompared {
    /// The measured run.
    pub run: WallRun,
    /// The share-link query the prediction comes from.
    pub query: String,
    /// Predicted energy of the servers (GPUs and hosts, before PUE), kWh.
    pub energy_kwh: Option<f64>,
    /// Predicted duration, hours.
    pub duration_h: Option<f64>,
    /// The duration's 80 % interval, hours.
    pub duration_interval_h: Option<(f64, f64)>,
    /// Servers the run spans.
    pub nodes: Option<u32>,
}

impl WallRun {
    /// The link of the prediction: the run's own terms and precision, 8 GPUs per server, `tuned`, whole servers.
    pub fn query(&self) -> String {
        format!(
            "{}&gpu={}&n_gpus={}&gpus_per_node=8&epochs=1&precision={}&efficiency=tuned&scope=server",
            self.link, self.gpu, self.n_gpus, self.precision
        )
    }

    /// The prediction for this run.
    pub fn compare(&self, catalog: &Catalog, cal: &Calibration) -> WallCompared {
        let query = self.query();
        let (_, report) = crate::estimate(catalog, cal, &query);
        let head = report.rows.iter().find(|r| r.method == MethodId::Headline);
        WallCompared {
            run: self.clone(),
            query,
            energy_kwh: head.and_then(|h| h.scope_kwh),
            duration_h: head.and_then(|h| h.duration_h),
            duration_interval_h: head.and_then(|h| h.duration_low_h.zip(h.duration_high_h)),
            nodes: report.plans.first().and_then(|p| p.scaling.as_ref()).map(|s| s.nodes),
        }
    }

    /// Measured energy, kWh.
    pub fn measured_kwh(&self) -> f64 {
        self.energy_kj / 3600.0
    }

    /// Measured mean power per server, kW.
    pub fn measured_node_kw(&self, nodes: u32) -> f64 {
        self.measured_kwh() / (self.minutes / 60.0) / f64::from(nodes)
    }
}

impl WallCompared {
    /// Predicted ÷ measured energy.
    pub fn energy_ratio(&self) -> Option<f64> {
        self.energy_kwh.map(|e| e / self.run.measured_kwh())
    }

    /// Predicted ÷ measured duration.
    pub fn time_ratio(&self) -> Option<f64> {
        self.duration_h.map(|h| h * 60.0 / self.run.minutes)
    }

    /// Predicted ÷ measured mean power per server (energy ratio ÷ time ratio).
    pub fn power_ratio(&self) -> Option<f64> {
        self.energy_ratio().zip(self.time_ratio()).map(|(e, t)| e / t)
    }

    /// Whether the measured time lies inside the predicted duration's 80 % interval.
    pub fn time_inside(&self) -> bool {
        self.duration_interval_h.is_some_and(|(l, h)| (l * 60.0..=h * 60.0).contains(&self.run.minutes))
    }

    /// Predicted mean power per server, kW.
    pub fn node_kw(&self) -> Option<f64> {
        self.nodes.and_then(|n| self.power_ratio().map(|r| r * self.run.measured_node_kw(n)))
    }
}

/// Median and largest absolute error of some ratios, % (`None` without any).
pub fn ratio_errors_pct(ratios: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    let e: Vec<f64> = ratios.into_iter().map(|r| (r - 1.0).abs() * 100.0).collect();
    let largest = e.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    crate::fit::median(e).map(|m| (m, largest))
}
