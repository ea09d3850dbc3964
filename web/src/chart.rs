//! Charts drawn by the app (no chart library): horizontal bars with interval whiskers, HTML text and SVG bars.

use estimator::format::human;
use yew::prelude::*;

/// One bar.
#[derive(Clone, PartialEq)]
pub struct Bar {
    /// Label left of the bar.
    pub label: String,
    /// Value (bar length).
    pub value: f64,
    /// Interval, drawn as a whisker.
    pub interval: Option<(f64, f64)>,
    /// Highlighted (e.g. the paper's methods).
    pub accent: bool,
}

/// Properties of [`BarChart`].
#[derive(Properties, PartialEq)]
pub struct BarChartProps {
    /// Accessible title.
    pub title: AttrValue,
    /// Unit after each value.
    pub unit: AttrValue,
    /// The bars, top to bottom.
    pub bars: Vec<Bar>,
    /// `id` of the `<svg>`.
    #[prop_or_default]
    pub id: Option<AttrValue>,
}

/// A horizontal bar chart with whiskers, scaled to the largest value or interval end. Labels and values are
/// HTML text (they keep the page's font size at any width and wrap instead of being clipped); each bar and
/// its whisker is a small SVG stretched to the row's width.
#[component]
pub fn BarChart(p: &BarChartProps) -> Html {
    let max = p
        .bars
        .iter()
        .flat_map(|b| [Some(b.value), b.interval.map(|i| i.1)])
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let pct = |v: f64| if max > 0.0 { (v / max).clamp(0.0, 1.0) * 100.0 } else { 0.0 };
    html! {
        <figure id={p.id.clone()} class="chart" role="img" aria-label={p.title.clone()}>
            <figcaption>{ p.title.clone() }</figcaption>
            <ul>
                { for p.bars.iter().map(|b| {
                    let whisker = b.interval.map(|(lo, hi)| {
                        let (x1, x2) = (pct(lo).to_string(), pct(hi).to_string());
                        html! {
                            <g class="whisker">
                                <line x1={x1.clone()} x2={x2.clone()} y1="6" y2="6" vector-effect="non-scaling-stroke" />
                                <line x1={x1.clone()} x2={x1} y1="2" y2="10" vector-effect="non-scaling-stroke" />
                                <line x1={x2.clone()} x2={x2} y1="2" y2="10" vector-effect="non-scaling-stroke" />
                            </g>
                        }
                    });
                    html! {
                        <li class={classes!("bar", b.accent.then_some("accent"))}>
                            <span class="label">{ &b.label }</span>
                            <svg class="track" viewBox="0 0 100 12" preserveAspectRatio="none" aria-hidden="true">
                                <rect x="0" y="3" width={pct(b.value).max(0.3).to_string()} height="6" />
                                { for whisker }
                            </svg>
                            <span class="value">{ format!("{} {}", human(b.value), p.unit) }</span>
                        </li>
                    }
                }) }
            </ul>
        </figure>
    }
}
