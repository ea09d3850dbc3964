//! Every GPU of the catalogue ranked for one workload, by its headline estimate.
//!
//! A GPU's value on a criterion is its headline estimate (the row `methods::lead` marks, device energy
//! before PUE) with the headline's 80 % interval; where the headline cannot be made (a spec is missing), the
//! median of the other methods on one basis (device energy: Green Algorithms, which includes PUE, is left
//! out), flagged by `n_methods > 1`. Ranking estimates every method for every GPU that passes the
//! filters, then sorts by a criterion.

use serde::Serialize;

use crate::calibration::Calibration;
use crate::catalog::{Catalog, Gpu, Segment};
use crate::methods::{estimate_with_plans, Estimate, GpuPlan, MethodId};
use crate::scenario::Scenario;

/// What to rank by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Criterion {
    /// Energy, kWh.
    Energy,
    /// Duration, h.
    Time,
    /// Emissions, kg CO2e.
    Co2e,
    /// Cost.
    Cost,
}

impl Criterion {
    /// All, in display order.
    pub const ALL: [Criterion; 4] = [Criterion::Energy, Criterion::Time, Criterion::Co2e, Criterion::Cost];

    /// Id.
    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::Energy => "energy",
            Criterion::Time => "time",
            Criterion::Co2e => "co2e",
            Criterion::Cost => "cost",
        }
    }

    /// Unit label.
    pub fn unit(self) -> &'static str {
        match self {
            Criterion::Energy => "kWh",
            Criterion::Time => "h",
            Criterion::Co2e => "kg CO2e",
            Criterion::Cost => "cost",
        }
    }

    fn of(self, e: &Estimate) -> Option<f64> {
        match self {
            Criterion::Energy => e.energy_kwh,
            Criterion::Time => e.duration_h.filter(|_| e.energy_kwh.is_some()),
            Criterion::Co2e => e.co2e_kg,
            Criterion::Cost => e.cost,
        }
    }
}

/// One GPU's value on one quantity: the headline with its interval (`n_methods` 1), or the median and
/// range of the other methods where the headline has no number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consensus {
    /// The headline value (or the median of the methods used).
    pub value: f64,
    /// Low end of the interval (or the lowest method).
    pub low: f64,
    /// High end (or the highest method).
    pub high: f64,
    /// How many methods: 1 for the headline.
    pub n_methods: usize,
}

/// The headline's value on a criterion, with its 80 % interval: the energy's for the GPUs' energy, the
/// duration's for time; the servers' energy (and so CO2e and the electricity cost) takes the energy's factors
/// for the GPUs' part and the duration's for the hosts' (which draw for as long as the run lasts), and the
/// rental cost the duration's. Falls back to [`consensus`] over the methods on the device-energy basis when the
/// headline has no number.
pub fn headline_value(rows: &[&Estimate], criterion: Criterion) -> Option<Consensus> {
    let h = rows.iter().find(|e| e.headline);
    if let Some(h) = h {
        if let Some(v) = criterion.of(h) {
            let factors = |x: Option<f64>, l: Option<f64>, u: Option<f64>| match (x, l, u) {
                (Some(x), Some(l), Some(u)) if x > 0.0 => (l / x, u / x),
                _ => (1.0, 1.0),
            };
            let energy = factors(h.energy_kwh, h.low_kwh, h.high_kwh);
            let time = factors(h.duration_h, h.duration_low_h, h.duration_high_h);
            // The scope's energy: the GPUs' with the energy's factors, the hosts' (the rest) with the duration's.
            let scope = match (h.energy_kwh, h.scope_kwh) {
                (Some(e), Some(s)) if s > 0.0 => {
                    let mix = |a: f64, b: f64| (e * a + (s - e) * b) / s;
                    (mix(energy.0, time.0), mix(energy.1, time.1))
                }
                _ => energy,
            };
            let (low, high) = match criterion {
                Criterion::Energy => (v * energy.0, v * energy.1),
                Criterion::Time => (v * time.0, v * time.1),
                Criterion::Co2e => (v * scope.0, v * scope.1),
                Criterion::Cost => {
                    let (rent, elec) = (h.rental_cost.unwrap_or(0.0), h.energy_cost.unwrap_or(0.0));
                    (rent * time.0 + elec * scope.0, rent * time.1 + elec * scope.1)
                }
            };
            return Some(Consensus { value: v, low, high, n_methods: 1 });
        }
    }
    let others: Vec<&Estimate> =
        rows.iter().copied().filter(|e| e.method != MethodId::Headline && !e.method.includes_pue()).collect();
    consensus(&others, criterion)
}

