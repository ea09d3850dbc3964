//! `wattcast validate` (every problem, with its location) and `wattcast merge` (nodes of one run).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use estimator::profile::{validate, Problem, Severity};
use estimator::Catalog;

/// Validates each file; exit 1 when any has an error (warnings alone pass).
pub fn run(paths: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::embedded()?;
    let mut any_error = false;
    let mut report = Vec::new();
    let mut text = String::new();
    for path in paths {
        let problems: Vec<Problem> = match crate::profiles::read_profiles(path) {
            Ok(profiles) => profiles
                .iter()
                .enumerate()
                .flat_map(|(i, p)| {
                    validate(p, &catalog).into_iter().map(move |mut pr| {
                        if i > 0 {
                            pr.location = format!("profiles[{i}].{}", pr.location);
                        }
                        pr
                    })
                })
                .collect(),
            Err(e) => vec![Problem { severity: Severity::Error, location: "(file)".into(), message: format!("{e:#}") }],
        };
        let errors = problems.iter().filter(|p| p.severity == Severity::Error).count();
        any_error |= errors > 0;
        text.push_str(&format!(
            "{}: {}\n",
            path.display(),
            if problems.is_empty() {
                "ok".to_string()
            } else {
                format!("{errors} error(s), {} warning(s)", problems.len() - errors)
            }
        ));
        for p in &problems {
            let sev = if p.severity == Severity::Error { "error" } else { "warning" };
            text.push_str(&format!("  {sev}: {}: {}\n", p.location, p.message));
        }
        report.push(serde_json::json!({ "file": path.display().to_string(), "problems": problems }));
    }
    let out = if json { super::to_pretty_json(&serde_json::json!({ "files": report }))? } else { text };
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(if any_error { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// `wattcast merge`.
pub fn merge(paths: &[PathBuf], output: &Path) -> anyhow::Result<ExitCode> {
    let mut parts = Vec::new();
    for p in paths {
        let mut ps = crate::profiles::read_profiles(p)?;
        if ps.len() != 1 {
            anyhow::bail!("{}: expected one profile, found {}", p.display(), ps.len());
        }
        let name = p.file_name().map_or("node".into(), |n| n.to_string_lossy().into_owned());
        parts.push((name, ps.remove(0)));
    }
    let merged = estimator::merge::merge_nodes(parts)?;
    crate::profiles::write(output, &merged)?;
    eprintln!("wrote {}: {} GPUs, {:.1} kJ", output.display(), merged.devices.len(), merged.summary.energy_j / 1000.0);
    Ok(ExitCode::SUCCESS)
}
