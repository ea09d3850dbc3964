//! `wattcast estimate`: the same estimator call as the site, printed as a table or JSON.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use estimator::format::human;
use estimator::{Catalog, MethodId, Report};

/// Runs the command: exit 2 when the query has invalid values.
pub fn run(query: &str, json: bool) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::embedded()?;
    let cal = estimator::Calibration::embedded()?;
    let (_, report) = estimator::estimate(&catalog, &cal, query);
    for notice in &report.notices {
        eprintln!("note: {notice}");
    }
    if !report.errors.is_empty() {
        for e in &report.errors {
            eprintln!("error: {e}");
        }
        return Ok(ExitCode::from(2));
    }
    let out = if json { super::to_pretty_json(&report)? } else { table(&catalog, &report) };
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The table for people; numbers use the same formatting as the site.
pub fn table(catalog: &Catalog, report: &Report) -> String {
    let opt = |x: Option<f64>| x.map_or_else(|| "—".to_string(), human);
    let mut rows = vec![[
        "GPU".to_string(),
        "method".to_string(),
        "energy kWh".to_string(),
        "interval kWh".to_string(),
        "hours".to_string(),
        "kg CO2e".to_string(),
        "cost".to_string(),
        "notes".to_string(),
    ]];
    let mut notes: Vec<String> = Vec::new();
    // Each GPU's headline first (the rows come GPU by GPU), then its other methods in their usual order.
    let mut ordered: Vec<&estimator::Estimate> = report.rows.iter().collect();
    let gpu_at = |g: &str| report.rows.iter().position(|r| r.gpu == g).unwrap_or(usize::MAX);
    ordered.sort_by_key(|r| (gpu_at(&r.gpu), !r.headline));
    for r in ordered {
        let refs: Vec<String> = r
            .evidence
            .iter()
            .chain(&r.warnings)
            .map(|w| {
                let i = notes.iter().position(|n| n == w).unwrap_or_else(|| {
                    notes.push(w.clone());
                    notes.len() - 1
                });
                format!("[{}]", i + 1)
            })
            .collect();
        let gpu = catalog.gpu(&r.gpu).map_or(r.gpu.as_str(), |g| g.name.as_str());
        let interval = match (r.low_kwh, r.high_kwh) {
            (Some(l), Some(h)) => format!("{}–{}", human(l), human(h)),
            _ => "—".into(),
        };
        let hours = match r.duration_h {
            Some(h) if r.duration_estimated => format!("~{}", human(h)),
            other => opt(other),
        };
        rows.push([
            gpu.to_string(),
            if r.headline {
                format!("{} (headline)", method_label(r.method))
            } else {
                method_label(r.method).to_string()
            },
            opt(r.energy_kwh),
            interval,
            hours,
            opt(r.co2e_kg),
            opt(r.cost),
            refs.join(""),
        ]);
    }
    let widths: Vec<usize> = (0..8).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            // Text columns align left, numbers right.
            if c < 2 || c == 7 {
                let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
            } else {
                let _ = write!(line, "{}{cell}  ", " ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for (i, n) in notes.iter().enumerate() {
        let _ = writeln!(out, "[{}] {n}", i + 1);
    }
    let _ = writeln!(out, "~ = duration estimated. Data version {}.", report.data_version);
    let _ = writeln!(out, "Share: ?{}", report.query);
    out
}

fn method_label(m: MethodId) -> &'static str {
    m.label()
}
