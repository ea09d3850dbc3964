//! Exports of an estimate: CSV and JSON of the table, a statement for a paper (Markdown or LaTeX), and
//! a Hugging Face model-card `co2_eq_emissions` block. Text only; the shells save or copy it.

use crate::catalog::Catalog;
use crate::catalog::SampleUnit;
use crate::format::{human, human_range};
use crate::rank::{headline_value, Criterion};
use crate::scenario::{ArchChoice, Scenario};
use crate::Report;

/// CSV of every row (RFC 4180 quoting; empty cells for unknown values).
pub fn csv(report: &Report) -> String {
    let mut s = String::from(
        "gpu,method,energy_kwh,low_kwh,high_kwh,duration_h,duration_estimated,duration_low_h,duration_high_h,scope,scope_kwh,co2e_kg,cost,currency,rental_cost,energy_cost,evidence,warnings\n",
    );
    let num = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    let quote = |t: &str| {
        if t.contains([',', '"', '\n']) {
            format!("\"{}\"", t.replace('"', "\"\""))
        } else {
            t.to_string()
        }
    };
    for r in &report.rows {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            quote(&r.gpu),
            r.method.as_str(),
            num(r.energy_kwh),
            num(r.low_kwh),
            num(r.high_kwh),
            num(r.duration_h),
            r.duration_estimated,
            num(r.duration_low_h),
            num(r.duration_high_h),
            report.scope.as_str(),
            num(r.scope_kwh),
            num(r.co2e_kg),
            num(r.cost),
            quote(&report.currency),
            num(r.rental_cost),
            num(r.energy_cost),
            quote(r.evidence.as_deref().unwrap_or("")),
            quote(&r.warnings.join("; ")),
        ));
    }
    s
}

/// The headline of the first GPU: its leading estimate's energy and emissions with their 80 % interval,
/// and what made it.
struct Headline {
    gpu_name: String,
    energy: crate::rank::Consensus,
    hours: Option<crate::rank::Consensus>,
    co2e: Option<crate::rank::Consensus>,
    /// "the Time × power method", or "the median of 5 methods" where no single method could estimate.
    method: String,
}

fn headline(report: &Report, scenario: &Scenario, catalog: &Catalog) -> Option<Headline> {
    let gpu = scenario.gpus.first()?;
    let rows: Vec<_> = report.rows.iter().filter(|r| &r.gpu == gpu).collect();
    let energy = headline_value(&rows, Criterion::Energy)?;
    let method = match rows.iter().find(|r| r.headline) {
        Some(r) if energy.n_methods == 1 => format!("the {} method", r.method.label()),
        _ => format!("the median of {} methods (no single method could estimate it)", energy.n_methods),
    };
    Some(Headline {
        gpu_name: catalog.gpu(gpu).map_or(gpu.clone(), |g| g.name.clone()),
        energy,
        hours: headline_value(&rows, Criterion::Time),
        co2e: headline_value(&rows, Criterion::Co2e),
        method,
    })
}

/// `n` of a noun, singular or plural, digits grouped ("1 epoch", "1,281,167 images").
fn count(n: u64, one: &str, many: &str) -> String {
    let digits = if n < 1000 { n.to_string() } else { human(n as f64) };
    format!("{digits} {}", if n == 1 { one } else { many })
}

/// The scenario's samples per epoch in their unit ("1,281,167 images", "100,000,000 tokens").
fn samples(scenario: &Scenario, catalog: &Catalog) -> String {
    let unit = match &scenario.arch {
        ArchChoice::Catalog { id } => catalog.arch(id).map(|a| a.sample_unit),
        ArchChoice::Custom { .. } => scenario.input_px.map(|_| SampleUnit::Image),
    };
    let (one, many) = match unit {
        Some(SampleUnit::Image) => ("image", "images"),
        Some(SampleUnit::Token) => ("token", "tokens"),
        None => ("sample", "samples"),
    };
    count(scenario.samples, one, many)
}

fn arch_name(scenario: &Scenario, catalog: &Catalog) -> String {
    match &scenario.arch {
        ArchChoice::Catalog { id } => catalog.arch(id).map_or(id.clone(), |a| a.name.clone()),
        ArchChoice::Custom { gflops, .. } => format!("a custom model ({gflops} forward GFLOPs per sample)"),
    }
}

fn region_name(scenario: &Scenario, catalog: &Catalog) -> String {
    catalog.region(&scenario.region).map_or(scenario.region.clone(), |r| r.name.clone())
}

