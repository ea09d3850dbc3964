//! Energy against time over power limits: for one GPU, workload and batch size of the Zeus NSDI '23 traces,
//! one epoch's energy and time at each power limit, drawn as a curve (inline SVG).

use estimator::calibration::PowerLimitCurve;
use estimator::catalog::SampleUnit;
use estimator::format::human;
use wasm_bindgen::JsCast;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::data::use_page_data;
use crate::state::Action;

/// Properties of [`PowerLimits`].
#[derive(Properties, PartialEq)]
pub struct PowerLimitsProps {
    /// The curve the user picked, if any (only this much of the page state: the section renders again only when
    /// it or the compared GPUs change).
    pub pick: Option<usize>,
    /// The GPUs being compared (resolved ids).
    pub gpus: Vec<String>,
    /// The scenario's sample unit and forward GFLOPs per sample, when known (picks the closest workload).
    pub workload: Option<(SampleUnit, f64)>,
    /// Where actions go.
    pub dispatch: Callback<Action>,
}

/// The catalogue model a Zeus workload trains and its input side (CIFAR's images are 32 px), where the
/// catalogue has it.
fn curve_model(workload: &str) -> Option<(&'static str, Option<u32>)> {
    [
        ("resnet50", ("tv-resnet50", Some(224))),
        ("shufflenetv2", ("tv-shufflenet-v2-x1-0", Some(32))),
        ("bert_base", ("bert-base-uncased", None)),
    ]
    .into_iter()
    .find(|(key, _)| workload.contains(key))
    .map(|(_, m)| m)
}

/// How far a curve's workload is from the scenario's `(unit, forward GFLOPs per sample)`: 0 for the same
/// family at the same FLOPs, growing with |ln(FLOPs ratio)|; a workload of another family or unknown size
/// comes after every one of the same family.
fn distance(c: &PowerLimitCurve, catalog: &estimator::Catalog, scenario: Option<(SampleUnit, f64)>) -> f64 {
    let Some((unit, gflops)) = scenario.filter(|(_, g)| *g > 0.0) else { return 0.0 };
    let theirs =
        curve_model(&c.workload).and_then(|(id, px)| catalog.arch(id).map(|a| (a.sample_unit, a.gflops_at(px))));
    match theirs {
        Some((u, Some(g))) if u == unit && g > 0.0 => (gflops / g).ln().abs(),
        _ => 1e6,
    }
}

/// The chosen curve: the user's pick, else, among the curves of the first compared GPU that has any (else all),
/// the workload closest to the scenario (same family, nearest FLOPs per sample: [`distance`]), the heaviest
/// (most energy per epoch at the highest limit) among equals.
pub fn chosen(
    curves: &[PowerLimitCurve],
    pick: Option<usize>,
    gpus: &[String],
    catalog: &estimator::Catalog,
    scenario: Option<(SampleUnit, f64)>,
) -> Option<usize> {
    let closest = |gpu: Option<&str>| {
        curves
            .iter()
            .enumerate()
            .filter(|(_, c)| gpu.is_none_or(|g| c.gpu_id == g))
            .min_by(|a, b| {
                let heavy = |c: &PowerLimitCurve| -c.epoch_energy_j.last().copied().unwrap_or(0.0);
                distance(a.1, catalog, scenario)
                    .total_cmp(&distance(b.1, catalog, scenario))
                    .then(heavy(a.1).total_cmp(&heavy(b.1)))
            })
            .map(|(i, _)| i)
    };
    pick.filter(|i| *i < curves.len()).or_else(|| gpus.iter().find_map(|g| closest(Some(g)))).or_else(|| closest(None))
}

/// The power-limit section.
#[component]
pub fn PowerLimits(p: &PowerLimitsProps) -> Html {
    let Some(data) = use_page_data() else { return Html::default() };
    let curves = &data.calibration.0.summary.power_limits;
    let Some(i) = chosen(curves, p.pick, &p.gpus, data.catalog.0, p.workload) else { return Html::default() };
    let c = &curves[i];
    let catalog = data.catalog.0;
    let gpu_name = |id: &str| catalog.gpu(id).map_or(id.to_string(), |g| g.name.clone());
    let onchange = {
        let d = p.dispatch.clone();
        Callback::from(move |e: Event| {
            let v = e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()).map(|s| s.value());
            if let Some(i) = v.and_then(|v| v.parse().ok()) {
                d.emit(Action::PowerCurve(i));
            }
        })
    };
    let compared = p.gpus.iter().any(|g| curves.iter().any(|c| c.gpu_id == *g));
    let best = c.best_energy();
    let summary = best.map(|(b, e, t)| {
        let top = c.power_limit_w.len() - 1;
        format!(
            "Least energy at {} W: {} kJ per epoch, {:+.0} % energy and {:+.0} % time against the highest limit ({} W).",
            human(c.power_limit_w[b]),
            human(c.epoch_energy_j[b] / 1000.0),
            (e - 1.0) * 100.0,
            (t - 1.0) * 100.0,
            human(c.power_limit_w[top]),
        )
    });
    html! {
        <section class="limits" id="power-limits" aria-label="Energy against time over power limits">
            <h3>{ "Power limits: energy against time" }</h3>
            <p class="hint">{ format!(
                "Measured, not estimated: one epoch at each power limit (nvidia-smi -pl), from the Zeus NSDI '23 traces (Apache-2.0), {} curves on {} GPUs.{}",
                curves.len(),
                { let mut g: Vec<&str> = curves.iter().map(|c| c.gpu_id.as_str()).collect(); g.dedup(); g.len() },
                if compared { "" } else { " None of the GPUs compared above has power-limit data; pick a curve." }
            ) }</p>
            <label>{ "Curve " }
                <select id="power-curve" {onchange}>
                    <CurveOptions selected={i} />
                </select>
            </label>
            <p class="hint" id="power-limit-curve">{ format!(
                "{} at batch {} on {}{}",
                c.workload,
                c.batch,
                gpu_name(&c.gpu_id),
                if p.pick.is_none() { " (the measured workload closest to this scenario)" } else { "" }
            ) }</p>
            { curve_chart(c, &gpu_name(&c.gpu_id), best.map(|b| b.0)) }
            if let Some(s) = summary { <p class="hint" id="power-limit-summary">{ s }</p> }
        </section>
    }
}

