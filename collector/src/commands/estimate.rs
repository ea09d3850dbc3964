//! `wattcast estimate`: the same estimator call as the site, printed as a table or JSON.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use estimator::format::{human, human_range};
use estimator::{Catalog, MethodId, Report};

/// Runs the command: exit 2 when the query has invalid values.
pub fn run(query: &str, json: bool) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::embedded()?;
    let cal = estimator::Calibration::embedded()?;
    let (resolved, report) = estimator::estimate(&catalog, &cal, query);
    for notice in &report.notices {
        eprintln!("note: {notice}");
    }
    if let Some(others) = other_matches(&catalog, query, &resolved.scenario) {
        eprintln!("note: {others}");
    }
    if !report.errors.is_empty() {
        for e in &resolved.errors {
            eprintln!("error: {e}");
            if let Some(hint) = did_you_mean(&catalog, e) {
                eprintln!("  {hint}");
            }
        }
        return Ok(ExitCode::from(2));
    }
    let out = if json {
        super::to_pretty_json(&report)?
    } else {
        let seq = estimator::methods::workload::Workload::of(&resolved.scenario, &catalog).seq;
        let record = estimator::methods::paper::record_command(&resolved.scenario, seq, "run.json");
        format!("{}Record this run: {record}\n", table(&catalog, &report))
    };
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// For an unknown GPU or architecture id: the catalogue's ids that match what was typed, or that none does.
fn did_you_mean(catalog: &Catalog, e: &estimator::QueryError) -> Option<String> {
    let estimator::QueryError::UnknownId { key, value, .. } = e else { return None };
    let ids: Vec<&str> = match *key {
        "gpu" => catalog.search_gpus(value).into_iter().map(|g| g.id.as_str()).collect(),
        "arch" => catalog.search_archs(value).into_iter().map(|a| a.id.as_str()).collect(),
        _ => return None,
    };
    Some(if ids.is_empty() {
        "no id or name in the catalogue matches it".to_string()
    } else {
        format!("did you mean: {}", first_ids(&ids))
    })
}

/// When a link's `arch` was read as the best of several catalogue matches: the others, so that a person who meant
/// another can say so.
fn other_matches(catalog: &Catalog, query: &str, scenario: &estimator::Scenario) -> Option<String> {
    let typed = estimator::ScenarioQuery::parse(query).get("arch")?.to_string();
    let estimator::ArchChoice::Catalog { id } = &scenario.arch else { return None };
    let others: Vec<&str> =
        catalog.search_archs(&typed).into_iter().map(|a| a.id.as_str()).filter(|a| a != id).collect();
    (!typed.eq_ignore_ascii_case(id) && !others.is_empty())
        .then(|| format!("\"{typed}\" also matches {}", first_ids(&others)))
}

/// The first six ids, comma-separated, with how many more there are.
fn first_ids(ids: &[&str]) -> String {
    const SHOWN: usize = 6;
    let list = ids[..ids.len().min(SHOWN)].join(", ");
    match ids.len().saturating_sub(SHOWN) {
        0 => list,
        more => format!("{list} (and {more} more)"),
    }
}

/// The table for people; numbers use the same formatting as the site.
pub fn table(catalog: &Catalog, report: &Report) -> String {
    let opt = |x: Option<f64>| x.map_or_else(|| "—".to_string(), human);
    let server = report.scope == estimator::scenario::Scope::Server;
    let mut rows = vec![[
        "GPU".to_string(),
        "method".to_string(),
        "GPU kWh".to_string(),
        "interval kWh".to_string(),
        if server { "server kWh" } else { "host kWh (not counted)" }.to_string(),
        "hours (interval)".to_string(),
        "kg CO2e".to_string(),
        format!("cost {}", report.currency),
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
            (Some(l), Some(h)) => human_range(l, h),
            _ => "—".into(),
        };
        let hours = match (r.duration_h, r.duration_low_h.zip(r.duration_high_h)) {
            (Some(h), Some((lo, hi))) => format!("~{} ({})", human(h), human_range(lo, hi)),
            (Some(h), None) if r.duration_estimated => format!("~{}", human(h)),
            (other, _) => opt(other),
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
            if server { opt(r.scope_kwh) } else { opt(r.host_kwh) },
            hours,
            opt(r.co2e_kg),
            opt(r.cost),
            refs.join(""),
        ]);
    }
    let widths: Vec<usize> = (0..9).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            // Text columns align left, numbers right.
            if c < 2 || c == 8 {
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
    for p in &report.plans {
        let gpu = catalog.gpu(&p.gpu).map_or(p.gpu.as_str(), |g| g.name.as_str());
        let _ = writeln!(out, "{gpu}: {}", plan_line(report, p));
    }
    let _ = writeln!(out, "CO2e and cost count {}; costs in {}.", report.scope.label(), report.currency);
    let _ = writeln!(out, "~ = duration estimated. Data version {}.", report.data_version);
    let _ = writeln!(out, "Share: ?{}", report.query);
    out
}

/// One GPU's plan in a sentence: memory, servers, utilisation, and the headline's cost parts.
pub fn plan_line(report: &Report, p: &estimator::methods::GpuPlan) -> String {
    let mut parts = Vec::new();
    parts.push(
        p.memory
            .as_ref()
            .map_or("memory: parameters or GPU memory unknown".into(), |m| format!("memory {}", m.verdict())),
    );
    if let Some(sc) = &p.scaling {
        parts.push(format!(
            "{} server{} × {} GPU{} ({}), scaling {:.0} %",
            sc.nodes,
            if sc.nodes == 1 { "" } else { "s" },
            sc.gpus_per_node,
            if sc.gpus_per_node == 1 { "" } else { "s" },
            p.server.name,
            sc.efficiency() * 100.0
        ));
    }
    if let Some(m) = p.mfu {
        parts.push(format!("utilisation {:.0} % of peak", m * 100.0));
    }
    if let Some(h) = report.rows.iter().find(|r| r.gpu == p.gpu && r.headline) {
        let c = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{} {}", human(v), report.currency));
        parts.push(match h.cost {
            None => "cost unknown: give gpu_hour_price and price".to_string(),
            Some(_) => {
                format!("cost {} = GPU-hours {} + electricity {}", c(h.cost), c(h.rental_cost), c(h.energy_cost))
            }
        });
    }
    parts.join("; ")
}

fn method_label(m: MethodId) -> &'static str {
    m.label()
}
