//! WattCast's estimation core: catalogues, scenarios and share links, and the energy estimation
//! methods. Pure: it parses strings and returns values, with no file, clock, environment, network or
//! printing (natively, the fits' held-out groups share the machine's cores: [`par`]). The CLI
//! (`collector`) and the site (`web`) are thin shells over [`estimate`].
//!
//! ```
//! let catalog = estimator::Catalog::embedded().unwrap();
//! let cal = estimator::Calibration::embedded().unwrap();
//! let q = estimator::ScenarioQuery::parse("arch=tv-resnet50&gpu=nvidia-a100-sxm4-80gb&hours=10");
//! let r = estimator::resolve(&q, &catalog);
//! let rows = estimator::estimate_all(&catalog, &cal, &r.scenario);
//! let mlco2 = rows.iter().find(|e| e.method == estimator::MethodId::Mlco2).unwrap();
//! assert_eq!(mlco2.energy_kwh, Some(4.0)); // 400 W × 10 h
//! ```

pub mod backbone;
pub mod bench;
pub mod calibration;
pub mod catalog;
pub mod error;
pub mod eval;
pub mod export;
pub mod fit;
pub mod fmath;
pub mod format;
pub mod merge;
pub mod methods;
pub mod order;
pub mod par;
pub mod profile;
pub mod query;
pub mod rank;
pub mod references;
pub mod scenario;
#[cfg(feature = "schema")]
pub mod schema;
pub mod siblings;
pub mod snapshot;

pub use calibration::Calibration;
pub use catalog::{ArchCatalog, Architecture, Catalog, Gpu, GpuCatalog, Region, RegionCatalog};
pub use error::{DataError, QueryError};
pub use methods::{estimate_all, Estimate, MethodId, Site};
pub use query::ScenarioQuery;
pub use scenario::{resolve, ArchChoice, Precision, Resolved, Scenario};

use serde::Serialize;

/// The answer to one query: what `wattcast estimate --json` prints and what the page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Data version the numbers were computed with.
    pub data_version: String,
    /// The canonical share-link query of the scenario.
    pub query: String,
    /// Notices about the link (unknown keys, older data version).
    pub notices: Vec<String>,
    /// Invalid values in the link (their keys took defaults).
    pub errors: Vec<String>,
    /// Whose energy the CO2e and cost count.
    pub scope: scenario::Scope,
    /// Currency of every cost.
    pub currency: String,
    /// The site factors every estimate used: PUE and its source, grid intensity, electricity price.
    pub site: Site,
    /// One row per GPU and method.
    pub rows: Vec<Estimate>,
    /// Per GPU: memory fit, servers, scaling, utilisation.
    pub plans: Vec<methods::GpuPlan>,
}

/// Resolves a query string (or full URL) and estimates every method for every GPU in it.
pub fn estimate(catalog: &Catalog, cal: &Calibration, query: &str) -> (Resolved, Report) {
    estimate_query(catalog, cal, &ScenarioQuery::parse(query))
}

/// [`estimate`] for an already parsed query.
pub fn estimate_query(catalog: &Catalog, cal: &Calibration, query: &ScenarioQuery) -> (Resolved, Report) {
    let resolved = resolve(query, catalog);
    let (rows, plans) = methods::estimate_with_plans(catalog, cal, &resolved.scenario);
    let report = Report {
        data_version: catalog.data_version().to_string(),
        query: resolved.scenario.to_query(catalog.data_version()).to_query_string(),
        notices: resolved.notices.clone(),
        errors: resolved.errors.iter().map(ToString::to_string).collect(),
        scope: resolved.scenario.job.scope,
        currency: resolved.scenario.job.currency.clone(),
        site: Site::of(&resolved.scenario, catalog),
        rows,
        plans,
    };
    (resolved, report)
}

impl Report {
    /// What is wrong with the numbers, if anything: every number shown must be finite and not negative,
    /// and an interval must hold its estimate. Empty for every report the estimator makes; the fuzz targets
    /// and property tests assert it.
    pub fn invariant_violations(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.rows {
            let named = [
                ("energy_kwh", r.energy_kwh),
                ("low_kwh", r.low_kwh),
                ("high_kwh", r.high_kwh),
                ("duration_h", r.duration_h),
                ("duration_low_h", r.duration_low_h),
                ("duration_high_h", r.duration_high_h),
                ("host_kwh", r.host_kwh),
                ("scope_kwh", r.scope_kwh),
                ("co2e_kg", r.co2e_kg),
                ("cost", r.cost),
                ("rental_cost", r.rental_cost),
                ("energy_cost", r.energy_cost),
            ];
            for (field, v) in named {
                if let Some(v) = v.filter(|v| !v.is_finite() || *v < 0.0) {
                    out.push(format!("{} {}: {field} = {v}", r.gpu, r.method.as_str()));
                }
            }
            for (lo, e, hi) in
                [(r.low_kwh, r.energy_kwh, r.high_kwh), (r.duration_low_h, r.duration_h, r.duration_high_h)]
            {
                let (Some(lo), Some(e), Some(hi)) = (lo, e, hi) else { continue };
                // Relative slack: the interval is the estimate times factors, rounded once more.
                if lo > e * (1.0 + 1e-12) || e > hi * (1.0 + 1e-12) {
                    out.push(format!("{} {}: interval {lo}–{hi} does not hold {e}", r.gpu, r.method.as_str()));
                }
            }
        }
        out
    }
}
