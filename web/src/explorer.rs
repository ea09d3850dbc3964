//! The profile explorer: open a profile from disk (file picker or drag and drop; read locally, never
//! uploaded), list what `wattcast validate` would say, draw its power trace with the stable point and the
//! STEP projection, and add it to the calibration ("use this profile") to refit PRE in the browser. Also the
//! list of the built-in traced profiles.

use estimator::format::{human, human_range};
use estimator::methods::step::{detect_series, step_power, Stability, StableConfig};
use estimator::profile::{Profile, Severity};
use wasm_bindgen::JsCast;
use web_sys::{File, HtmlInputElement};
use yew::prelude::*;

use crate::data::use_page_data;
use crate::state::{Action, State, MAX_PROFILE_BYTES};

/// Properties of [`Explorer`].
#[derive(Properties, PartialEq)]
pub struct ExplorerProps {
    /// Page state.
    pub state: crate::data::Shared<State>,
    /// The `wattcast record` command for the scenario on the page.
    pub record_command: AttrValue,
    /// Where actions go.
    pub dispatch: Callback<Action>,
}

fn read(file: File, dispatch: Callback<Action>) {
    let name = file.name();
    if file.size() > MAX_PROFILE_BYTES {
        dispatch.emit(Action::OpenProfile(
            name,
            Err(format!(
                "the file is {:.1} MiB; the page opens profiles up to {:.0} MiB (use wattcast validate for larger ones)",
                file.size() / 1_048_576.0,
                MAX_PROFILE_BYTES / 1_048_576.0
            )),
        ));
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let text = if name.ends_with(".gz") {
            wasm_bindgen_futures::JsFuture::from(gunzip_text(&file, MAX_PROFILE_BYTES)).await.map_err(|e| {
                let why = e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message()));
                format!("the file could not be unzipped: {}", why.unwrap_or_else(|| "not gzip".into()))
            })
        } else {
            wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .map_err(|_| "the file could not be read".to_string())
        };
        dispatch.emit(Action::OpenProfile(name, text.map(|v| v.as_string().unwrap_or_default())));
    });
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/src/gunzip.js")]
extern "C" {
    /// `.json.gz` → text, refusing more than `limit` bytes once unzipped (see `gunzip.js`).
    #[wasm_bindgen(js_name = gunzipText)]
    fn gunzip_text(file: &File, limit: f64) -> js_sys::Promise;
}

/// The total power of a profile, averaged into at most `n` points.
fn downsample(t: &[u64], w: &[f64], n: usize) -> Vec<(f64, f64)> {
    let step = t.len().div_ceil(n.max(1)).max(1);
    t.chunks(step)
        .zip(w.chunks(step))
        .map(|(tc, wc)| (tc[0] as f64 / 1000.0, wc.iter().sum::<f64>() / wc.len() as f64))
        .collect()
}

fn trace_chart(p: &Profile) -> Html {
    let Some((t, w)) = p.total_power() else {
        return html! { <p class="hint">{ "Summary-only profile: no samples to draw." }</p> };
    };
    let (Some(&t_end), true) = (t.last(), !w.is_empty()) else { return Html::default() };
    // Planned length: planned epochs × mean epoch, else the recorded length.
    let total_ms = match (p.meta.planned_epochs, p.summary.mean_epoch_s) {
        (Some(n), Some(e)) if f64::from(n) * e * 1000.0 > t_end as f64 => (f64::from(n) * e * 1000.0) as u64,
        _ => t_end,
    };
    let stable = detect_series(StableConfig::default(), &t, &w, None).last().copied();
    let proj = step_power(StableConfig::default(), &t, &w, total_ms);
    let pts = downsample(&t, &w, 600);
    let (w_max, x_max) = (w.iter().copied().fold(1.0, f64::max) * 1.1, total_ms as f64 / 1000.0);
    let (width, height, left, bottom, top) = (600.0, 220.0, 40.0, 30.0, 8.0);
    let x = |s: f64| left + s / x_max * (width - left - 8.0);
    let y = |p: f64| height - bottom - p / w_max * (height - bottom - top);
    let line = pts.iter().map(|(s, p)| format!("{:.1},{:.1}", x(*s), y(*p))).collect::<Vec<_>>().join(" ");
    let since = match stable {
        Some(Stability::Stable { since_t_ms, .. }) => Some(since_t_ms as f64 / 1000.0),
        _ => None,
    };
    let recent = proj.as_ref().map(|pr| (pr.energy_j - pr.observed_j) / ((total_ms - t_end) as f64 / 1000.0).max(1e-9));
    html! {
        <>
            <svg id="trace-chart" class="chart trace" role="img" viewBox={format!("0 0 {width} {height}")} width="100%"
                aria-label="Power over time, with the stable point and the projection">
                <title>{ "Power over time" }</title>
                <line class="axis" x1={left.to_string()} x2={(width - 8.0).to_string()} y1={(height - bottom).to_string()} y2={(height - bottom).to_string()} />
                <line class="axis" x1={left.to_string()} x2={left.to_string()} y1={top.to_string()} y2={(height - bottom).to_string()} />
                <text id="trace-x-axis" x={((width + left) / 2.0).to_string()} y={(height - 8.0).to_string()} text-anchor="middle">{ format!("time, s (0 to {})", human(x_max)) }</text>
                <text id="trace-y-axis" x="12" y={((height - bottom) / 2.0).to_string()} transform={format!("rotate(-90 12 {})", (height - bottom) / 2.0)} text-anchor="middle">{ format!("power, W (0 to {})", human(w_max)) }</text>
                <polyline class="power" points={line} />
                if let Some(s) = since {
                    <line id="stable-marker" class="stable" x1={x(s).to_string()} x2={x(s).to_string()} y1={top.to_string()} y2={(height - bottom).to_string()} />
                    <text class="stable-label" x={(x(s) + 4.0).to_string()} y={(top + 12.0).to_string()}>{ format!("stable from {} s", human(s)) }</text>
                }
                if let (Some(r), true) = (recent, total_ms > t_end) {
                    <line id="projection-line" class="projection" x1={x(t_end as f64 / 1000.0).to_string()} x2={width.to_string()}
                        y1={y(r).to_string()} y2={y(r).to_string()} />
                }
            </svg>
            <p class="hint" id="trace-summary">{ format!(
                "{} · peak {} W · {}{}",
                format_args!("{} samples over {} s", t.len(), human(t_end as f64 / 1000.0)),
                human(w.iter().copied().fold(0.0, f64::max)),
                since.map_or("power never settled".to_string(), |s| format!("stable since {} s", human(s))),
                proj.as_ref().map_or(String::new(), |pr| format!(
                    " · STEP projection for {}: {} kJ ({})",
                    p.meta.planned_epochs.map_or("the recorded length".to_string(), |n| format!("{n} epochs")),
                    human(pr.energy_j / 1000.0), human_range(pr.low_j / 1000.0, pr.high_j / 1000.0)
                )),
            ) }</p>
        </>
    }
}