/// A sentence for a paper's compute statement, in Markdown.
pub fn statement_markdown(report: &Report, scenario: &Scenario, catalog: &Catalog, link: &str) -> String {
    let Some(h) = headline(report, scenario, catalog) else {
        return "No estimate is available for this scenario.\n".into();
    };
    let pue = report.site.pue;
    let co2 = h.co2e.map_or(String::new(), |c| {
        format!(
            ", or {} kg CO2e ({}) counting {} in {} at PUE {pue}",
            human(c.value),
            human_range(c.low, c.high),
            scenario.job.scope.label(),
            region_name(scenario, catalog)
        )
    });
    let interval = if h.energy.n_methods == 1 {
        format!(" (80 % interval {} kWh, from held-out errors)", human_range(h.energy.low, h.energy.high))
    } else {
        String::new()
    };
    // GPU-hours, with the duration's interval where it is the headline's own (not a spread of methods).
    let gpu_hours = h.hours.map_or(String::new(), |t| {
        let n = f64::from(scenario.n_gpus);
        let range = if t.n_methods == 1 && t.low < t.high {
            format!(" (80 % interval {})", human_range(t.low * n, t.high * n))
        } else {
            String::new()
        };
        format!("{} GPU-hours{range} and ", human(t.value * n))
    });
    format!(
        "Training {} on {} × {} for {} of {} was estimated at {gpu_hours}{} kWh of GPU energy{interval} by {}{co2}, with \
WattCast \
(data version {}; [estimate]({link})).\n",
        arch_name(scenario, catalog),
        scenario.n_gpus,
        h.gpu_name,
        count(u64::from(scenario.epochs), "epoch", "epochs"),
        samples(scenario, catalog),
        human(h.energy.value),
        h.method,
        report.data_version,
    )
}

/// The same statement in LaTeX (special characters escaped).
pub fn statement_latex(report: &Report, scenario: &Scenario, catalog: &Catalog, link: &str) -> String {
    let md = statement_markdown(report, scenario, catalog, link);
    let body = md.trim_end().replace(&format!("[estimate]({link})"), "\u{1}");
    let mut out = String::new();
    for c in body.chars() {
        match c {
            '\u{1}' => out.push_str(&format!("\\url{{{link}}}")),
            '%' | '$' | '&' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '\\' => out.push_str("\\textbackslash{}"),
            '×' => out.push_str("$\\times$"),
            '–' => out.push_str("--"),
            c => out.push(c),
        }
    }
    out.push('\n');
    out
}

