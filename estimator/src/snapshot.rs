//! The site's copy of the embedded data: the catalogue and the calibration as the estimator's own values,
//! written at build time (by `web/build.rs`, from [`Catalog::embedded`] and [`Calibration::embedded`]) in
//! postcard's compact binary format, and read back in the page by [`Snapshot::read`].
//!
//! Why: the page then needs no JSON parser for its ~470 KB of data. serde's JSON code for every catalogue
//! and model type was about a sixth of the site's wasm; postcard's reader for the same types is a fraction of
//! it, and parses faster. Numbers keep their bits (postcard writes the `f64` itself), so the page and the CLI
//! still compute the same bits. The committed data stays JSON; this format lives only in a build directory.
//!
//! What differs from the JSON files:
//! - the per-entry text the page never shows is left out (a GPU's or an architecture's `source` emptied and
//!   `notes` dropped, a region's or PUE default's `detail` dropped; about 12 KB of the gzipped wasm; a GPU's NVML
//!   names, which only the recorder matches, and an architecture's `task` and `framework` emptied: 0.6 KB);
//!   every number and id stays;
//! - of the accuracy only what the page shows or computes with: the methods' rows under the protocols it quotes,
//!   each with its runs, MAPE and residual quantiles (its interval); the other rows and statistics and the
//!   leave-one-GPU-out detail are left out (1.0 KB of the gzipped wasm);
//! - `wattcast fit` fits the three PRE models on the same configurations, so their support vectors are
//!   usually identical: those of `pre-epoch` and `duration` are then kept once, with `pre-power`'s; their
//!   dual coefficients, which `wattcast fit` keeps in single precision, are written as `f32`;
//! - a STEP profile's `source` only where it differs from the previous profile's (read back, it is filled in);
//! - postcard reads every member in order, so optional members are always written (see [`omit_none`]), and
//!   the members the JSON flattens (file headers, a model's kind) are plain members here;
//! - measured numbers (power-limit curves, STEP summaries) are written as their shortest decimal, a mantissa
//!   and a power of ten ([`decimal`]): `26.1` takes 2–3 bytes instead of an `f64`'s 8, which compress badly,
//!   and reads back to the same bits.

use std::cell::Cell;

use serde::{Deserialize, Serialize};

use crate::backbone::Backbone;
use crate::calibration::{Calibration, CalibrationSummary, EvalResult, Evaluated, Split};
use crate::catalog::{ArchCatalog, Architecture, DataHeader, Gpu, GpuCatalog, PueDefault, Region, RegionCatalog};
use crate::fit::{Diagnostics, FittedModel, KernelFit, LinearFit, Regression, Target};
use crate::{Catalog, DataError};

thread_local! {
    /// Set while [`Snapshot::to_bytes`] writes.
    static WRITING: Cell<bool> = const { Cell::new(false) };
}

/// `skip_serializing_if` for a number that is 0 for most entries: left out of JSON when 0 (`#[serde(default)]` reads
/// it back), always written in a snapshot, as [`omit_none`].
pub(crate) fn is_zero(value: &f64) -> bool {
    *value == 0.0 && !WRITING.with(Cell::get)
}

/// `skip_serializing_if` for the optional members of the embedded data: left out of JSON when `None`, always
/// written in a snapshot (a postcard reader takes members by position, not by name).
pub(crate) fn omit_none<T>(value: &Option<T>) -> bool {
    value.is_none() && !WRITING.with(Cell::get)
}

/// A number as the shortest decimal that reads back as it, `mantissa × 10^exponent`, or (`exponent` =
/// [`Decimal::BITS`]) as its bits where there is none within an exact `f64` operation's reach.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Decimal {
    mantissa: i64,
    exponent: i8,
}

/// Powers of ten an `f64` holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

impl Decimal {
    /// The exponent that marks a number kept as its bits.
    const BITS: i8 = i8::MIN;

    /// The number: one multiplication or division of exact operands (a mantissa below 2^53 and a power of
    /// ten up to 10^22), so correctly rounded, as a decimal parser would read it.
    fn value(self) -> f64 {
        let Decimal { mantissa, exponent } = self;
        match exponent {
            Self::BITS => f64::from_bits(mantissa as u64),
            e if e >= 0 => mantissa as f64 * POW10[e.unsigned_abs() as usize],
            e => mantissa as f64 / POW10[e.unsigned_abs() as usize],
        }
    }