/// Consensus of one quantity over one GPU's estimates.
pub fn consensus(rows: &[&Estimate], criterion: Criterion) -> Option<Consensus> {
    let mut values: Vec<f64> = rows.iter().filter_map(|e| criterion.of(e)).filter(|x| x.is_finite()).collect();
    crate::order::sort_by(&mut values, f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return None;
    }
    let median = if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 };
    Some(Consensus { value: median, low: values[0], high: values[n - 1], n_methods: n })
}

/// Which GPUs to rank.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Only this vendor (`NVIDIA`, `AMD`, `Google`).
    pub vendor: Option<String>,
    /// Only this segment.
    pub segment: Option<Segment>,
}

/// One GPU's consensus on every criterion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    /// GPU id.
    pub gpu: String,
    /// Energy.
    pub energy_kwh: Option<Consensus>,
    /// Duration.
    pub duration_h: Option<Consensus>,
    /// Emissions.
    pub co2e_kg: Option<Consensus>,
    /// Cost.
    pub cost: Option<Consensus>,
    /// Whether the memory check found the run too large for this GPU type at the scenario's GPU count
    /// (ranked after every GPU that holds it).
    pub cannot_hold: bool,
    /// What the memory check says ("fits: …", "does not fit: needs ≥ 4 GPUs …"), when it could check.
    pub memory: Option<String>,
}

impl Ranked {
    /// The consensus of one criterion.
    pub fn get(&self, c: Criterion) -> Option<&Consensus> {
        match c {
            Criterion::Energy => self.energy_kwh.as_ref(),
            Criterion::Time => self.duration_h.as_ref(),
            Criterion::Co2e => self.co2e_kg.as_ref(),
            Criterion::Cost => self.cost.as_ref(),
        }
    }
}

/// Every GPU passing `filter` with its consensus on every criterion, in catalogue order. Each method runs
/// once per GPU; ranking by any criterion is then a sort ([`sorted_by`]).
pub fn rank_all(catalog: &Catalog, cal: &Calibration, scenario: &Scenario, filter: &Filter) -> Vec<Ranked> {
    let gpus: Vec<&Gpu> = catalog
        .gpus
        .gpus
        .iter()
        .filter(|g| filter.vendor.as_deref().is_none_or(|v| g.vendor.eq_ignore_ascii_case(v)))
        .filter(|g| filter.segment.is_none_or(|s| g.segment == s))
        .collect();
    let mut s = scenario.clone();
    s.gpus = gpus.iter().map(|g| g.id.clone()).collect();
    let (rows, plans) = estimate_with_plans(catalog, cal, &s);
    gpus.iter().map(|g| ranked(&g.id, &rows, &plans, scenario)).collect()
}

/// One GPU's row of the ranking from the estimates and plans of a run (its headline value on every criterion,
/// and whether it can hold the run).
pub fn ranked(gpu: &str, rows: &[Estimate], plans: &[GpuPlan], scenario: &Scenario) -> Ranked {
    let mine: Vec<&Estimate> = rows.iter().filter(|e| e.gpu == gpu).collect();
    let plan = plans.iter().find(|p| p.gpu == gpu);
    Ranked {
        gpu: gpu.to_string(),
        energy_kwh: headline_value(&mine, Criterion::Energy),
        duration_h: headline_value(&mine, Criterion::Time),
        co2e_kg: headline_value(&mine, Criterion::Co2e),
        cost: headline_value(&mine, Criterion::Cost),
        cannot_hold: plan.is_some_and(|p| p.cannot_hold(scenario)),
        memory: plan.and_then(|p| p.memory.as_ref()).map(|m| m.verdict()),
    }
}

