//! `wattcast fit` and `wattcast eval`: refit the PRE and duration models from `data/profiles/`,
//! evaluate every method, and write the models, the calibration summary and the accuracy report.
//! Deterministic: the same profiles give the same bytes.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use estimator::backbone::Backbone;
use estimator::bench::BenchmarkSet;
use estimator::calibration::{
    CalibrationSummary, EvalResult, PowerLimitCurve, StepProfile, CALIBRATION_SCHEMA_VERSION,
};
use estimator::calibration::{Protocol, Split};
use estimator::eval::{evaluate, EvalReport};
use estimator::fit::mixed::Holdout;
use estimator::fit::{backbone, fit, run_point, FitResult, Target};
use estimator::profile::Profile;
use estimator::{Calibration, Catalog};

use super::{to_pretty_json, write_atomic};

/// Everything a fit produces.
pub struct Fitted {
    /// Profiles read.
    pub profiles: Vec<Profile>,
    /// pre-power.
    pub power: FitResult,
    /// pre-epoch.
    pub energy: FitResult,
    /// Duration model.
    pub duration: FitResult,
    /// Evaluation.
    pub report: EvalReport,
    /// Runs with features.
    pub n_points: usize,
    /// The time × power backbone.
    pub backbone: Backbone,
    /// Benchmark rows read.
    pub n_bench_rows: usize,
    /// MLPerf's scale-out across servers: (throughput per GPU kept per doubling, pairs of runs it rests on).
    pub scale_out: Option<(f64, usize)>,
    /// Lambda's within-server efficiency, each GPU held out ([`backbone::within_held_out`]).
    pub within_held_out: Vec<(u32, usize, f64, f64)>,
    /// Held-out throughput error by protocol, kind of work and table.
    pub by_family: Vec<FamilyScore>,
}

/// Held-out throughput error of the benchmark rows of one kind of work from one kind of table.
pub struct FamilyScore {
    /// Protocol.
    pub holdout: Holdout,
    /// Kind of work.
    pub family: backbone::WorkFamily,
    /// timm's single-GPU vision table, or the multi-GPU tables (Lambda, NeuSight).
    pub timm: bool,
    /// Rows scored.
    pub n_rows: usize,
    /// Workloads among them.
    pub n_workloads: usize,
    /// Mean and median absolute error, %.
    pub mape_pct: f64,
    /// Median absolute error, %.
    pub median_pct: f64,
}

/// [`FamilyScore`]s of every protocol run.
fn family_scores(runs: &[(Holdout, backbone::ProtocolRun)], set: &BenchmarkSet, catalog: &Catalog) -> Vec<FamilyScore> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut out = Vec::new();
    for (h, run) in runs {
        // (kind of work, timm's table) → (absolute errors %, workloads).
        type Group<'a> = (Vec<f64>, BTreeSet<&'a str>);
        let mut groups: BTreeMap<(backbone::WorkFamily, bool), Group<'_>> = BTreeMap::new();
        for x in &run.throughput {
            let backbone::Origin::Bench(i) = x.origin else { continue };
            let Some(family) = backbone::WorkFamily::of(set, i, catalog) else { continue };
            let timm = set.rows[i].source.starts_with("timm");
            let g = groups.entry((family, timm)).or_default();
            g.0.push((x.predicted / x.measured - 1.0).abs() * 100.0);
            g.1.insert(&x.workload);
        }
        for ((family, timm), (errors, workloads)) in groups {
            let n = errors.len();
            out.push(FamilyScore {
                holdout: *h,
                family,
                timm,
                n_rows: n,
                n_workloads: workloads.len(),
                mape_pct: errors.iter().sum::<f64>() / n as f64,
                median_pct: estimator::fit::median(errors).unwrap_or(f64::NAN),
            });
        }
    }
    out
}

/// What a fit reads.
pub struct Sources<'a> {
    /// Whole measured runs (`data/profiles`).
    pub profiles: &'a Path,
    /// Runs whose steady power alone enters the power model (`data/power-runs`).
    pub power_runs: &'a Path,
    /// The measured throughput benchmarks (`data/benchmarks/throughput.json`).
    pub benchmarks: &'a Path,
    /// A vision benchmark (`data/benchmarks/timm.json`) to train on too, merged at each model's faster layout.
    pub vision_benchmarks: Option<&'a Path>,
    /// The language models' tuned tables (`data/benchmarks/llm-tables.json`), merged at BF16.
    pub language_benchmarks: &'a Path,
}

