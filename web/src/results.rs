//! The answer and the estimates: the best of the compared GPUs, each GPU's headline, the methods side by side
//! with their notes, the methods' accuracy, and the share box.

use estimator::calibration::{Evaluated, Protocol, Split};
use estimator::fit::mixed::Holdout;
use estimator::format::{human, human_range};
use estimator::rank;
use estimator::MethodId;
use yew::prelude::*;

use crate::data::use_page_data;
use crate::state::Action;
use crate::view::PartProps;

/// An estimate's CO2e, cost and duration as shown under its energy; `currency` names every cost.
fn facts(e: &estimator::Estimate, currency: &str, server: bool) -> Vec<String> {
    let mut sub = Vec::new();
    if let (true, Some(k)) = (server, e.scope_kwh) {
        sub.push(format!("{} kWh with hosts", human(k)));
    }
    if let Some(c) = e.co2e_kg {
        sub.push(format!("{} kg CO2e", human(c)));
    }
    if let Some(c) = e.cost {
        let parts: Vec<String> = [("GPU-hours", e.rental_cost), ("electricity", e.energy_cost)]
            .iter()
            .filter_map(|(what, v)| v.map(|v| format!("{what} {}", human(v))))
            .collect();
        sub.push(format!("cost {} {currency} ({})", human(c), parts.join(" + ")));
    }
    if let Some(h) = e.duration_h {
        let range =
            e.duration_low_h.zip(e.duration_high_h).map_or(String::new(), |(l, h)| format!(" ({})", human_range(l, h)));
        sub.push(format!("{}{} h{range}", if e.duration_estimated { "~" } else { "" }, human(h)));
    }
    sub
}