/// Properties of [`CurveOptions`].
#[derive(Properties, PartialEq)]
struct CurveOptionsProps {
    selected: usize,
}

/// The curve picker's options, grouped by GPU (renders only when the pick changes).
#[component]
fn CurveOptions(p: &CurveOptionsProps) -> Html {
    let Some(data) = use_page_data() else { return Html::default() };
    let curves = &data.calibration.0.summary.power_limits;
    let mut gpus: Vec<&str> = curves.iter().map(|c| c.gpu_id.as_str()).collect();
    gpus.dedup();
    gpus.into_iter()
        .map(|g| {
            let label = data.catalog.0.gpu(g).map_or(g.to_string(), |x| x.name.clone());
            html! {
                <optgroup label={label}>
                    { for curves.iter().enumerate().filter(|(_, c)| c.gpu_id == g).map(|(i, c)| html! {
                        <option value={i.to_string()} selected={i == p.selected}>{ format!("{} · batch {}", c.workload, c.batch) }</option>
                    }) }
                </optgroup>
            }
        })
        .collect()
}

/// Energy (y) against time (x) of one epoch, a point per power limit joined in limit order; point `best`
/// (the least energy) is marked.
fn curve_chart(c: &PowerLimitCurve, gpu_name: &str, best: Option<usize>) -> Html {
    let (width, height, pad) = (600.0, 240.0, 44.0);
    let span = |v: &[f64]| {
        let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(*x), b.max(*x)));
        let m = ((hi - lo) * 0.08).max(hi.abs() * 0.01).max(1e-9);
        (lo - m, hi + m)
    };
    let (x0, x1) = span(&c.epoch_s);
    let (y0, y1) = span(&c.epoch_energy_j);
    let x = |s: f64| pad + (s - x0) / (x1 - x0) * (width - 2.0 * pad);
    let y = |j: f64| height - pad - (j - y0) / (y1 - y0) * (height - 2.0 * pad);
    let labelled = std::cell::RefCell::new(Vec::<(f64, f64)>::new());
    let line = c
        .epoch_s
        .iter()
        .zip(&c.epoch_energy_j)
        .map(|(s, j)| format!("{:.1},{:.1}", x(*s), y(*j)))
        .collect::<Vec<_>>()
        .join(" ");
    let title =
        format!("{gpu_name}, {} batch {}: energy against time per epoch over power limits", c.workload, c.batch);
    html! {
        <svg id="power-limit-chart" class="chart limits-chart" role="img" aria-label={title.clone()} viewBox={format!("0 0 {width} {height}")} width="100%">
            <title>{ title }</title>
            <line class="axis" x1={pad.to_string()} x2={(width - pad).to_string()} y1={(height - pad).to_string()} y2={(height - pad).to_string()} />
            <line class="axis" x1={pad.to_string()} x2={pad.to_string()} y1={pad.to_string()} y2={(height - pad).to_string()} />
            <text x={(width / 2.0).to_string()} y={(height - 8.0).to_string()} text-anchor="middle">{ format!("time per epoch, s ({} to {})", human(x0.max(0.0)), human(x1)) }</text>
            <text x="12" y={(height / 2.0).to_string()} transform={format!("rotate(-90 12 {})", height / 2.0)} text-anchor="middle">{ format!("energy per epoch, kJ ({} to {})", human(y0.max(0.0) / 1000.0), human(y1 / 1000.0)) }</text>
            <polyline class="curve" points={line} />
            { for c.power_limit_w.iter().enumerate().map(|(i, w)| {
                let (s, j) = (c.epoch_s[i], c.epoch_energy_j[i]);
                let (px, py) = (x(s), y(j));
                // A label unless it would overlap one already drawn; right of the point, or left of it in the
                // right half of the plot.
                let free = best == Some(i) || labelled.borrow().iter().all(|(lx, ly): &(f64, f64)| (lx - px).abs() > 90.0 || (ly - py).abs() > 13.0);
                let label = free.then(|| {
                        labelled.borrow_mut().push((px, py));
                        let right = px > width / 2.0;
                        html! {
                            <text x={format!("{:.1}", if right { px - 7.0 } else { px + 7.0 })} y={format!("{:.1}", py - 5.0)} text-anchor={if right { "end" } else { "start" }}>
                                { format!("{} W · {} kJ{}", human(*w), human(j / 1000.0), if best == Some(i) { " · least energy" } else { "" }) }
                            </text>
                        }
                    });
                html! {
                    <g class={classes!("limit", (best == Some(i)).then_some("best"))} data-limit-w={w.to_string()} data-epoch-s={s.to_string()} data-energy-j={j.to_string()}>
                        <title>{ format!("{} W: {} s and {} kJ per epoch", human(*w), human(s), human(j / 1000.0)) }</title>
                        <circle cx={format!("{px:.1}")} cy={format!("{py:.1}")} r={if best == Some(i) { "5" } else { "3.5" }} />
                        { for label }
                    </g>
                }
            }) }
        </svg>
    }
}
