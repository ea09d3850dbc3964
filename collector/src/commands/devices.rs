//! `wattcast devices`: the GPUs NVML sees. Without a driver: exit 2 and what to install.

use std::io::Write as _;
use std::process::ExitCode;

use estimator::Catalog;
use serde::Serialize;

use crate::source::SourceError;

#[derive(Serialize)]
struct Row {
    index: u32,
    nvml_name: String,
    catalog_id: Option<String>,
    uuid: Option<String>,
    driver: Option<String>,
    power_limit_w: Option<f64>,
    power_limit_range_w: Option<(f64, f64)>,
    energy_counter: bool,
}

/// Runs the command.
pub fn run(json: bool) -> anyhow::Result<ExitCode> {
    match list() {
        Ok(rows) => {
            let out = if json {
                super::to_pretty_json(&serde_json::json!({ "devices": rows }))?
            } else {
                let mut s = String::new();
                for r in &rows {
                    s.push_str(&format!(
                        "{}  {}  {}  {}  limit {}  energy counter: {}\n",
                        r.index,
                        r.nvml_name,
                        r.catalog_id.as_deref().unwrap_or("not in catalogue"),
                        r.uuid.as_deref().unwrap_or("-"),
                        r.power_limit_w.map_or("unknown".into(), |w| format!("{w} W")),
                        if r.energy_counter { "yes" } else { "no" },
                    ));
                }
                if rows.is_empty() {
                    s.push_str("no GPU found\n");
                }
                s
            };
            std::io::stdout().write_all(out.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ SourceError::NoDriver { .. }) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(feature = "nvml")]
fn list() -> Result<Vec<Row>, SourceError> {
    use crate::source::PowerSource;
    let catalog =
        Catalog::embedded().map_err(|e| SourceError::Nvml { what: "catalogue".into(), detail: e.to_string() })?;
    let src = crate::source::nvml::NvmlSource::open(None)?;
    Ok(src
        .devices()
        .iter()
        .map(|d| Row {
            index: d.index,
            nvml_name: d.name.clone(),
            catalog_id: catalog.gpu_by_nvml_name(&d.name).map(|g| g.id.clone()),
            uuid: d.uuid.clone(),
            driver: src.driver().map(str::to_string),
            power_limit_w: d.power_limit_w,
            power_limit_range_w: d.power_limit_range_w,
            energy_counter: d.energy_counter,
        })
        .collect())
}

#[cfg(not(feature = "nvml"))]
fn list() -> Result<Vec<Row>, SourceError> {
    let _ = Catalog::embedded;
    Err(SourceError::NoDriver { detail: "this wattcast was built without the nvml feature".into() })
}