    /// The shortest decimal of `x` (Rust's `{:e}` prints it), if it reads back to the same bits.
    fn of(x: f64) -> Self {
        let short = || -> Option<Decimal> {
            let text = format!("{x:e}");
            let (digits, exp) = text.split_once('e')?;
            let negative = digits.starts_with('-');
            let digits: String = digits.chars().filter(char::is_ascii_digit).collect();
            let exponent = exp.parse::<i32>().ok()? - (digits.len() as i32 - 1);
            let mantissa = digits.parse::<i64>().ok()?;
            let d = Decimal {
                mantissa: if negative { -mantissa } else { mantissa },
                exponent: i8::try_from(exponent).ok().filter(|e| e.unsigned_abs() <= 22)?,
            };
            (mantissa < 1 << 53 && d.value().to_bits() == x.to_bits()).then_some(d)
        };
        short().unwrap_or(Decimal { mantissa: x.to_bits() as i64, exponent: Self::BITS })
    }
}

/// `#[serde(with = "crate::snapshot::decimal")]` for an `f64` member: a plain number in JSON, a [`Decimal`] in
/// a snapshot (and in any format that is not human-readable).
pub(crate) mod decimal {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Decimal;

    pub(crate) fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_f64(*x)
        } else {
            Decimal::of(*x).serialize(s)
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        if d.is_human_readable() {
            f64::deserialize(d)
        } else {
            Decimal::deserialize(d).map(Decimal::value)
        }
    }
}

/// [`decimal`] for an `Option<f64>` member.
pub(crate) mod decimal_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Decimal;

    pub(crate) fn serialize<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            x.serialize(s)
        } else {
            x.map(Decimal::of).serialize(s)
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        if d.is_human_readable() {
            Option::deserialize(d)
        } else {
            Ok(Option::<Decimal>::deserialize(d)?.map(Decimal::value))
        }
    }
}

/// [`decimal`] for a `Vec<f64>` member.
pub(crate) mod decimals {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Decimal;

    pub(crate) fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            v.serialize(s)
        } else {
            v.iter().map(|x| Decimal::of(*x)).collect::<Vec<_>>().serialize(s)
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        if d.is_human_readable() {
            Vec::deserialize(d)
        } else {
            Ok(Vec::<Decimal>::deserialize(d)?.into_iter().map(Decimal::value).collect())
        }
    }
}

/// A fitted model with its kind as a plain member (the JSON flattens it into the model's members).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Model {
    schema_version: u32,
    target: Target,
    features: Vec<String>,
    mean: Vec<f64>,
    scale: Vec<f64>,
    intercept: f64,
    regression: Kind,
    diagnostics: Diagnostics,
}

/// [`Regression`], externally tagged (postcard cannot read the JSON's internal `kind` tag).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Kind {
    Linear(LinearFit),
    Ridge(LinearFit),
    Krr(Kernel),
}

/// [`KernelFit`] with its support vectors by feature (each feature takes a handful of values, so a column
/// compresses to little) and its dual coefficients in the single precision `wattcast fit` keeps them in
/// (half the bytes; [`Snapshot::of`] refuses a model whose coefficients are not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Kernel {
    lambda: f64,
    gamma: f64,
    support_by_feature: Vec<Vec<f64>>,
    alpha: Vec<f32>,
}

impl Kernel {
    fn of(k: KernelFit) -> Option<Self> {
        let KernelFit { lambda, gamma, support, alpha } = k;
        let width = support.first().map_or(0, Vec::len);
        if support.iter().any(|s| s.len() != width) {
            return None;
        }
        let support_by_feature = (0..width).map(|j| support.iter().map(|s| s[j]).collect()).collect();
        #[allow(clippy::float_cmp)] // exactly representable, or refused
        let alpha = alpha.into_iter().map(|a| (f64::from(a as f32) == a).then_some(a as f32)).collect::<Option<_>>()?;
        Some(Kernel { lambda, gamma, support_by_feature, alpha })
    }
}

impl From<Kernel> for KernelFit {
    fn from(k: Kernel) -> Self {
        let Kernel { lambda, gamma, support_by_feature: columns, alpha } = k;
        let n = columns.first().map_or(0, Vec::len);
        let support = (0..n).map(|i| columns.iter().map(|c| c[i]).collect()).collect();
        KernelFit { lambda, gamma, support, alpha: alpha.into_iter().map(f64::from).collect() }
    }
}