/// The explorer section.
#[component]
pub fn Explorer(p: &ExplorerProps) -> Html {
    let on_pick = {
        let d = p.dispatch.clone();
        Callback::from(move |e: Event| {
            if let Some(f) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                .and_then(|i| i.files())
                .and_then(|l| l.get(0))
            {
                read(f, d.clone());
            }
        })
    };
    let on_drop = {
        let d = p.dispatch.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if let Some(f) = e.data_transfer().and_then(|dt| dt.files()).and_then(|l| l.get(0)) {
                read(f, d.clone());
            }
        })
    };
    let on_over = Callback::from(|e: DragEvent| e.prevent_default());
    let on_use = {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.emit(Action::UseProfile))
    };
    let body = match &p.state.profile {
        None => Html::default(),
        Some(o) => match &o.profile {
            Err(e) => html! { <p role="alert" class="alert" id="profile-error">{ format!("{}: {e}", o.name) }</p> },
            Ok(prof) => {
                let errors = o.problems.iter().filter(|x| x.severity == Severity::Error).count();
                html! {
                    <div id="profile-view">
                        <p><strong>{ &o.name }</strong>{ format!(
                            " · {} on {} × {} · {} kJ in {} s · {:?}",
                            prof.meta.arch_id.as_deref().unwrap_or("architecture not given"),
                            prof.meta.n_gpus,
                            prof.meta.gpu.nvml_name.as_deref().unwrap_or("unknown GPU"),
                            human(prof.summary.energy_j / 1000.0),
                            human(prof.summary.duration_s),
                            prof.status
                        ) }</p>
                        if o.problems.is_empty() {
                            <p class="hint" id="profile-valid">{ "Valid: no problem found." }</p>
                        } else {
                            <ul id="profile-problems" class={classes!((errors > 0).then_some("alert"))}>
                                { for o.problems.iter().map(|x| html! {
                                    <li>{ format!("{}: {}: {}", if x.severity == Severity::Error { "error" } else { "warning" }, x.location, x.message) }</li>
                                }) }
                            </ul>
                        }
                        { trace_chart(prof) }
                        <button type="button" data-action="use-profile" onclick={on_use} disabled={errors > 0}>{ "Use this profile" }</button>
                        { match &o.used {
                            Some(Ok(())) => html! { <p role="status" class="hint" id="refit-status">{ "PRE refitted with this profile (same hyperparameters); the estimates above now include it." }</p> },
                            Some(Err(e)) => html! { <p role="alert" class="alert" id="refit-status">{ format!("Not added: {e}") }</p> },
                            None => Html::default(),
                        } }
                    </div>
                }
            }
        },
    };
    html! {
        <section class="explorer" id="explorer" aria-label="Profile explorer">
            <h2>{ "Open a calibration profile" }</h2>
            <div class="dropzone" ondrop={on_drop} ondragover={on_over}>
                <label for="profile-file">{ "Choose a profile (.json or .json.gz), or drop it here. It is read in your browser and never uploaded." }</label>
                <input id="profile-file" type="file" accept=".json,.gz,application/json,application/gzip" onchange={on_pick} />
            </div>
            { body }
            <details class="contribute">
                <summary>{ "Contribute a profile" }</summary>
                <ol>
                    <li>{ "Record a run: " }<code id="record-command">{ p.record_command.clone() }</code></li>
                    <li>{ "Check it: wattcast validate run.json (or open it here)." }</li>
                    <li>{ "Open a pull request adding it (gzipped) under data/profiles/contributed/, then run wattcast fit --markdown docs/accuracy.md and commit what it regenerates." }</li>
                </ol>
                <p class="hint">{ "Profiles are shared under CC BY 4.0. Calibration data: SEAA 2023 runs of arXiv 2307.05520 (del Rey, Martínez-Fernández, Cruz, Franch; CC BY 4.0) and the Zeus NSDI '23 power traces (You, Chung, Chowdhury; Apache-2.0)." }</p>
            </details>
        </section>
    }
}

