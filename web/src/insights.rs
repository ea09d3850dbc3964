//! The parts of the page that look across the estimates: every GPU ranked for the workload, the
//! methods of one GPU as a chart, a lower-carbon cloud region, and the exports.

use std::rc::Rc;

use estimator::catalog::Segment;
use estimator::format::human;
use estimator::rank::{self, Criterion};
use estimator::{export, Report, Resolved};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::chart::{Bar, BarChart};
use crate::data::use_page_data;
use crate::state::{Action, RankControl, State};

/// Properties of the parts here.
#[derive(Properties, PartialEq)]
pub struct InsightProps {
    /// Page state.
    pub state: crate::data::Shared<State>,
    /// Resolved scenario.
    pub resolved: crate::data::Shared<Resolved>,
    /// Estimates of the selected GPUs.
    pub report: crate::data::Shared<Report>,
    /// Where actions go.
    pub dispatch: Callback<Action>,
}

fn select_value(e: &Event) -> String {
    e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()).map(|s| s.value()).unwrap_or_default()
}

/// The segment a ranking select's value names (`""`: all).
fn segment_of(value: &str) -> Option<Segment> {
    match value {
        "datacenter" => Some(Segment::Datacenter),
        "workstation" => Some(Segment::Workstation),
        "consumer" => Some(Segment::Consumer),
        _ => None,
    }
}