impl Model {
    /// `None` when the model's kernel coefficients are not single precision.
    fn of(m: FittedModel) -> Option<Self> {
        let FittedModel { schema_version, target, features, mean, scale, intercept, regression, diagnostics } = m;
        let regression = match regression {
            Regression::Linear(f) => Kind::Linear(f),
            Regression::Ridge(f) => Kind::Ridge(f),
            Regression::Krr(k) => Kind::Krr(Kernel::of(k)?),
        };
        Some(Model { schema_version, target, features, mean, scale, intercept, regression, diagnostics })
    }
}

impl From<Model> for FittedModel {
    fn from(m: Model) -> Self {
        let Model { schema_version, target, features, mean, scale, intercept, regression, diagnostics } = m;
        let regression = match regression {
            Kind::Linear(f) => Regression::Linear(f),
            Kind::Ridge(f) => Regression::Ridge(f),
            Kind::Krr(k) => Regression::Krr(k.into()),
        };
        FittedModel { schema_version, target, features, mean, scale, intercept, regression, diagnostics }
    }
}

/// `catalog` without the text the page never shows: a GPU's or an architecture's `source` emptied
/// (it is required) and `notes` dropped, a GPU's NVML names (the recorder's) and an architecture's `task` and
/// `framework` emptied, a region's or PUE default's `detail` dropped, and each file's
/// generating command and its source tables' URLs emptied (the page shows their names, attributions and
/// licences).
fn without_unshown_text(mut catalog: Catalog) -> Catalog {
    for header in [&mut catalog.gpus.header, &mut catalog.archs.header, &mut catalog.regions.header] {
        header.generated_by.clear();
        header.sources.iter_mut().for_each(|s| s.url.clear());
    }
    for g in &mut catalog.gpus.gpus {
        g.source.clear();
        g.notes = None;
        g.nvml_names.clear();
    }
    for a in &mut catalog.archs.architectures {
        a.source.clear();
        a.notes = None;
        a.task.clear();
        a.framework.clear();
    }
    for p in &mut catalog.regions.pue_defaults {
        p.detail = None;
    }
    for r in &mut catalog.regions.regions {
        r.detail = None;
    }
    catalog
}

/// The summary without the statistics the page neither shows nor computes with: the methods' rows under the
/// protocols it quotes (not the backbone's parts, which its bands carry, nor random k-fold or STEP after 10 %), and
/// of each the runs, the MAPE and the residual quantiles (the intervals); the leave-one-GPU-out detail goes.
fn without_unshown_statistics(mut summary: CalibrationSummary) -> CalibrationSummary {
    summary.accuracy.retain(|r| {
        matches!(r.method, Evaluated::Method(_)) && !matches!(r.protocol.split, Split::Kfold | Split::Observe10)
    });
    for r in &mut summary.accuracy {
        let EvalResult { median_abs_pct, p90_abs_pct, rmse_kj, bias_pct, mlco2_rmse_kj, coverage_80_pct, .. } = r;
        for x in [median_abs_pct, p90_abs_pct, rmse_kj, bias_pct, mlco2_rmse_kj, coverage_80_pct] {
            *x = None;
        }
        (r.spearman_median, r.top1_regret_median_pct) = (None, None);
        (r.n_not_stable, r.n_within_5pct, r.n_gpus) = (None, None, None);
    }
    summary.leave_gpu_out.clear();
    summary
}

/// The data the page runs on, in the order it is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    gpus: (DataHeader, Vec<Gpu>),
    archs: (DataHeader, String, Vec<Architecture>),
    regions: (DataHeader, Vec<PueDefault>, Vec<Region>),
    /// `pre-power`, `pre-epoch`, `duration`.
    models: [Model; 3],
    /// Whether `pre-epoch`'s and `duration`'s support vectors are `pre-power`'s (left empty here).
    shares_support: [bool; 2],
    summary: CalibrationSummary,
    backbone: Option<Backbone>,
}