/// Loads the profiles and fits and evaluates everything.
pub fn fit_all(src: &Sources<'_>) -> anyhow::Result<Fitted> {
    let catalog = Catalog::embedded()?;
    let mut profiles = crate::profiles::load_all(src.profiles)?;
    profiles.sort_by(|a, b| a.id.cmp(&b.id));
    let points: Vec<_> = profiles.iter().filter_map(|p| run_point(p, &catalog)).collect();
    let need = |r: Option<FitResult>, what: &str| r.with_context(|| format!("too few runs to fit the {what} model"));
    let power = need(fit(&points, Target::PowerFraction), "pre-power")?;
    let energy = need(fit(&points, Target::LnEnergyPerSample), "pre-epoch")?;
    let duration = need(fit(&points, Target::LnThroughput), "duration")?;
    let traced: Vec<Profile> = profiles.iter().filter(|p| !p.devices.is_empty()).cloned().collect();
    let mut set = BenchmarkSet::from_json(&crate::profiles::read_text(src.benchmarks)?)?;
    if let Some(vision) = src.vision_benchmarks {
        set.merge_fastest(BenchmarkSet::from_json(&crate::profiles::read_text(vision)?)?)?;
    }
    let mut language = BenchmarkSet::from_json(&crate::profiles::read_text(src.language_benchmarks)?)?;
    // FP8 rows stay out: the throughput model learns BF16 and the uplift reads FP8 through `backbone::fp8_speedup` only
    // where a workload is known to have run in it.
    language.rows.retain(|r| r.precision != estimator::Precision::Fp8);
    set.merge_fastest(language)?;
    let mut power_only: Vec<_> = profiles.iter().filter_map(|p| backbone::power_run(p, &catalog)).collect();
    let mut steady = crate::profiles::load_all(src.power_runs)?;
    steady.sort_by(|a, b| a.id.cmp(&b.id));
    for p in &steady {
        let run = backbone::steady_power_run(p, &catalog).with_context(|| {
            format!(
                "{}: power run {} needs a catalogue GPU and architecture and two steady epochs with energy",
                src.power_runs.display(),
                p.id
            )
        })?;
        power_only.push(run);
    }
    let (mut backbone, runs) = backbone::fit_and_evaluate(&set, &points, &power_only, &catalog)
        .context("too few rows to fit the time × power model")?;
    let by_family = family_scores(&runs, &set, &catalog);
    // Goodput from the published runs, against this fit's `tuned` estimate (the PRE models play no part in it).
    let mut with_backbone = Calibration::embedded()?;
    with_backbone.backbone = Some(backbone.clone());
    let references = super::references::parse(super::references::REFERENCES_CSV)?;
    backbone.goodput = estimator::references::fit_goodput(&references, &catalog, &with_backbone);
    let mut report = evaluate(&traced, &points, &power, &energy, &duration, &runs);
    report.results.extend(estimator::eval::backbone_results(&runs));
    Ok(Fitted {
        n_points: points.len(),
        n_bench_rows: set.rows.len(),
        scale_out: backbone::scale_out(&set),
        within_held_out: backbone::within_held_out(&set),
        by_family,
        profiles,
        power,
        energy,
        duration,
        report,
        backbone,
    })
}

/// The files `fit` writes, as (path under the data folder, contents).
pub fn outputs(f: &Fitted) -> anyhow::Result<Vec<(String, String)>> {
    let summary = CalibrationSummary {
        schema_version: CALIBRATION_SCHEMA_VERSION,
        generated_by: "wattcast fit".into(),
        n_profiles: f.profiles.len(),
        n_runs_with_features: f.n_points,
        step_profiles: f.profiles.iter().filter_map(StepProfile::of).collect(),
        accuracy: f.report.results.iter().cloned().map(EvalResult::rounded).collect(),
        leave_gpu_out: f.report.leave_gpu_out.clone(),
        power_limits: PowerLimitCurve::of_profiles(&f.profiles),
    };
    Ok(vec![
        ("models/pre-power.json".into(), to_compact_json(&f.power.best)?),
        ("models/pre-epoch.json".into(), to_compact_json(&f.energy.best)?),
        ("models/duration.json".into(), to_compact_json(&f.duration.best)?),
        ("models/backbone.json".into(), to_pretty_json(&f.backbone)?),
        ("calibration.json".into(), to_pretty_json(&summary)?),
    ])
}