/// Alerts, the estimates table, and the share box.
#[component]
pub fn Results(p: &PartProps) -> Html {
    let Some(data) = use_page_data() else { return Html::default() };
    let catalog = data.catalog.0;
    let resolved = &p.resolved;
    let Some(report) = &p.report else { return Html::default() };
    let s = &resolved.scenario;
    let site = &report.site;
    let server = s.job.scope == estimator::scenario::Scope::Server;
    // A field the user has not filled in yet (a custom model's GFLOPs right after choosing "custom") is not
    // an error to shout about; the field says what it needs once something is typed.
    let shown_errors: Vec<&estimator::error::QueryError> = resolved
        .errors
        .iter()
        .filter(|e| !(e.key() == "gflops" && p.state.query.get("gflops").is_none_or(|v| v.trim().is_empty())))
        .collect();

    let mut notes: Vec<String> = Vec::new();
    let mut note_ref = |w: &String| -> usize {
        notes.iter().position(|n| n == w).unwrap_or_else(|| {
            notes.push(w.clone());
            notes.len() - 1
        }) + 1
    };

    let rows = s
        .gpus
        .iter()
        .filter_map(|id| catalog.gpu(id))
        .map(|g| {
            let (peak, _) = estimator::methods::workload::peak_tflops(g, s.precision);
            let spec = format!(
                "{} · {}",
                g.tdp_w.map_or("TDP unknown".to_string(), |w| format!("{} W", human(w))),
                peak.map_or("peak unknown".to_string(), |t| format!("{} TFLOPS {}", human(t), s.precision)),
            );
            let cells = MethodId::ALL
                .iter()
                .map(|m| {
                    let Some(e) = report.rows.iter().find(|r| r.gpu == g.id && r.method == *m) else {
                        return html! { <td data-method={m.as_str()}>{ "—" }</td> };
                    };
                    let marks: Vec<usize> = e.warnings.iter().map(&mut note_ref).collect();
                    let kwh = e.energy_kwh.map(|x| AttrValue::from(x.to_string()));
                    let main = e.energy_kwh.map_or("—".to_string(), |x| format!("{} kWh", human(x)));
                    let interval = e.low_kwh.zip(e.high_kwh).map(|(l, h)| human_range(l, h));
                    let sub = facts(e, &report.currency, server);
                    html! {
                        <td data-method={m.as_str()} data-kwh={kwh} title={e.warnings.join("\n")}
                            class={classes!(m.is_paper_method().then_some("paper"), e.energy_kwh.is_none().then_some("none"))}>
                            <span class="kwh">{ main }</span>
                            { for marks.iter().map(|i| html! { <sup class="mark">{ format!("[{i}]") }</sup> }) }
                            if let Some(iv) = interval { <span class="interval">{ iv }</span> }
                            <span class="sub">{ sub.join(" · ") }</span>
                            if let Some(ev) = &e.evidence { <span class="evidence">{ ev }</span> }
                        </td>
                    }
                })
                .collect::<Html>();
            html! {
                <tr data-gpu={g.id.clone()} key={g.id.clone()}>
                    <th scope="row">{ &g.name }<span class="sub">{ spec }</span></th>
                    { cells }
                </tr>
            }
        })
        .collect::<Html>();

    // The answer first: each GPU's headline estimate with its interval and the sentence on how it was made.
    let headlines = s
        .gpus
        .iter()
        .filter_map(|id| catalog.gpu(id))
        .filter_map(|g| report.rows.iter().find(|r| r.gpu == g.id && r.headline).map(|e| (g, e)))
        .map(|(g, e)| {
            let kwh = e.energy_kwh.map(|x| AttrValue::from(x.to_string()));
            let main = e.energy_kwh.map_or("no estimate".to_string(), |x| format!("{} kWh", human(x)));
            let interval =
                e.low_kwh.zip(e.high_kwh).map(|(l, h)| format!("80 % interval {} kWh", human_range(l, h)));
            let sub: Vec<String> = interval.into_iter().chain(facts(e, &report.currency, server)).collect();
            let why = e.evidence.clone().or_else(|| e.warnings.first().cloned()).unwrap_or_default();
            let plan = report.plans.iter().find(|p| p.gpu == g.id);
            let memory = plan.and_then(|p| p.memory.as_ref()).map(|m| m.verdict());
            let unfit = plan.is_some_and(|p| p.cannot_hold(s));
            let cluster = plan.and_then(|p| p.scaling.as_ref().map(|sc| (sc, p.mfu))).filter(|(sc, _)| sc.n_gpus > 1).map(|(sc, mfu)| {
                format!(
                    "{} GPUs: {} server{} × {}, scaling {:.0} %{}",
                    sc.n_gpus,
                    sc.nodes,
                    if sc.nodes == 1 { "" } else { "s" },
                    sc.gpus_per_node,
                    sc.efficiency() * 100.0,
                    mfu.map_or(String::new(), |m| format!(", {:.0} % of peak FLOP/s over the run", m * 100.0))
                )
            });
            html! {
                <li data-headline={g.id.clone()} data-kwh={kwh} data-fits={(!unfit).to_string()} key={g.id.clone()} class={classes!(unfit.then_some("unfit"))}
                    data-scope-kwh={e.scope_kwh.map(|x| x.to_string())} data-hours={e.duration_h.map(|x| x.to_string())}
                    data-co2e={e.co2e_kg.map(|x| x.to_string())} data-cost={e.cost.map(|x| x.to_string())}>
                    <strong>{ &g.name }</strong>{ ": " }<span class="kwh">{ main }</span>
                    <span class="sub">{ sub.join(" · ") }</span>
                    if let Some(m) = memory { <span class="sub memory" data-memory={g.id.clone()}>{ format!("Memory {m}") }</span> }
                    if let Some(c) = cluster { <span class="sub cluster">{ c }</span> }
                    <span class="evidence">{ why }</span>
                </li>
            }
        })
        .collect::<Html>();

    // The best of the compared GPUs for the ranking's criterion, and why: its headline against the runner-up's,
    // in the ranking's own order (a GPU that cannot hold the run comes after every one that can).
    let criterion = p.state.rank_by;
    let compared: Vec<rank::Ranked> =
        s.gpus.iter().map(|id| rank::ranked(id, &report.rows, &report.plans, s)).collect();
    let (order, _) = rank::sorted_by(&compared, criterion);
    let value = |r: &rank::Ranked| r.get(criterion).map_or(0.0, |c| c.value);
    let name = |r: &rank::Ranked| catalog.gpu(&r.gpu).map_or(r.gpu.clone(), |g| g.name.clone());
    let best = order.first().map(|top| {
        let (unit, v) = (criterion.unit(), value(top));
        let why = match order.get(1) {
            _ if top.cannot_hold => " (no compared GPU holds the run as configured)".to_string(),
            Some(next) if value(next) > 0.0 => format!(
                ", {:.0} % less than {} ({} {unit})",
                (1.0 - v / value(next)) * 100.0,
                name(next),
                human(value(next))
            ),
            _ => String::new(),
        };
        html! {
            <p class="best-gpu" id="best-gpu" data-best-gpu={top.gpu.clone()}>
                { format!("Best of the compared GPUs for {}: ", criterion.as_str()) }<strong>{ name(top) }</strong>
                { format!(", {} {unit} by its headline estimate{why}.", human(v)) }
            </p>
        }
    });
    let url = crate::share_url(&report.query);
    let on_copy = {
        let dispatch = p.dispatch.clone();
        let url = url.clone();
        Callback::from(move |_: MouseEvent| copy_link(&url, dispatch.clone()))
    };
    let region = catalog.region(&s.region);

    html! {
        <section class="results" id="results" tabindex="-1" aria-label="Estimates">
            if !shown_errors.is_empty() {
                <div role="alert" class="alert">
                    <strong>{ "Some values in this link could not be used; their defaults are shown instead:" }</strong>
                    <ul>{ for shown_errors.iter().map(|e| html! { <li data-key={e.key()}>{ e.to_string() }</li> }) }</ul>
                </div>
            }
            if !resolved.notices.is_empty() {
                <div role="status" class="notice">
                    <ul>{ for resolved.notices.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
                </div>
            }
            <h2>{ if server { "Estimated energy: GPUs (kWh, before PUE), with hosts below" } else { "Estimated GPU energy (device, before PUE)" } }</h2>
            { for best }
            <ul class="headlines" aria-live="polite">{ headlines }</ul>
            <div class="share">
                <label for="share-link">{ "Share this estimate" }</label>
                <div class="share-row">
                    <input id="share-link" readonly=true value={url} />
                    <button type="button" data-action="copy-link" onclick={on_copy}>{ "Copy link" }</button>
                </div>
                if let Some(status) = &p.state.copy_status { <p role="status" class="hint" id="copy-status">{ status }</p> }
            </div>
            <details class="all-methods" open=true>
                <summary><h2>{ "Every method, per GPU" }</h2></summary>
                <p class="hint">
                    { format!(
                        "{} · grid {} g CO2e/kWh ({}) · PUE {} ({})",
                        region.map_or(s.region.as_str(), |r| r.name.as_str()),
                        human(site.intensity_g_per_kwh),
                        region.and_then(|r| catalog.source(&r.source)).map_or("", |src| src.name.as_str()),
                        site.pue,
                        site.pue_source,
                    ) }
                </p>
                <div class="table-wrap" tabindex="0" role="region" aria-label="Every method per GPU (scrolls)">
                    <table class="estimates">
                        <thead>
                            <tr>
                                <th scope="col">{ "GPU" }</th>
                                { for MethodId::ALL.iter().map(|m| html! {
                                    <th scope="col" data-method={m.as_str()}>{ m.label() }<span class="sub">{ m.formula() }</span></th>
                                }) }
                            </tr>
                        </thead>
                        <tbody>{ rows }</tbody>
                    </table>
                </div>
                if !notes.is_empty() {
                    <ol class="notes">{ for notes.iter().map(|n| html! { <li>{ n }</li> }) }</ol>
                }
                <p class="hint">{ "~ marks an estimated duration: the time × power model's, STEP's profiles' own throughput, the FLOPs model's (33 % of peak, Amodei & Hernandez 2018) for the baselines; give hours to override it. Green Algorithms includes PUE; the others apply it to CO2e and cost." }</p>
                <Methods />
            </details>
        </section>
    }
}

fn copy_link(url: &str, dispatch: Callback<Action>) {
    let Some(window) = web_sys::window() else { return };
    let promise = window.navigator().clipboard().write_text(url);
    wasm_bindgen_futures::spawn_local(async move {
        let status = match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(_) => "Link copied.".to_string(),
            Err(_) => "Copying is blocked here: select the link above and copy it.".to_string(),
        };
        dispatch.emit(Action::Copied(status));
    });
}