/// A Hugging Face model card's `co2_eq_emissions` block (emissions in grams, as the card format wants).
pub fn hf_model_card_yaml(report: &Report, scenario: &Scenario, catalog: &Catalog, link: &str) -> String {
    let Some(h) = headline(report, scenario, catalog) else { return "# no estimate available\n".into() };
    let grams = h.co2e.as_ref().map_or("null".to_string(), |c| format!("{}", (c.value * 1000.0).round()));
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let interval = h.co2e.as_ref().filter(|c| c.low < c.high).map_or(String::new(), |c| {
        format!(", 80 % interval {}–{} g", (c.low * 1000.0).round(), (c.high * 1000.0).round())
    });
    format!(
        "co2_eq_emissions:\n  emissions: {grams}\n  source: \"{}\"\n  training_type: \"{}\"\n  geographical_location: \"{}\"\n  hardware_used: \"{} x {}\"\n",
        esc(&format!(
            "WattCast estimate (data version {}), {}, counting {}{interval}: {link}",
            report.data_version,
            h.method,
            scenario.job.scope.label()
        )),
        match scenario.job.mode {
            crate::scenario::Mode::Pretrain => "pre-training",
            crate::scenario::Mode::Finetune | crate::scenario::Mode::Lora => "fine-tuning",
        },
        esc(&region_name(scenario, catalog)),
        scenario.n_gpus,
        esc(&h.gpu_name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Calibration, Catalog};

    fn fixture() -> (Catalog, Report, Scenario) {
        let catalog = Catalog::embedded().unwrap();
        let cal = Calibration::embedded().unwrap();
        let (r, report) =
            crate::estimate(&catalog, &cal, "arch=tv-resnet50&gpu=nvidia-a100-sxm4-80gb&hours=10&region=FR&price=0.2");
        (catalog, report, r.scenario)
    }

    #[test]
    fn csv_has_a_row_per_estimate_and_quotes_text() {
        let (_, report, _) = fixture();
        let csv = csv(&report);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 1 + report.rows.len());
        assert!(lines.iter().any(|l| l.starts_with("nvidia-a100-sxm4-80gb,mlco2,4,")), "{csv}");
        assert!(csv.contains("\"fitted on"), "evidence with commas is quoted");
    }

    #[test]
    fn statements_and_model_card() {
        let (catalog, report, s) = fixture();
        let link = "https://example.org/?v=1&a=b_c";
        let md = statement_markdown(&report, &s, &catalog, link);
        assert!(
            md.starts_with("Training ResNet-50 (v1.5) on 1 × A100 SXM4 80 GB for 90 epochs of 1,281,167 images"),
            "{md}"
        );
        assert!(md.contains("kWh of GPU energy (80 % interval ") && md.contains(" by the "), "{md}");
        assert!(md.contains("was estimated at 10.0 GPU-hours and "), "a given duration has no interval: {md}");
        assert!(md.contains("kg CO2e") && md.contains("France") && md.contains(link));
        let tex = statement_latex(&report, &s, &catalog, link);
        assert!(tex.contains("\\url{https://example.org/?v=1&a=b_c}") && tex.contains("$\\times$"), "{tex}");
        assert!(!tex.contains("(v1.5) on 1 × "), "× is escaped");
        let yaml = hf_model_card_yaml(&report, &s, &catalog, link);
        assert!(
            yaml.contains("\n  training_type: \"pre-training\"\n") && yaml.contains("counting GPUs only"),
            "{yaml}"
        );
        assert!(md.contains("counting GPUs only in France"), "{md}");
        assert!(yaml.starts_with("co2_eq_emissions:\n  emissions: "), "{yaml}");
        assert!(
            yaml.contains("geographical_location: \"France\"")
                && yaml.contains("hardware_used: \"1 x A100 SXM4 80 GB\"")
        );
        let cal = Calibration::embedded().unwrap();
        let (r, lora) = crate::estimate(&catalog, &cal, "arch=llama-3.1-8b&mode=lora&scope=server&samples=1M&epochs=1");
        let yaml = hf_model_card_yaml(&lora, &r.scenario, &catalog, link);
        assert!(yaml.contains("training_type: \"fine-tuning\"") && yaml.contains("counting whole servers"), "{yaml}");
        let csv = csv(&lora);
        assert!(csv.lines().nth(1).is_some_and(|l| l.contains(",server,") && l.contains(",USD,")), "{csv}");
    }

    /// Counts agree with their nouns and samples say their unit.
    #[test]
    fn statements_count_in_good_english() {
        let catalog = Catalog::embedded().unwrap();
        let cal = Calibration::embedded().unwrap();
        for (query, expected) in [
            ("arch=tv-resnet50&gpu=nvidia-h100-sxm&epochs=1&samples=1", "for 1 epoch of 1 image was"),
            ("arch=tv-resnet50&gpu=nvidia-h100-sxm&epochs=2&samples=1281167", "for 2 epochs of 1,281,167 images was"),
            ("arch=llama-3-8b&gpu=nvidia-h100-sxm&epochs=1&samples=100000000", "for 1 epoch of 100,000,000 tokens was"),
            (
                "arch=custom&params=100&gflops=2&gpu=nvidia-h100-sxm&epochs=3&samples=10",
                "for 3 epochs of 10 samples was",
            ),
        ] {
            let (r, report) = crate::estimate(&catalog, &cal, query);
            assert!(r.errors.is_empty(), "{query}: {:?}", r.errors);
            let md = statement_markdown(&report, &r.scenario, &catalog, "https://example.org/");
            assert!(md.contains(expected), "{query}: {md}");
            assert!(!md.contains(" of estimation methods"), "{md}");
        }
        // An estimated duration: GPU-hours over all GPUs, with the duration's interval.
        let (r, report) =
            crate::estimate(&catalog, &cal, "arch=llama-3.1-8b&gpu=nvidia-h100-sxm&n_gpus=8&samples=1e9&epochs=1");
        let h = report.rows.iter().find(|e| e.headline).unwrap();
        let md = statement_markdown(&report, &r.scenario, &catalog, "https://example.org/");
        let (lo, hi) = (h.duration_low_h.unwrap() * 8.0, h.duration_high_h.unwrap() * 8.0);
        let expected =
            format!("{} GPU-hours (80 % interval {}) and ", human(h.duration_h.unwrap() * 8.0), human_range(lo, hi));
        assert!(md.contains(&format!("was estimated at {expected}")), "{md}");
    }
}
