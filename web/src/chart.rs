//! Inline SVG charts drawn by the app (no chart library): horizontal bars with interval whiskers.

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

/// A horizontal bar chart with whiskers, scaled to the largest value or interval end.
#[component]
pub fn BarChart(p: &BarChartProps) -> Html {
    const ROW: f64 = 22.0;
    const LABEL: f64 = 150.0;
    const PLOT: f64 = 330.0;
    const VALUE: f64 = 90.0;
    let max = p
        .bars
        .iter()
        .flat_map(|b| [Some(b.value), b.interval.map(|i| i.1)])
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let scale = |v: f64| if max > 0.0 { (v / max).clamp(0.0, 1.0) * PLOT } else { 0.0 };
    let height = ROW * p.bars.len() as f64 + 6.0;
    let width = LABEL + PLOT + VALUE;
    html! {
        <svg id={p.id.clone()} class="chart" role="img" aria-label={p.title.clone()} viewBox={format!("0 0 {width} {height}")}
            width="100%" preserveAspectRatio="xMinYMin meet">
            <title>{ p.title.clone() }</title>
            { for p.bars.iter().enumerate().map(|(i, b)| {
                let y = 3.0 + i as f64 * ROW;
                let w = scale(b.value);
                let whisker = b.interval.map(|(lo, hi)| {
                    let (x1, x2) = (LABEL + scale(lo), LABEL + scale(hi));
                    let cy = y + ROW / 2.0 - 1.0;
                    html! {
                        <g class="whisker">
                            <line x1={x1.to_string()} x2={x2.to_string()} y1={cy.to_string()} y2={cy.to_string()} />
                            <line x1={x1.to_string()} x2={x1.to_string()} y1={(cy - 4.0).to_string()} y2={(cy + 4.0).to_string()} />
                            <line x1={x2.to_string()} x2={x2.to_string()} y1={(cy - 4.0).to_string()} y2={(cy + 4.0).to_string()} />
                        </g>
                    }
                });
                html! {
                    <g class={classes!("bar", b.accent.then_some("accent"))}>
                        <text x={(LABEL - 6.0).to_string()} y={(y + 14.0).to_string()} text-anchor="end">{ &b.label }</text>
                        <rect x={LABEL.to_string()} y={(y + 3.0).to_string()} width={w.max(1.0).to_string()} height={(ROW - 8.0).to_string()} />
                        { for whisker }
                        <text x={(LABEL + PLOT + 6.0).to_string()} y={(y + 14.0).to_string()}>{ format!("{} {}", human(b.value), p.unit) }</text>
                    </g>
                }
            }) }
        </svg>
    }
}