fn to_compact_json<T: serde::Serialize>(v: &T) -> anyhow::Result<String> {
    let mut s = serde_json::to_string(v)?;
    s.push('\n');
    Ok(s)
}

/// `wattcast fit`.
pub fn run_fit(src: &Sources<'_>, out: &Path, markdown: Option<&Path>) -> anyhow::Result<ExitCode> {
    let f = fit_all(src)?;
    for (name, text) in outputs(&f)? {
        write_atomic(&out.join(&name), &text)?;
    }
    if let Some(path) = markdown {
        write_atomic(path, &accuracy_markdown(&f))?;
        eprintln!("wrote {}", path.display());
    }
    for m in [&f.power, &f.energy, &f.duration] {
        let b = &m.best;
        eprintln!(
            "{:?}: kept {:?} (λ={}, γ={:?}), CV RMSE {:.4} on {} runs / {} configurations; by kind: {}",
            b.target,
            b.kind(),
            b.lambda(),
            b.krr().map(|k| k.gamma),
            b.diagnostics.cv_rmse,
            b.diagnostics.n_runs,
            b.diagnostics.n_configs,
            b.diagnostics.cv_rmse_by_kind.iter().map(|(k, s)| format!("{k:?} {s:.4}")).collect::<Vec<_>>().join(", ")
        );
    }
    eprintln!("wrote models and calibration.json for {} profiles to {}", f.profiles.len(), out.display());
    Ok(ExitCode::SUCCESS)
}

/// `wattcast eval`.
pub fn run_eval(src: &Sources<'_>, json: bool, markdown: Option<&Path>) -> anyhow::Result<ExitCode> {
    let f = fit_all(src)?;
    if let Some(path) = markdown {
        write_atomic(path, &accuracy_markdown(&f))?;
        eprintln!("wrote {}", path.display());
    }
    let out = if json { to_pretty_json(&f.report)? } else { table(&f.report) };
    if !json {
        for k in &f.report.kinds {
            eprintln!("{:<10} {:<7?} {:<14} MAPE {:.2} %", k.method, k.kind, k.protocol, k.mape_pct);
        }
    }
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The data-file name of an enum value (`gpu-unseen`).
fn kebab(v: impl serde::Serialize) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

fn fmt(x: impl Into<Option<f64>>) -> String {
    match x.into() {
        Some(x) if x.is_finite() => format!("{x:.2}"),
        _ => "—".into(),
    }
}

/// The results as a plain table.
pub fn table(r: &EvalReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<17} {:<34} {:>6} {:>8} {:>8} {:>8} {:>10} {:>10}",
        "method", "protocol", "runs", "MAPE%", "med|%|", "p90|%|", "RMSE kJ", "mlco2 kJ"
    );
    for x in &r.results {
        let _ = writeln!(
            s,
            "{:<17} {:<34} {:>6} {:>8} {:>8} {:>8} {:>10} {:>10}{}",
            x.method,
            x.protocol,
            x.n_runs,
            fmt(x.mape_pct),
            fmt(x.median_abs_pct),
            fmt(x.p90_abs_pct),
            fmt(x.rmse_kj),
            fmt(x.mlco2_rmse_kj),
            x.n_not_stable.map_or(String::new(), |n| format!(
                "  ({n} not stable yet, {} within 5 %, {} % in the interval)",
                x.n_within_5pct.unwrap_or(0),
                fmt(x.coverage_80_pct)
            ))
        );
    }
    s
}

