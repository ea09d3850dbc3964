//! `wattcast import catalog`: reads the maintainers' source tables and writes `data/*.json`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use estimator::Catalog;

use super::{to_pretty_json, write_atomic};
use crate::import::{bench, catalog, regions};
use crate::profiles::{read_text, write};

pub use crate::import::catalog::DATA_VERSION;

/// Builds the three catalogue files.
pub fn catalog(
    from: &Path,
    supplement: &Path,
    transformers: &Path,
    activations: &Path,
    gcp_yearly: &Path,
    out: &Path,
    data_version: &str,
) -> anyhow::Result<ExitCode> {
    let facts = from.join("catalog-facts");
    let anchor = from.join("anchor-data");
    let mut gpus = catalog::gpus_from_csv(&read_text(&facts.join("gpus.csv"))?, data_version)?;
    catalog::supplement_gpus(&mut gpus, &read_text(supplement)?)?;
    let mut archs = catalog::architectures_from_csv(&read_text(&facts.join("architectures.csv"))?, data_version)?;
    catalog::supplement_transformers(&mut archs, &read_text(transformers)?)?;
    catalog::supplement_activations(&mut archs, &read_text(activations)?)?;
    let gcp_yearly = read_text(gcp_yearly)?;
    let (countries, ga_ci, ga_pue, cc, mlco2) = (
        read_text(&anchor.join("carbontracker/carbon-intensities.csv"))?,
        read_text(&anchor.join("green-algorithms-tool/CI_aggregated.csv"))?,
        read_text(&anchor.join("green-algorithms-tool/defaults_PUE.csv"))?,
        read_text(&anchor.join("codecarbon/cloud_impact.csv"))?,
        read_text(&anchor.join("mlco2-impact/impact.csv"))?,
    );
    let regions = regions::regions_from_sources(
        &regions::RegionSources {
            countries_csv: &countries,
            ga_ci_csv: &ga_ci,
            ga_pue_csv: &ga_pue,
            codecarbon_cloud_csv: &cc,
            mlco2_impact_csv: &mlco2,
            gcp_yearly_csv: &gcp_yearly,
        },
        data_version,
    )?;
    let texts = [
        ("gpus.json", to_pretty_json(&gpus)?),
        ("architectures.json", to_pretty_json(&archs)?),
        ("regions.json", to_pretty_json(&regions)?),
    ];
    // Refuse to write a catalogue the estimator would not load.
    Catalog::from_json(&texts[0].1, &texts[1].1, &texts[2].1).context("the generated catalogue is invalid")?;
    for (name, text) in &texts {
        write_atomic(&out.join(name), text)?;
    }
    eprintln!(
        "wrote {} GPUs, {} architectures, {} regions, {} PUE defaults to {}",
        gpus.gpus.len(),
        archs.architectures.len(),
        regions.regions.len(),
        regions.pue_defaults.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `wattcast import benchmarks`: the measured throughput tables → `data/benchmarks/throughput.json`.
pub fn benchmarks(from: &Path, out: &Path, data_version: &str) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::embedded()?;
    let read = |rel: &str| read_text(&from.join(rel));
    let mut lambda_texts = Vec::new();
    for (gen, prec) in [("v0", "fp16"), ("v0", "fp32"), ("v1", "fp16"), ("v1", "fp32"), ("v2", "fp16"), ("v2", "fp32")]
    {
        let (tp, bs) = if gen == "v2" {
            (format!("lambda/v2/pytorch-train-throughput-v2-{prec}.csv"), None)
        } else {
            (
                format!("lambda/{gen}/pytorch-train-throughput-{prec}.csv"),
                Some(format!("lambda/{gen}/pytorch-train-bs-{prec}.csv")),
            )
        };
        lambda_texts.push((gen, prec, read(&tp)?, bs.map(|b| read(&b)).transpose()?));
    }
    let v2_batches = read("lambda/v2/batch-sizes.csv")?;
    let neusight = read("neusight/train-latency.csv")?;
    let mlperf = read("mlperf/training-v3.0-v3.1-runs.csv")?;
    let sources = bench::BenchSources {
        lambda: lambda_texts.iter().map(|(g, p, t, b)| (*g, *p, t.as_str(), b.as_deref())).collect(),
        lambda_v2_batches: Some(&v2_batches),
        neusight: Some(&neusight),
        mlperf: Some(&mlperf),
    };
    let import = bench::benchmarks_from_sources(&sources, &catalog, data_version)?;
    let set = import.set.context("no benchmark rows")?;
    let text = to_pretty_json(&set)?;
    estimator::bench::BenchmarkSet::from_json(&text).context("the generated benchmark set is invalid")?;
    write_atomic(out, &text)?;
    for ((label, why), n) in &import.skipped {
        eprintln!("note: skipped {n} measurement(s) of {label}: {why}");
    }
    let gpus: std::collections::BTreeSet<_> = set.rows.iter().map(|r| r.gpu_id.as_str()).collect();
    eprintln!(
        "wrote {}: {} rows ({} measurements read), {} workloads, {} GPUs",
        out.display(),
        set.rows.len(),
        import.n_raw,
        set.workloads.len(),
        gpus.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `wattcast import timm`: timm's RTX 3090 training tables → `data/benchmarks/timm.json`.
pub fn timm(from: &Path, out: &Path, data_version: &str) -> anyhow::Result<ExitCode> {
    use crate::import::timm as t;
    let catalog = Catalog::embedded()?;
    let read = |name: &str| read_text(&from.join("timm").join(name));
    let (nchw, nhwc, infer) = (read(t::TRAIN_NCHW)?, read(t::TRAIN_NHWC)?, read(t::INFER_RTX3090)?);
    let src = t::TimmSources { train_nchw: &nchw, train_nhwc: &nhwc, infer_rtx3090: &infer };
    let import = t::timm_from_sources(&src, &catalog, data_version)?;
    let text = to_pretty_json(&import.set)?;
    estimator::bench::BenchmarkSet::from_json(&text).context("the generated benchmark set is invalid")?;
    write_atomic(out, &text)?;
    for (model, why) in &import.skipped {
        eprintln!("note: skipped {model}: {why}");
    }
    if !import.unknown_family.is_empty() {
        eprintln!("note: no family for {}", import.unknown_family.join(", "));
    }
    eprintln!(
        "wrote {}: {} rows ({} read), {} workloads ({} with GMACs under a renamed model, {} scaled from another \
         image size), {} models skipped, {} without a family",
        out.display(),
        import.set.rows.len(),
        import.n_raw,
        import.set.workloads.len(),
        import.renamed.len(),
        import.n_scaled,
        import.skipped.len(),
        import.unknown_family.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `wattcast import llm-tables`: llm-foundry's MPT and torchtitan's Llama 3.1 tables →
/// `data/benchmarks/llm-tables.json`.
pub fn llm_tables(from: &Path, out: &Path, data_version: &str) -> anyhow::Result<ExitCode> {
    use crate::import::llm_tables as l;
    let catalog = Catalog::embedded()?;
    let mpt = read_text(&from.join("llm-foundry").join(l::MPT_FILE))?;
    let titan = read_text(&from.join("torchtitan").join(l::TITAN_FILE))?;
    let import = l::llm_tables_from_sources(&l::LlmSources { mpt: &mpt, torchtitan: &titan }, &catalog, data_version)?;
    let text = to_pretty_json(&import.set)?;
    estimator::bench::BenchmarkSet::from_json(&text).context("the generated benchmark set is invalid")?;
    write_atomic(out, &text)?;
    // Utilisation against the catalogue's peaks: upstream's formula should give the reported MFU back; this
    // file's FLOPs (causal attention) give less, the more so the longer the sequence.
    let ratios = |f: &dyn Fn(&l::MfuCheck) -> Option<f64>| {
        let mut r: Vec<f64> = import.mfu.iter().filter_map(f).collect();
        r.sort_by(f64::total_cmp);
        r
    };
    let upstream = ratios(&|c| Some(c.upstream_formula_pct? / c.reported_pct?));
    let file = ratios(&|c| Some(c.file_pct / c.reported_pct?));
    let range = |r: &[f64]| match (r.first(), r.last()) {
        (Some(a), Some(b)) => format!("{a:.3}–{b:.3}"),
        _ => "none".into(),
    };
    eprintln!(
        "MFU ÷ reported, {} MPT rows: upstream's formula {}, this file's FLOPs {} ({} within 15 %)",
        file.len(),
        range(&upstream),
        range(&file),
        file.iter().filter(|r| (**r - 1.0).abs() <= 0.15).count()
    );
    eprintln!(
        "wrote {}: {} rows ({} read), {} workloads",
        out.display(),
        import.set.rows.len(),
        import.n_raw,
        import.set.workloads.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `wattcast import nvidia-smi`: one profile from one or more logs (one per GPU, or one log with an index column).
pub fn nvidia_smi(
    csv: &[std::path::PathBuf],
    output: &Path,
    meta_args: &crate::cli::MetaArgs,
) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::embedded()?;
    let mut logs = Vec::new();
    for path in csv {
        let text = read_text(path)?;
        let log = crate::import::nvidia_smi::parse(&path.display().to_string(), &text)?;
        for (line, why) in &log.skipped {
            eprintln!("note: {} line {line}: skipped ({why})", path.display());
        }
        logs.push((path.display().to_string(), log));
    }
    let meta = crate::import::meta::resolve(&meta_args.into(), &catalog, read_text)?;
    let profile = crate::import::meta::profile_from_logs(&logs, meta, &catalog)?;
    write(output, &profile)?;
    eprintln!(
        "wrote {}: {} GPU(s), {} samples, {:.1} kJ over {:.0} s",
        output.display(),
        profile.devices.len(),
        profile.devices.iter().map(|d| d.samples.len()).sum::<usize>(),
        profile.summary.energy_j / 1000.0,
        profile.summary.duration_s
    );
    Ok(ExitCode::SUCCESS)
}

/// `wattcast import seaa`.
pub fn seaa(from: &Path, out: &Path) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::embedded()?;
    let table = read_text(&from.join("processed/dl-training-energy-consumption-dataset.csv"))?;
    let mut texts = Vec::new();
    for (env_dir, _, _, _) in crate::import::paper::SEAA_ENVS.iter().filter(|e| !e.0.is_empty()) {
        for (arch_dir, _) in crate::import::paper::SEAA_ARCHS {
            let dir = from.join("raw").join(env_dir).join(arch_dir);
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .with_context(|| format!("cannot list {}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .filter(|n| n.starts_with("gpu-power-"))
                .collect();
            names.sort();
            for n in names {
                texts.push((*env_dir, arch_dir, n.clone(), read_text(&dir.join(&n))?));
            }
        }
    }
    let traces: Vec<crate::import::paper::SeaaTrace<'_>> = texts
        .iter()
        .map(|(e, a, n, t)| crate::import::paper::SeaaTrace { env_dir: e, arch_dir: a, file_name: n, text: t })
        .collect();
    let result = crate::import::paper::seaa_import(&table, &traces, &catalog)?;
    for line in &result.report {
        eprintln!("{line}");
    }
    for p in &result.traced {
        // seaa2023-<env>-<arch>-<stamp> → <env>/<arch>-<stamp>.json.gz
        let rest = p.id.trim_start_matches("seaa2023-");
        let env = crate::import::paper::SEAA_ENVS
            .iter()
            .map(|e| e.0)
            .find(|e| !e.is_empty() && rest.starts_with(&format!("{e}-")));
        let rel = match env {
            Some(e) => format!("{e}/{}", &rest[e.len() + 1..]),
            None => rest.to_string(),
        };
        let path = out.join(format!("{rel}.json.gz"));
        write(&path, p)?;
    }
    let bundle = estimator::profile::ProfileBundle {
        schema_version: estimator::profile::PROFILE_SCHEMA_VERSION,
        id: "seaa2023-summary-only".into(),
        profiles: result.summary_only.clone(),
    };
    let path = out.join("summary-only.json.gz");
    write(&path, &bundle)?;
    eprintln!(
        "wrote {} traced and {} summary-only profiles to {}",
        result.traced.len(),
        result.summary_only.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `wattcast import zeus`.
pub fn zeus(from: &Path, out: &Path) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::embedded()?;
    for (suffix, _, _) in crate::import::paper::ZEUS_GPUS {
        let text = read_text(&from.join(format!("summary_power_{suffix}.csv")))?;
        let profiles = crate::import::paper::zeus_profiles(suffix, &text, &catalog)?;
        let n = profiles.len();
        let bundle = estimator::profile::ProfileBundle {
            schema_version: estimator::profile::PROFILE_SCHEMA_VERSION,
            id: format!("zeus-nsdi23-{suffix}"),
            profiles,
        };
        let path = out.join(format!("{suffix}.json.gz"));
        write(&path, &bundle)?;
        eprintln!("wrote {n} summary-only profiles to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
