//! `wattcast import catalog`: reads the maintainers' source tables and writes `data/*.json`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use estimator::Catalog;

use super::{to_pretty_json, write_atomic};
use crate::import::{catalog, regions};

/// Data version stamped on generated files unless `--data-version` says otherwise.
pub const DATA_VERSION: &str = "2026.11.26";

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Builds the three catalogue files.
pub fn catalog(from: &Path, out: &Path, data_version: &str) -> anyhow::Result<ExitCode> {
    let facts = from.join("catalog-facts");
    let anchor = from.join("anchor-data");
    let gpus = catalog::gpus_from_csv(&read(&facts.join("gpus.csv"))?, data_version)?;
    let archs = catalog::architectures_from_csv(&read(&facts.join("architectures.csv"))?, data_version)?;
    let (countries, ga_ci, ga_pue, cc, mlco2) = (
        read(&anchor.join("carbontracker/carbon-intensities.csv"))?,
        read(&anchor.join("green-algorithms-tool/CI_aggregated.csv"))?,
        read(&anchor.join("green-algorithms-tool/defaults_PUE.csv"))?,
        read(&anchor.join("codecarbon/cloud_impact.csv"))?,
        read(&anchor.join("mlco2-impact/impact.csv"))?,
    );
    let regions = regions::regions_from_sources(
        &regions::RegionSources {
            countries_csv: &countries,
            ga_ci_csv: &ga_ci,
            ga_pue_csv: &ga_pue,
            codecarbon_cloud_csv: &cc,
            mlco2_impact_csv: &mlco2,
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