impl Snapshot {
    /// The site's copy of a catalogue and a calibration (see the module documentation for what it leaves out);
    /// an error for a model `wattcast fit` did not write (kernel coefficients beyond single precision).
    pub fn of(catalog: &Catalog, calibration: &Calibration) -> Result<Self, DataError> {
        let Catalog { gpus, archs, regions } = without_unshown_text(catalog.clone());
        let GpuCatalog { header: gpu_header, gpus: gpu_list } = gpus;
        let ArchCatalog { header: arch_header, flops_convention, architectures: arch_list } = archs;
        let RegionCatalog { header: region_header, pue_defaults, regions: region_list } = regions;
        let Calibration { power, energy, duration, summary, backbone, .. } = calibration.clone();
        let mut summary = without_unshown_statistics(summary);
        // A STEP profile's source is written only where it differs from the one before (all 304 share one today).
        let mut previous = String::new();
        for p in &mut summary.step_profiles {
            if p.source == previous {
                p.source.clear();
            } else {
                previous.clone_from(&p.source);
            }
        }
        let model = |m: FittedModel| {
            let target = m.target;
            Model::of(m).ok_or_else(|| DataError::Invalid {
                file: "models",
                id: format!("{target:?}"),
                reason:
                    "kernel coefficients beyond single precision, or support vectors of unequal lengths: not a model \
`wattcast fit` wrote"
                        .into(),
            })
        };
        let mut models = [model(power)?, model(energy)?, model(duration)?];
        let [power, rest @ ..] = &mut models;
        let mut shares_support = [false; 2];
        if let Kind::Krr(first) = &power.regression {
            for (model, shares) in rest.iter_mut().zip(&mut shares_support) {
                if let Kind::Krr(k) = &mut model.regression {
                    if !first.support_by_feature.is_empty() && k.support_by_feature == first.support_by_feature {
                        k.support_by_feature = Vec::new();
                        *shares = true;
                    }
                }
            }
        }
        Ok(Snapshot {
            gpus: (gpu_header, gpu_list),
            archs: (arch_header, flops_convention, arch_list),
            regions: (region_header, pue_defaults, region_list),
            models,
            shares_support,
            summary,
            backbone,
        })
    }

    /// The snapshot in postcard's format.
    pub fn to_bytes(&self) -> Vec<u8> {
        struct Writing;
        impl Drop for Writing {
            fn drop(&mut self) {
                WRITING.with(|w| w.set(false));
            }
        }
        WRITING.with(|w| w.set(true));
        let _writing = Writing;
        postcard::to_allocvec(self).expect("every member of the embedded data has a postcard form")
    }

    /// The catalogue and the calibration of a snapshot written by [`Snapshot::to_bytes`], the catalogue
    /// checked as [`Catalog::from_json`] checks it.
    pub fn read(bytes: &[u8]) -> Result<(Catalog, Calibration), DataError> {
        // postcard's own messages are 0.3 KB of the page's wasm; build.rs reads every snapshot back first.
        let snapshot: Snapshot = postcard::from_bytes(bytes).map_err(|_| DataError::Json {
            file: "the embedded snapshot",
            message: "not a snapshot this version of WattCast wrote".into(),
        })?;
        snapshot.into_parts()
    }