/// Every GPU of the catalogue ranked by its headline estimate of the chosen criterion.
#[component]
pub fn Ranking(p: &InsightProps) -> Html {
    let Some(data) = use_page_data() else { return Html::default() };
    let (catalog, state) = (data.catalog.0, &p.state);
    let s = &p.resolved.scenario;
    let criterion = state.rank_by;
    let filter = state.rank_filter.clone();
    // Every GPU × every method is most of an input change's work, and the ranking is below the answer: it is
    // redone when the browser is idle after the frame that shows the new answer (only when the scenario, the
    // filter or the calibration changed), and until then shows the previous one, marked busy. The first render
    // ranks at once.
    let key = (s.clone(), filter, data.calibration);
    let computed = use_state(|| {
        let (s, f, c) = &key;
        (key.clone(), Rc::new(rank::rank_all(catalog, c.0, s, f)))
    });
    let latest = use_mut_ref(|| key.clone());
    let busy = computed.0 != key;
    {
        let computed = computed.clone();
        use_effect_with((key.clone(), busy), move |(key, busy)| {
            *latest.borrow_mut() = key.clone();
            if *busy {
                let key = key.clone();
                crate::when_idle(move || {
                    // A later change supersedes this one: rank only the latest scenario.
                    if *latest.borrow() == key {
                        let (s, f, c) = &key;
                        let table = Rc::new(rank::rank_all(catalog, c.0, s, f));
                        computed.set((key, table));
                    }
                });
            }
        });
    }
    let table = computed.1.clone();
    let (ranked, missing) = rank::sorted_by(&table, criterion);
    let on = |control: fn(String) -> RankControl| {
        let d = p.dispatch.clone();
        Callback::from(move |e: Event| d.emit(Action::Rank(control(select_value(&e)))))
    };
    let on_fits = {
        let d = p.dispatch.clone();
        Callback::from(move |e: Event| {
            let checked = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()).is_some_and(|i| i.checked());
            d.emit(Action::Set("memory", if checked { "on" } else { "off" }.into()))
        })
    };
    let mut vendors: Vec<&str> = catalog.gpus.gpus.iter().map(|g| g.vendor.as_str()).collect();
    estimator::order::sort(&mut vendors);
    vendors.dedup();
    let name = |id: &str| catalog.gpu(id).map_or(id.to_string(), |g| g.name.clone());
    let best: Vec<Html> = Criterion::ALL
        .iter()
        .filter_map(|c| {
            let (r, _) = rank::sorted_by(&table, *c);
            let top = r.first()?;
            let v = top.get(*c)?.value;
            Some(html! { <li data-best={c.as_str()}>{ format!("{}: {} ({} {})", c.as_str(), name(&top.gpu), human(v), c.unit()) }</li> })
        })
        .collect();
    let bars: Vec<Bar> = ranked
        .iter()
        .take(12)
        .filter_map(|r| {
            let c = r.get(criterion)?;
            Some(Bar {
                label: name(&r.gpu),
                value: c.value,
                interval: Some((c.low, c.high)),
                accent: s.gpus.contains(&r.gpu),
            })
        })
        .collect();
    let cell = |c: &Option<rank::Consensus>| c.as_ref().map_or("—".to_string(), |c| human(c.value));
    html! {
        <section class="ranking" id="ranking" aria-label="GPU ranking" aria-busy={busy.then_some("true")}>
            <h2>{ "Every GPU for this workload" }</h2>
            <div class="controls">
                <label>{ "Rank by " }
                    <select id="rank-by" onchange={on(|v| RankControl::By(Criterion::ALL.into_iter().find(|c| c.as_str() == v).unwrap_or(Criterion::Energy)))}>
                        { for Criterion::ALL.iter().map(|c| html! { <option value={c.as_str()} selected={*c == criterion}>{ format!("{} ({})", c.as_str(), c.unit()) }</option> }) }
                    </select>
                </label>
                <label>{ "Vendor " }
                    <select id="rank-vendor" onchange={on(|v| RankControl::Vendor((!v.is_empty()).then_some(v)))}>
                        <option value="" selected={state.rank_filter.vendor.is_none()}>{ "all" }</option>
                        { for vendors.iter().map(|v| html! { <option value={v.to_string()} selected={state.rank_filter.vendor.as_deref() == Some(*v)}>{ *v }</option> }) }
                    </select>
                </label>
                <label>{ "Segment " }
                    <select id="rank-segment" onchange={on(|v| RankControl::Segment(segment_of(&v)))}>
                        { for [("", "all"), ("datacenter", "datacenter"), ("workstation", "workstation"), ("consumer", "consumer")].iter().map(|(v, l)| html! {
                            <option value={*v} selected={state.rank_filter.segment == segment_of(v)}>{ *l }</option>
                        }) }
                    </select>
                </label>
                <label>
                    <input id="rank-fits" type="checkbox" checked={s.job.memory_check} onchange={on_fits} />
                    { " check memory (GPUs that cannot hold the run go last)" }
                </label>
            </div>
            <p class="hint">{ format!(
                "Ranked by each GPU's headline estimate (device energy); whiskers: its 80 % interval from held-out errors. Where the headline lacks a spec, the median of the other methods. {} GPUs ranked{}.",
                ranked.len(),
                if missing > 0 { format!(", {missing} without any estimate of {}", criterion.as_str()) } else { String::new() }
            ) }</p>
            <ul class="best">{ for best }</ul>
            <BarChart id="ranking-chart" title={format!("Top GPUs by {}", criterion.as_str())} unit={criterion.unit()} bars={bars} />
            <div class="table-wrap" tabindex="0" role="region" aria-label="Every GPU ranked (scrolls)">
                <table class="ranked">
                    <thead><tr>
                        <th scope="col">{ "#" }</th><th scope="col">{ "GPU" }</th>
                        <th scope="col">{ "GPU kWh" }</th><th scope="col">{ "hours" }</th><th scope="col">{ "kg CO2e" }</th><th scope="col">{ format!("cost {}", s.job.currency) }</th>
                        <th scope="col">{ "memory" }</th><th scope="col">{ "methods" }</th>
                    </tr></thead>
                    <tbody>
                        { for ranked.iter().enumerate().map(|(i, r)| html! {
                            <tr data-rank-gpu={r.gpu.clone()} data-value={r.get(criterion).map(|c| c.value.to_string())} key={r.gpu.clone()}
                                data-fits={(!r.cannot_hold).to_string()}
                                class={classes!(s.gpus.contains(&r.gpu).then_some("selected"), r.cannot_hold.then_some("unfit"))}>
                                <td>{ i + 1 }</td>
                                <th scope="row">{ name(&r.gpu) }</th>
                                <td>{ cell(&r.energy_kwh) }</td>
                                <td>{ cell(&r.duration_h) }</td>
                                <td>{ cell(&r.co2e_kg) }</td>
                                <td>{ cell(&r.cost) }</td>
                                <td class="memory">{ r.memory.clone().unwrap_or_else(|| "unknown".into()) }</td>
                                <td>{ r.get(criterion).map_or(0, |c| c.n_methods) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// The first GPU's methods as a bar chart, and a lower-carbon cloud region for the run.
#[component]
pub fn MethodsChart(p: &InsightProps) -> Html {
    let Some(data) = use_page_data() else { return Html::default() };
    let catalog = data.catalog.0;
    let s = &p.resolved.scenario;
    let Some(gpu) = s.gpus.first() else { return Html::default() };
    let bars: Vec<Bar> = p
        .report
        .rows
        .iter()
        .filter(|r| &r.gpu == gpu)
        .filter_map(|r| {
            Some(Bar {
                label: r.method.label().to_string(),
                value: r.energy_kwh?,
                interval: r.low_kwh.zip(r.high_kwh),
                accent: r.method.is_paper_method(),
            })
        })
        .collect();
    let gpu_name = catalog.gpu(gpu).map_or(gpu.clone(), |g| g.name.clone());
    let rows: Vec<_> = p.report.rows.iter().filter(|r| &r.gpu == gpu).collect();
    let co2 = rank::headline_value(&rows, Criterion::Co2e);
    let lowest = co2.map(|c| {
        let text = match rank::lower_carbon_region(catalog, s) {
            Some(a) => {
                let year = a.region.year.map_or("year not given by its source".to_string(), |y| y.to_string());
                let source = a.source.map_or(a.region.source.clone(), |src| src.attribution.clone());
                let there = c.value * a.factor;
                format!(
                    "Lower-carbon option for this run on {gpu_name}: {}, {} g CO2e/kWh ({year}, {source}): {} kg CO2e \
instead of {} kg here, {} kg ({:.0} %) less.",
                    a.region.name,
                    human(a.region.intensity_g_per_kwh),
                    human(there),
                    human(c.value),
                    human(c.value - there),
                    (1.0 - a.factor) * 100.0
                )
            }
            None => format!("No cloud region in the data would run this on {gpu_name} with less carbon than here."),
        };
        html! { <p class="hint" id="lowest-carbon">{ text }</p> }
    });
    // The same run on the chosen GPU count and its neighbours (half and double), and on one GPU: the headline,
    // with the measured efficiency within a server and the gradient exchange across servers.
    let mut counts = vec![1u32, (s.n_gpus / 2).max(1), s.n_gpus, s.n_gpus.saturating_mul(2).min(100_000)];
    counts.dedup();
    let scaling: Vec<Html> = counts
        .iter()
        .filter_map(|&n| {
            let mut sc = s.clone();
            sc.gpus = vec![gpu.clone()];
            sc.n_gpus = n;
            let rows = estimator::estimate_all(catalog, data.calibration.0, &sc);
            let refs: Vec<_> = rows.iter().collect();
            let e = rank::headline_value(&refs, Criterion::Energy)?;
            let h = rank::headline_value(&refs, Criterion::Time)?;
            Some(html! {
                <tr data-n-gpus={n.to_string()} class={classes!((n == s.n_gpus).then_some("selected"))}>
                    <td>{ n }</td><td>{ sc.nodes() }</td><td>{ human(e.value) }</td><td>{ human(h.value) }</td>
                </tr>
            })
        })
        .collect();
    html! {
        <section class="methods-chart" aria-label="Methods compared">
            <h3>{ format!("Methods compared on {gpu_name}") }</h3>
            <BarChart id="methods-chart" title={format!("Energy by method on {gpu_name}")} unit="kWh" bars={bars} />
            <p class="hint">{ "Green bars: the paper's methods, fitted on measured runs; whiskers: their intervals. TDP-based methods assume the GPU draws its TDP throughout, which real training rarely does (measured: 43–96 % of the power limit on the paper's runs)." }</p>
            { for lowest }
            <table class="ranked scaling" id="scaling">
                <caption>{ format!("Scaling on {gpu_name} (headline estimate)") }</caption>
                <thead><tr><th scope="col">{ "GPUs" }</th><th scope="col">{ "servers" }</th><th scope="col">{ "GPU kWh" }</th><th scope="col">{ "hours" }</th></tr></thead>
                <tbody>{ for scaling }</tbody>
            </table>
        </section>
    }
}

/// Export buttons and the text they produce.
#[component]
pub fn Exports(p: &InsightProps) -> Html {
    let Some(data) = use_page_data() else { return Html::default() };
    let catalog = data.catalog.0;
    // Texts are made on click, not on every render.
    let make = |kind: &str, report: &Report, s: &estimator::Scenario| -> String {
        let link = crate::share_url(&report.query);
        match kind {
            "csv" => export::csv(report),
            "json" => serde_json::to_string_pretty(report).unwrap_or_default(),
            "markdown" => export::statement_markdown(report, s, catalog, &link),
            "latex" => export::statement_latex(report, s, catalog, &link),
            _ => export::hf_model_card_yaml(report, s, catalog, &link),
        }
    };
    let kinds = [
        ("csv", "CSV"),
        ("json", "JSON"),
        ("markdown", "Statement (Markdown)"),
        ("latex", "Statement (LaTeX)"),
        ("hf", "Model card YAML"),
    ];
    let shown = p.state.export.clone();
    html! {
        <section class="exports" aria-label="Exports">
            <h3>{ "Export" }</h3>
            <div class="export-buttons">
                { for kinds.iter().map(|(kind, label)| {
                    let d = p.dispatch.clone();
                    let (report, scenario) = (p.report.clone(), p.resolved.scenario.clone());
                    let k = kind.to_string();
                    let onclick = Callback::from(move |_: MouseEvent| {
                        let text = make(&k, &report, &scenario);
                        d.emit(Action::Export(Some((k.clone(), text))))
                    });
                    html! { <button type="button" data-export={*kind} {onclick}>{ *label }</button> }
                }) }
            </div>
            if let Some((kind, text)) = shown {
                <label for="export-text" class="visually-hidden">{ "Exported text" }</label>
                <textarea id="export-text" data-kind={kind.clone()} readonly=true rows="8" value={text.clone()} />
                <a id="export-download" download={format!("wattcast-estimate.{}", match kind.as_str() { "markdown" => "md", "latex" => "tex", "hf" => "yaml", k => k })}
                    href={format!("data:text/plain;charset=utf-8,{}", String::from(js_sys::encode_uri_component(&text)))}>{ "Download" }</a>
            }
        </section>
    }
}