/// The GPUs that have `criterion`, lowest consensus first, and how many lack it.
pub fn sorted_by(all: &[Ranked], criterion: Criterion) -> (Vec<&Ranked>, usize) {
    let mut with: Vec<&Ranked> = all.iter().filter(|r| r.get(criterion).is_some()).collect();
    crate::order::sort_by(&mut with, |a, b| {
        let (x, y) =
            (a.get(criterion).map_or(f64::INFINITY, |c| c.value), b.get(criterion).map_or(f64::INFINITY, |c| c.value));
        // A GPU that cannot hold the run is never ranked above one that can.
        a.cannot_hold.cmp(&b.cannot_hold).then(x.total_cmp(&y)).then_with(|| a.gpu.cmp(&b.gpu))
    });
    let missing = all.len() - with.len();
    (with, missing)
}

/// A lower-carbon place to run the same job: a cloud region, with the factor to multiply this region's
/// emissions by.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionAdvice<'c> {
    /// The cloud region.
    pub region: &'c crate::catalog::Region,
    /// Its source table (for the intensity's provenance).
    pub source: Option<&'c crate::catalog::SourceRef>,
    /// Its emissions ÷ those of the scenario's region (grid intensity × PUE each), below 1.
    pub factor: f64,
}

/// The cloud region where this run would emit least, where that is less than here: among the regions of
/// the scenario's provider when its region is a cloud region, else among every provider's. Grid intensity ×
/// PUE (the user's PUE when set, else each region's default). A country is never proposed: one cannot
/// rent GPUs from a national grid, and the catalogue does not say which countries have GPU regions.
pub fn lower_carbon_region<'c>(catalog: &'c Catalog, scenario: &Scenario) -> Option<RegionAdvice<'c>> {
    use crate::catalog::RegionKind;
    let factor = |r: &crate::catalog::Region| {
        let pue = scenario.pue.or_else(|| catalog.default_pue_for(r).map(|p| p.pue)).unwrap_or(1.0);
        r.intensity_g_per_kwh * pue
    };
    let here_region = catalog.region(&scenario.region)?;
    let here = factor(here_region);
    let provider = here_region.provider.as_deref().filter(|_| here_region.kind == RegionKind::Cloud);
    let best = catalog
        .regions
        .regions
        .iter()
        .filter(|r| r.kind == RegionKind::Cloud && provider.is_none_or(|p| r.provider.as_deref() == Some(p)))
        .min_by(|a, b| factor(a).total_cmp(&factor(b)).then_with(|| a.id.cmp(&b.id)))?;
    (factor(best) < here && here > 0.0).then(|| RegionAdvice {
        region: best,
        source: catalog.source(&best.source),
        factor: factor(best) / here,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::MethodId;

    fn est(method: MethodId, kwh: Option<f64>) -> Estimate {
        Estimate {
            gpu: "g".into(),
            method,
            energy_kwh: kwh,
            low_kwh: None,
            high_kwh: None,
            duration_h: Some(1.0),
            duration_estimated: false,
            duration_low_h: None,
            duration_high_h: None,
            host_kwh: None,
            scope_kwh: kwh,
            co2e_kg: None,
            cost: None,
            rental_cost: None,
            energy_cost: None,
            warnings: vec![],
            evidence: None,
            headline: method == MethodId::Headline,
        }
    }

    /// The advice names a cloud region, of the same provider when the run is in one, lower than here, and
    /// nothing when here is already the lowest; never a country.
    #[test]
    fn lower_carbon_advice_is_a_cloud_region_of_the_chosen_provider() {
        use crate::catalog::RegionKind;
        let catalog = Catalog::embedded().unwrap();
        let s = Scenario::default_for(&catalog);
        let by_factor = |region: &str| {
            let mut sc = s.clone();
            sc.region = region.into();
            lower_carbon_region(&catalog, &sc)
        };
        for here in ["FR", "WORLD", "PL", "aws:us-east-1", "azure:westeurope", "gcp:us-central1"] {
            let Some(here_r) = catalog.region(here) else { panic!("{here} not in the catalogue") };
            let a = by_factor(here).unwrap_or_else(|| panic!("{here}: no advice"));
            assert_eq!(a.region.kind, RegionKind::Cloud, "{here}: {}", a.region.id);
            assert!(a.factor < 1.0, "{here}: {}", a.factor);
            assert!(a.source.is_some(), "{here}: {} has no source", a.region.id);
            if here_r.kind == RegionKind::Cloud {
                assert_eq!(a.region.provider, here_r.provider, "{here}: {}", a.region.id);
            } else {
                // Among every provider, the advice is a region whose figure has a year (Google's yearly data).
                assert!(a.region.year.is_some(), "{here}: {} has no year", a.region.id);
            }
            // The advice is the lowest of its candidates: following it gives no further advice.
            assert!(by_factor(&a.region.id).is_none(), "{here} → {} → more", a.region.id);
        }
        // A grid already below every cloud region (the Central African Republic's 0 g/kWh) gets none.
        assert!(by_factor("CF").is_none());
    }

    #[test]
    fn ranking_uses_the_headline_and_its_interval() {
        let mut h = est(MethodId::Headline, Some(4.0));
        (h.low_kwh, h.high_kwh, h.co2e_kg) = (Some(2.0), Some(8.0), Some(1.0));
        let rows = [h, est(MethodId::Mlco2, Some(10.0)), est(MethodId::PreEpoch, Some(1.0))];
        let refs: Vec<&Estimate> = rows.iter().collect();
        let e = headline_value(&refs, Criterion::Energy).unwrap();
        assert_eq!((e.value, e.low, e.high, e.n_methods), (4.0, 2.0, 8.0, 1));
        // CO2e scales with energy: the same factors (0.5, 2).
        let c = headline_value(&refs, Criterion::Co2e).unwrap();
        assert_eq!((c.value, c.low, c.high), (1.0, 0.5, 2.0));
        // Time has the duration's interval; with hosts (server scope), their energy follows the duration, and the
        // rental cost does too: GPUs 4 kWh (2–8), hosts 4 kWh over 1 h (0.5–3 h), so the servers' 8 kWh span
        // 2 + 2 = 4 to 8 + 12 = 20 kWh (× 0.5 to × 2.5); cost 10 rental (5–30) + 2 electricity (1–5).
        let mut h = est(MethodId::Headline, Some(4.0));
        (h.low_kwh, h.high_kwh, h.duration_low_h, h.duration_high_h) = (Some(2.0), Some(8.0), Some(0.5), Some(3.0));
        (h.scope_kwh, h.co2e_kg, h.rental_cost, h.energy_cost, h.cost) =
            (Some(8.0), Some(8.0), Some(10.0), Some(2.0), Some(12.0));
        let refs = [&h];
        let t = headline_value(&refs, Criterion::Time).unwrap();
        assert_eq!((t.value, t.low, t.high), (1.0, 0.5, 3.0));
        let c = headline_value(&refs, Criterion::Co2e).unwrap();
        assert_eq!((c.low, c.high), (4.0, 20.0));
        let k = headline_value(&refs, Criterion::Cost).unwrap();
        assert_eq!((k.low, k.high), (6.0, 35.0));
        // Without a headline number: the median of the other methods on the device basis (Green Algorithms,
        // which includes PUE, left out): {10, 1} → 5.5.
        let rows = [
            est(MethodId::Headline, None),
            est(MethodId::Mlco2, Some(10.0)),
            est(MethodId::PreEpoch, Some(1.0)),
            est(MethodId::GreenAlgorithms, Some(100.0)),
        ];
        let refs: Vec<&Estimate> = rows.iter().collect();
        let e = headline_value(&refs, Criterion::Energy).unwrap();
        assert_eq!((e.value, e.n_methods), (5.5, 2));
        // Where PRE leads (`methods::lead`), the ranking takes its number, not the time × power model's.
        let mut pre = est(MethodId::PrePower, Some(3.0));
        pre.headline = true;
        let mut tp = est(MethodId::Headline, Some(4.0));
        tp.headline = false;
        let rows = [tp, pre];
        let refs: Vec<&Estimate> = rows.iter().collect();
        assert_eq!(headline_value(&refs, Criterion::Energy).unwrap().value, 3.0);
    }

    #[test]
    fn consensus_is_the_median_of_the_methods_with_a_number() {
        let rows =
            [est(MethodId::PrePower, Some(3.0)), est(MethodId::PreEpoch, Some(1.0)), est(MethodId::Mlco2, Some(10.0))];
        let refs: Vec<&Estimate> = rows.iter().collect();
        let c = consensus(&refs, Criterion::Energy).unwrap();
        // Median of {1, 3, 10} = 3, spread 1..10.
        assert_eq!((c.value, c.low, c.high, c.n_methods), (3.0, 1.0, 10.0, 3));
        let rows = [est(MethodId::StepPower, None), est(MethodId::Mlco2, Some(10.0)), est(MethodId::Flops, Some(4.0))];
        let refs: Vec<&Estimate> = rows.iter().collect();
        let c = consensus(&refs, Criterion::Energy).unwrap();
        assert_eq!((c.value, c.n_methods), (7.0, 2));
        assert!(consensus(&refs, Criterion::Cost).is_none(), "no price: no cost consensus");
    }

    #[test]
    fn ranking_is_sorted_filtered_and_counts_what_it_leaves_out() {
        let catalog = Catalog::embedded().unwrap();
        let cal = Calibration::embedded().unwrap();
        let q = crate::ScenarioQuery::parse("arch=tv-resnet50&epochs=10&samples=100000&region=FR");
        let s = crate::resolve(&q, &catalog).scenario;
        let table = rank_all(&catalog, &cal, &s, &Filter::default());
        assert_eq!(table.len(), catalog.gpus.gpus.len());
        let (all, missing) = sorted_by(&table, Criterion::Energy);
        assert_eq!(all.len() + missing, catalog.gpus.gpus.len());
        let value = |r: &Ranked| r.get(Criterion::Energy).unwrap().value;
        assert!(all.windows(2).all(|w| value(w[0]) <= value(w[1])));
        let (by_cost, no_cost) = sorted_by(&table, Criterion::Cost);
        assert_eq!((by_cost.len(), no_cost), (0, table.len()), "no price given: nothing to rank by cost");
        let amd = Filter { vendor: Some("AMD".into()), ..Filter::default() };
        let only_amd = rank_all(&catalog, &cal, &s, &amd);
        assert!(!only_amd.is_empty() && only_amd.iter().all(|r| r.gpu.starts_with("amd-")));
        // Llama-2-70B needs 69e9 × 16 B ≈ 1,100 GB: no single GPU holds it, every row says so.
        let q = crate::ScenarioQuery::parse("arch=llama-2-70b&n_gpus=1");
        let big = crate::resolve(&q, &catalog).scenario;
        let table = rank_all(&catalog, &cal, &big, &Filter::default());
        assert!(table.iter().filter(|r| r.memory.is_some()).all(|r| r.cannot_hold), "one GPU holds 70B?");
    }

    /// A full fine-tune of an 8B model on one GPU: no GPU that cannot hold it is ranked above one that
    /// can; a 2 GB card is never near the top; with the check off the order is by energy alone.
    #[test]
    fn gpus_that_cannot_hold_the_run_are_ranked_after_those_that_can() {
        let catalog = Catalog::embedded().unwrap();
        let cal = Calibration::embedded().unwrap();
        let s = |q: &str| crate::resolve(&crate::ScenarioQuery::parse(q), &catalog).scenario;
        let on = s("arch=llama-3.1-8b&mode=lora&samples=100M&epochs=1&n_gpus=1");
        let table = rank_all(&catalog, &cal, &on, &Filter::default());
        let (sorted, _) = sorted_by(&table, Criterion::Energy);
        let first_unfit = sorted.iter().position(|r| r.cannot_hold).unwrap();
        assert!(sorted[first_unfit..].iter().all(|r| r.cannot_hold), "a fitting GPU after an unfit one");
        assert!(first_unfit > 0, "nothing holds a LoRA of 8B on one GPU?");
        let gtx = sorted.iter().position(|r| r.gpu == "nvidia-gtx-750-ti").unwrap();
        assert!(gtx >= first_unfit, "the 2 GB GTX 750 Ti ranked {gtx} among GPUs that fit");
        let off = s("arch=llama-3.1-8b&mode=lora&samples=100M&epochs=1&n_gpus=1&memory=off");
        let table = rank_all(&catalog, &cal, &off, &Filter::default());
        assert!(table.iter().all(|r| !r.cannot_hold));
    }
}