    fn into_parts(self) -> Result<(Catalog, Calibration), DataError> {
        let Snapshot { gpus, archs, regions, models, shares_support, mut summary, backbone } = self;
        let mut previous = String::new();
        for p in &mut summary.step_profiles {
            if p.source.is_empty() {
                p.source.clone_from(&previous);
            } else {
                previous.clone_from(&p.source);
            }
        }
        let catalog = Catalog {
            gpus: GpuCatalog { header: gpus.0, gpus: gpus.1 },
            archs: ArchCatalog { header: archs.0, flops_convention: archs.1, architectures: archs.2 },
            regions: RegionCatalog { header: regions.0, pue_defaults: regions.1, regions: regions.2 },
        };
        catalog.check()?;
        let [power, mut energy, mut duration] = models.map(FittedModel::from);
        for (model, shares) in [&mut energy, &mut duration].into_iter().zip(shares_support) {
            if let (true, Some(from), Regression::Krr(to)) = (shares, power.krr(), &mut model.regression) {
                to.support.clone_from(&from.support);
            }
        }
        let mut calibration = Calibration::new(power, energy, duration, summary);
        calibration.backbone = backbone;
        Ok((catalog, calibration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_back_as_the_embedded_data_without_the_text_it_never_shows() {
        let (catalog, cal) = (Catalog::embedded().unwrap(), Calibration::embedded().unwrap());
        let bytes = Snapshot::of(&catalog, &cal).unwrap().to_bytes();
        let (read_catalog, read_cal) = Snapshot::read(&bytes).unwrap();
        let mut shown = cal.clone();
        shown.summary = without_unshown_statistics(cal.summary.clone());
        assert_eq!(read_cal, shown, "the models, summary and backbone come back bit for bit");
        assert!(read_cal.summary.accuracy.iter().all(|r| r.median_abs_pct.is_none()), "unshown statistics left out");
        // Every row the page looks up is there: each method under each held-out protocol it quotes.
        for r in cal.summary.accuracy.iter().filter(|r| matches!(r.method, Evaluated::Method(_))) {
            let kept =
                read_cal.summary.accuracy_of(r.method, r.protocol).map(|k| (k.n_runs, k.mape_pct, k.log_ratio_q10));
            let quoted = !matches!(r.protocol.split, Split::Kfold | Split::Observe10);
            assert_eq!(
                kept,
                quoted.then_some((r.n_runs, r.mape_pct, r.log_ratio_q10)),
                "{:?} {:?}",
                r.method,
                r.protocol
            );
        }
        assert_eq!(read_cal.shares_kernel(), cal.shares_kernel(), "the shared support vectors are restored");
        assert_eq!(read_catalog, without_unshown_text(catalog.clone()));
        assert!(read_catalog.gpus.gpus.iter().all(|g| g.source.is_empty() && g.notes.is_none()));
        assert!(read_catalog.archs.architectures.iter().all(|a| a.source.is_empty() && a.notes.is_none()));
        assert!(read_catalog.regions.regions.iter().all(|r| r.detail.is_none()));
        assert!(read_catalog.regions.pue_defaults.iter().all(|p| p.detail.is_none()));
        assert!(catalog.gpus.gpus.iter().any(|g| g.notes.is_some()), "the test data has notes to leave out");
        assert!(bytes.len() * 2 < 470_000, "the snapshot is smaller than the JSON: {} bytes", bytes.len());
    }

    #[test]
    fn optional_members_are_left_out_of_json_after_a_snapshot_is_written() {
        let catalog = Catalog::embedded().unwrap();
        let bytes = Snapshot::of(&catalog, &Calibration::embedded().unwrap()).unwrap().to_bytes();
        assert!(!WRITING.with(Cell::get), "the flag is reset after writing");
        let region = catalog.regions.regions.iter().find(|r| r.detail.is_none()).expect("a region without detail");
        assert!(!serde_json::to_string(region).unwrap().contains("\"detail\""));
        assert!(Snapshot::read(&bytes[..bytes.len() - 1]).is_err(), "a truncated snapshot is an error");
    }

    proptest::proptest! {
        /// Every number reads back to its bits, short decimals as decimals.
        #[test]
        fn decimals_keep_the_bits(x in proptest::num::f64::ANY, digits in 0i64..100_000, exp in -6i32..6) {
            proptest::prop_assert_eq!(Decimal::of(x).value().to_bits(), x.to_bits());
            let short: f64 = format!("{digits}e{exp}").parse().unwrap();
            let d = Decimal::of(short);
            proptest::prop_assert!(d.exponent != Decimal::BITS, "{short} has a short form");
            proptest::prop_assert_eq!(d.value().to_bits(), short.to_bits());
        }
    }

    #[test]
    fn measured_numbers_take_few_bytes() {
        for (x, bytes) in [(26.1, 3), (19100.0, 3), (2651.107, 5), (0.1 + 0.2, 10), (f64::NAN, 11), (-0.0, 11)] {
            let written = postcard::to_allocvec(&Decimal::of(x)).unwrap();
            assert_eq!(written.len(), bytes, "{x}");
            assert_eq!(postcard::from_bytes::<Decimal>(&written).unwrap().value().to_bits(), x.to_bits());
        }
    }

    #[test]
    fn a_model_beyond_single_precision_is_refused() {
        let mut cal = Calibration::embedded().unwrap();
        let Regression::Krr(k) = &mut cal.energy.regression else { panic!("the embedded models are KRR") };
        k.alpha[0] += 1e-12;
        let e = Snapshot::of(&Catalog::embedded().unwrap(), &cal).unwrap_err().to_string();
        assert!(e.contains("single precision") && e.contains("LnEnergyPerSample"), "{e}");
    }

    #[test]
    fn a_snapshot_that_is_not_one_is_an_error_naming_it() {
        let e = Snapshot::read(b"not a snapshot").unwrap_err().to_string();
        assert!(e.contains("embedded snapshot"), "{e}");
    }
}