/// Properties of [`BuiltinProfiles`].
#[derive(Properties, PartialEq)]
pub struct BuiltinProps {
    /// The GPUs being compared (resolved ids).
    pub gpus: Vec<String>,
    /// The GPU picked in the list (empty = the first compared GPU with profiles).
    pub browse_gpu: AttrValue,
    /// Where actions go.
    pub dispatch: Callback<Action>,
}

/// The traced profiles built into the page (those STEP projects from), per GPU: what each run was, how long
/// it took, what it used, and when its power settled.
#[component]
pub fn BuiltinProfiles(p: &BuiltinProps) -> Html {
    let Some(data) = use_page_data() else { return Html::default() };
    let all = &data.calibration.0.summary.step_profiles;
    let mut gpus: Vec<&str> = all.iter().map(|s| s.gpu_id.as_str()).collect();
    estimator::order::sort(&mut gpus);
    gpus.dedup();
    if gpus.is_empty() {
        return Html::default();
    }
    // The picked GPU, else the first compared one with profiles; else none until the user picks (the page then
    // opens without drawing a long table nobody asked for).
    let gpu = Some(p.browse_gpu.as_str())
        .filter(|g| gpus.contains(g))
        .or_else(|| p.gpus.iter().map(String::as_str).find(|g| gpus.contains(g)))
        .unwrap_or_default();
    let name = |id: &str| data.catalog.0.gpu(id).map_or(id.to_string(), |g| g.name.clone());
    let onchange = {
        let d = p.dispatch.clone();
        Callback::from(move |e: Event| {
            let v = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()).map(|s| s.value());
            d.emit(Action::BrowseGpu(v.unwrap_or_default()));
        })
    };
    let rows: Vec<_> = all.iter().filter(|s| s.gpu_id == gpu).collect();
    html! {
        <section class="explorer builtin" id="builtin-profiles" aria-label="Built-in profiles">
            <h2>{ "Built-in calibration profiles" }</h2>
            <p class="hint">{ format!(
                "{} traced runs on {} GPUs calibrate STEP; the full 1 Hz traces are in data/profiles/ of the repository (open one above to see it).",
                all.len(), gpus.len()
            ) }</p>
            <label>{ "GPU " }
                <select id="builtin-gpu" {onchange}>
                    <option value="" selected={gpu.is_empty()} disabled=true>{ "choose a GPU" }</option>
                    { for gpus.iter().map(|g| html! { <option value={g.to_string()} selected={*g == gpu}>{ format!("{} ({})", name(g), all.iter().filter(|s| s.gpu_id == *g).count()) }</option> }) }
                </select>
            </label>
            if !rows.is_empty() {
            <div class="table-wrap" tabindex="0" role="region" aria-label="Built-in profiles (scrolls)">
                <table class="ranked">
                    <thead><tr>
                        <th scope="col">{ "profile" }</th><th scope="col">{ "architecture" }</th><th scope="col">{ "batch" }</th>
                        <th scope="col">{ "epochs" }</th><th scope="col">{ "hours" }</th><th scope="col">{ "kWh" }</th>
                        <th scope="col">{ "stable after, s" }</th><th scope="col">{ "stable power, W" }</th>
                    </tr></thead>
                    <tbody>
                        { for rows.iter().map(|s| html! {
                            <tr data-profile={s.id.clone()} key={s.id.clone()}>
                                <td>{ &s.id }</td>
                                <td>{ &s.arch_id }</td>
                                <td>{ s.batch.map_or("—".into(), |b| b.to_string()) }</td>
                                <td>{ s.epochs.map_or("—".into(), |e| e.to_string()) }</td>
                                <td>{ human(s.duration_s / 3600.0) }</td>
                                <td data-kwh={(s.energy_j / 3.6e6).to_string()}>{ human(s.energy_j / 3.6e6) }</td>
                                <td>{ human(s.stable_since_s) }</td>
                                <td>{ human(s.stable_power_w) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
            }
        </section>
    }
}