/// `docs/accuracy.md`, generated from the evaluation.
pub fn accuracy_markdown(f: &Fitted) -> String {
    let r = &f.report;
    let mut s = String::new();
    let _ = writeln!(s, "# Accuracy of the estimation methods\n");
    let _ = writeln!(
        s,
        "Generated by `wattcast fit --markdown docs/accuracy.md` from the {} profiles in `data/profiles/` ({} runs with the \
features the regressions need, {} traced runs). Do not edit by hand; a test checks this file against a fresh evaluation.\n",
        f.profiles.len(),
        f.n_points,
        f.profiles.iter().filter(|p| !p.devices.is_empty()).count()
    );
    let _ = writeln!(s, "Errors are (predicted − measured) ÷ measured on each run's GPU energy. `mlco2 RMSE` is ML CO2 Impact's RMSE on the same runs, for comparison.\n");
    let _ = writeln!(s, "## The headline estimate and its parts, held out\n");
    let _ = writeln!(
        s,
        "The time × power model (`headline`) and its two parts: `throughput` on the {} benchmark rows (single-GPU, \
framework-default; error of samples/s), `power-fraction` on the profiles (mean power ÷ limit), `headline` energy on the \
profiles (with the measured duration on every run; with the predicted duration on runs at the default power limit). \
Each protocol refits without the held-out group and chooses hyperparameters inside what is left. `coverage 80 %` is the \
share of rows inside the interval the estimate would show, computed without their own group. Picking (leave-gpu-out): \
median over configurations measured on ≥ 3 GPUs of Spearman's ρ (time for `throughput`, energy otherwise) and of the \
top-1 regret.\n",
        f.n_bench_rows
    );
    let _ = writeln!(s, "| method | protocol | rows | GPUs | MAPE % | median abs % | p90 abs % | bias % | coverage 80 % | Spearman ρ | top-1 regret % |");
    let _ = writeln!(s, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for x in r.results.iter().filter(|x| x.method.is_backbone()) {
        let _ = writeln!(
            s,
            "| `{}` | `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            x.method,
            x.protocol,
            x.n_runs,
            x.n_gpus.map_or("".into(), |n| n.to_string()),
            fmt(x.mape_pct),
            fmt(x.median_abs_pct),
            fmt(x.p90_abs_pct),
            fmt(x.bias_pct),
            fmt(x.coverage_80_pct),
            fmt(x.spearman_median),
            fmt(x.top1_regret_median_pct),
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "### Throughput held out, by kind of work\n\nThe `throughput` rows above by the kind of work and the table: the \
tables that measured several GPUs (Lambda, NeuSight) and, when the fit is given `--vision-benchmarks` (off by \
default, `docs/methods.md`), timm's 831 vision networks on one RTX 3090. A table that measured one GPU has no row \
left when that GPU is held out, so the GPU and both protocols do not score it.\n"
    );
    let _ = writeln!(s, "| protocol | work | table | rows | workloads | MAPE % | median abs % |");
    let _ = writeln!(s, "| --- | --- | --- | ---: | ---: | ---: | ---: |");
    for x in &f.by_family {
        let table = if x.timm { "timm (RTX 3090)" } else { "multi-GPU tables" };
        let _ = writeln!(
            s,
            "| `{}` | {} | {table} | {} | {} | {:.2} | {:.2} |",
            kebab(x.holdout),
            x.family.label(),
            x.n_rows,
            x.n_workloads,
            x.mape_pct,
            x.median_pct
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "### The intervals the estimates show
"
    );
    let _ = writeln!(
        s,
        "80 % bands of predicted ÷ measured from the held-out residuals above, widened so that a held-out group falls \
inside 80 % of the time; an estimate is divided by these factors for its interval. `family`: for a workload no benchmark \
measured, a family with ≥ {} benchmarked workloads has its own band (its held-out workloads' residuals, widened by the \
factor learnt on every family); the pooled band serves the others. `benchmark-spread` is not a held-out residual: \
one benchmark source's throughput ÷ another's for the same GPU, workload, precision and GPU count (Lambda's benchmark \
versions); an estimate that rests on a measured benchmark composes it with the `throughput` `both-seen` band, since \
a benchmark measured one training loop on one software stack.\n",
        backbone::MIN_FAMILY_WORKLOADS
    );
    let _ = writeln!(s, "| quantity | case | family | rows | MAPE % | low factor | high factor |");
    let _ = writeln!(s, "| --- | --- | --- | ---: | ---: | ---: | ---: |");
    for b in &f.backbone.bands {
        let (lo, hi) = b.factors();
        let family = match b.conv {
            None => "all",
            Some(true) => "convolutional",
            Some(false) => "not convolutional",
        };
        let (q, c) = (kebab(b.quantity), kebab(b.case));
        let _ =
            writeln!(s, "| `{q}` | `{c}` | {family} | {} | {} | {:.2} | {:.2} |", b.n, fmt(Some(b.mape_pct)), lo, hi);
    }
    let _ = writeln!(s);
    multi_gpu_section(&mut s, f);
    let pre: Vec<Split> = std::iter::once(Split::Kfold).chain(backbone::PROTOCOLS.map(Split::Holdout)).collect();
    let groups: [(&str, Vec<Protocol>); 4] = [
        (
            "STEP: projecting from the first part of a run",
            [Split::Observe10, Split::Observe25, Split::Observe50].map(Protocol::of).to_vec(),
        ),
        (
            "PRE with the measured duration (the paper's protocol; k-fold is a diagnostic: it leaks near-identical runs)",
            pre.iter().copied().map(Protocol::of).collect(),
        ),
        ("PRE with the predicted duration (the calculator's case)", pre.iter().copied().map(Protocol::predicted).collect()),
        ("Baselines", vec![Protocol::of(Split::All)]),
    ];
    for (title, protocols) in groups {
        let _ = writeln!(s, "## {title}\n");
        let _ = writeln!(s, "| method | protocol | runs | MAPE % | median abs % | p90 abs % | bias % | RMSE kJ | mlco2 RMSE kJ | not stable yet | within ±5 % | in interval % |");
        let _ = writeln!(s, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for x in r.results.iter().filter(|x| protocols.contains(&x.protocol) && !x.method.is_backbone()) {
            let _ = writeln!(
                s,
                "| `{}` | `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                x.method,
                x.protocol,
                x.n_runs,
                fmt(x.mape_pct),
                fmt(x.median_abs_pct),
                fmt(x.p90_abs_pct),
                fmt(x.bias_pct),
                fmt(x.rmse_kj),
                fmt(x.mlco2_rmse_kj),
                x.n_not_stable.map_or("".into(), |n| n.to_string()),
                x.n_within_5pct.map_or("".into(), |n| n.to_string()),
                if x.n_not_stable.is_some() { fmt(x.coverage_80_pct) } else { String::new() },
            );
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "## Leave one GPU out, per GPU (PRE: measured duration; headline: predicted duration)\n");
    let _ = writeln!(s, "| method | GPU held out | runs | MAPE % |");
    let _ = writeln!(s, "| --- | --- | ---: | ---: |");
    for h in &r.leave_gpu_out {
        let _ = writeln!(s, "| `{}` | `{}` | {} | {} |", h.method, h.gpu, h.n_runs, fmt(h.mape_pct));
    }
    let _ = writeln!(s, "\n## Regression kinds compared (MAPE % of the predicted quantity)\n");
    let _ = writeln!(s, "| model | kind | k-fold | leave one GPU out |");
    let _ = writeln!(s, "| --- | --- | ---: | ---: |");
    let logo_protocol = Protocol::of(Split::Holdout(Holdout::Gpu));
    for k in r.kinds.iter().filter(|k| k.protocol == Protocol::of(Split::Kfold)) {
        let logo = r.kinds.iter().find(|x| x.method == k.method && x.kind == k.kind && x.protocol == logo_protocol);
        let _ = writeln!(
            s,
            "| `{}` | `{:?}` | {} | {} |",
            k.method,
            k.kind,
            fmt(k.mape_pct),
            logo.map_or("—".into(), |x| fmt(x.mape_pct))
        );
    }
    let _ = writeln!(s, "\n## The fitted models\n");
    let _ = writeln!(
        s,
        "Cross-validated RMSE in target units ({}-fold, seed {}); the kind with the lowest is kept.\n",
        estimator::fit::FOLDS,
        estimator::fit::SEED
    );
    let _ = writeln!(s, "| model | target | kept | λ | γ | runs | configurations | linear | ridge | krr |");
    let _ = writeln!(s, "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (name, m) in [("pre-power", &f.power), ("pre-epoch", &f.energy), ("duration", &f.duration)] {
        let b = &m.best;
        let by = |k: estimator::fit::ModelKind| {
            b.diagnostics.cv_rmse_by_kind.iter().find(|(x, _)| *x == k).map_or("—".into(), |(_, v)| format!("{v:.4}"))
        };
        let _ = writeln!(
            s,
            "| `{name}` | `{}` | `{}` | {} | {} | {} | {} | {} | {} | {} |",
            serde_json::to_value(b.target).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            serde_json::to_value(b.kind()).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            b.lambda(),
            b.krr().map_or("—".into(), |k| k.gamma.to_string()),
            b.diagnostics.n_runs,
            b.diagnostics.n_configs,
            by(estimator::fit::ModelKind::Linear),
            by(estimator::fit::ModelKind::Ridge),
            by(estimator::fit::ModelKind::Krr),
        );
    }
    s
}

/// The multi-GPU scaling, held out: within a server (Lambda's 2/4/8-GPU rows, each GPU held out) and across
/// servers (MLPerf's pairs, each group of runs held out), against assuming no loss.
fn multi_gpu_section(s: &mut String, f: &Fitted) {
    let _ = writeln!(
        s,
        "## Multi-GPU scaling, held out
"
    );
    let _ = writeln!(
        s,
        "Throughput per GPU on n GPUs ÷ one GPU's (within a server, Lambda's rows, the median of the other GPUs' ratios \
with each GPU held out) and a larger time-to-train run's ÷ the smallest of its workload, GPU and precision (across \
servers, MLPerf Training's tuned runs of at least {} minute, the efficiency per doubling fitted on the other groups \
with each group held out). The estimate uses both: within a server for `typical` runs (a tuned utilisation includes \
it), across servers from the fewest servers that hold the model, in full for a run of up to {} day and none from {} \
days (`docs/methods.md`, \"Scaling\").\n",
        backbone::SCALE_OUT_MIN_MINUTES,
        estimator::backbone::GOODPUT_SHORT_DAYS,
        estimator::backbone::GOODPUT_LONG_DAYS
    );
    let _ = writeln!(s, "| scaling | GPUs or doublings | ratios scored | MAPE held out % | MAPE assuming no loss % |");
    let _ = writeln!(s, "| --- | --- | ---: | ---: | ---: |");
    for (n, k, mape, none) in &f.within_held_out {
        let _ = writeln!(s, "| within a server | {n} GPUs | {k} | {} | {} |", fmt(*mape), fmt(*none));
    }
    if let Some(h) = &f.backbone.scaling.across_held_out {
        let _ = writeln!(
            s,
            "| across servers | per doubling of the servers | {} ({} groups) | {} | {} |",
            h.n_pairs,
            h.n_groups,
            fmt(h.mape_pct),
            fmt(h.no_loss_mape_pct)
        );
    }
    let _ = writeln!(
        s,
        "\nWithin a server the GPU count alone predicts little: Lambda's rows use other batch sizes on several GPUs than \
on one, and consumer GPUs without NVLink lose most of their speed on BERT-large.\n"
    );
    if let Some((kept, pairs)) = f.scale_out {
        let band = f.backbone.scaling.across_held_out.as_ref().map_or(String::new(), |h| {
            format!(
                "; held out, the 80 % band of what a run keeps per doubling is × {:.3}–{:.3} around it, composed into the \
duration's interval",
                h.q10.exp(),
                h.q90.exp()
            )
        });
        let _ = writeln!(
            s,
            "Across servers: {:.1} % of the throughput per GPU kept per doubling of the servers, fitted on {pairs} pairs \
of runs{band}. Where the loss is weak: MLPerf's pairs are strong-scaled time-to-train runs of NVIDIA GPUs (H100, \
A100, L40S and others); none measures a run of days, so how the loss fades between a day and a month is assumed, \
not fitted.\n",
            kept * 100.0
        );
    }
}