/// How each method works, where it comes from, and how accurate it was on the measured runs.
#[component]
pub fn Methods() -> Html {
    let Some(data) = use_page_data() else { return Html::default() };
    let cal = data.calibration.0;
    let acc = |method: MethodId, protocol: Protocol| {
        cal.summary
            .accuracy_of(Evaluated::Method(method), protocol)
            .and_then(|r| r.mape_pct.map(|m| (m, r.n_runs)))
            .map_or("—".to_string(), |(m, n)| format!("{m:.1} % ({n} runs)"))
    };
    let why = |m: MethodId| {
        match m {
        MethodId::Headline => "The time × power model: throughput from a measured benchmark of this workload on this GPU, or predicted from the GPU's specs; mean power a fitted fraction of the power limit; the interval is 80 % of held-out errors for a case like this one.",
        MethodId::PrePower => "Kernel ridge regression (RBF) of mean power ÷ power limit on architecture, run and GPU features (arXiv 2307.05520, PRE), × the duration.",
        MethodId::PreEpoch => "The same regression of energy per training sample, × samples × epochs: needs no duration.",
        MethodId::StepPower => "Measured runs of this architecture on this GPU: the power after it became stable (online detector), × the duration at their throughput (STEP).",
        MethodId::StepEpoch => "The same runs' stable energy per sample × samples × epochs (STEP, epoch variant).",
        MethodId::Mlco2 => "TDP × GPUs × hours: assumes the GPU draws its TDP all the time, so it overestimates (Lacoste et al. 2019).",
        MethodId::GreenAlgorithms => "TDP × usage + 0.3725 W per GB of memory, × hours × PUE (Lannelongue et al. 2021).",
        MethodId::Flops => "Training FLOPs ÷ (peak FLOP/s × 33 %) gives the hours, × TDP: ignores how well the model uses the GPU.",
    }
    };
    // What each method's accuracy is quoted on: only protocols that hold out what the estimate has not
    // seen (never random k-fold), each with the phrase that says what was held out.
    let held = |h: Holdout| Protocol::predicted(Split::Holdout(h));
    let protocols = |m: MethodId| -> Vec<(Protocol, &'static str)> {
        match m {
            MethodId::Headline => vec![
                (held(Holdout::Pair), "with this workload on this GPU held out"),
                (held(Holdout::Gpu), "on a GPU left out"),
            ],
            MethodId::PrePower | MethodId::PreEpoch => {
                vec![(held(Holdout::Workload), "on a workload left out"), (held(Holdout::Gpu), "on a GPU left out")]
            }
            MethodId::StepPower | MethodId::StepEpoch => vec![
                (Protocol::of(Split::Observe25), "after seeing 25 % of a run"),
                (Protocol::of(Split::Observe50), "after 50 %"),
            ],
            _ => vec![(Protocol::of(Split::All), "")],
        }
    };
    html! {
        <details class="methods" id="methods">
            <summary>{ "How the methods work, and how accurate they were on measured runs" }</summary>
            <table class="method-table">
                <thead><tr><th scope="col">{ "Method" }</th><th scope="col">{ "How" }</th><th scope="col">{ "MAPE on measured runs" }</th></tr></thead>
                <tbody>
                    { for MethodId::ALL.iter().map(|m| {
                        let accuracy = protocols(*m)
                            .into_iter()
                            .map(|(p, what)| format!("{} {what}", acc(*m, p)).trim_end().to_string())
                            .collect::<Vec<_>>()
                            .join("; ");
                        html! {
                            <tr data-method-row={m.as_str()}>
                                <th scope="row">{ m.label() }<span class="sub">{ m.formula() }</span></th>
                                <td>{ why(*m) }</td>
                                <td>{ accuracy }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            <p class="hint">{ format!(
                "Calibration: {} profiles ({} runs with the features the regressions need, {} traced runs STEP can use): SEAA 2023 runs of arXiv 2307.05520 (CC BY 4.0) and the Zeus NSDI '23 power traces (Apache-2.0). Regenerate with wattcast fit; measure your own with wattcast record.",
                cal.summary.n_profiles, cal.summary.n_runs_with_features, cal.summary.step_profiles.len()
            ) }</p>
        </details>
    }
}
