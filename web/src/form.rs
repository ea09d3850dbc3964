//! The scenario form: text fields and selects bound to link keys, the architecture combobox, the GPU picker
//! and the region list.

use estimator::catalog::{RegionKind, SampleUnit};
use estimator::format::human;
use estimator::{ArchChoice, Precision, Resolved, ScenarioQuery};
use yew::prelude::*;

use crate::data::use_page_data;
use crate::state::{Action, State};
use crate::view::{input_value, on_change, on_set, PartProps};

/// One labelled text field bound to a link key.
fn field(
    state: &State,
    resolved: &Resolved,
    canonical: &ScenarioQuery,
    dispatch: &Callback<Action>,
    key: &'static str,
    label: &str,
    hint: &str,
) -> Html {
    let id = format!("in-{key}");
    let value = state.query.get(key).unwrap_or_default().to_string();
    // An error shows once something was typed (an empty field is never an error at the field).
    let error = resolved.errors.iter().find(|e| e.key() == key).filter(|_| !value.trim().is_empty());
    let invalid = error.is_some();
    // What the estimate uses instead: the key's default as the resolved scenario writes it.
    let used = canonical.get(key).map_or("its default".to_string(), |d| format!("the default {d}"));
    let message = error.map(|e| format!("{e}. The estimate uses {used}."));
    let err_id = format!("err-{key}");
    // When the user leaves the field, a number typed as people write it (`100M`, `2d`) becomes the canonical
    // number the link stores (`canonical`: the resolved scenario as `Scenario::to_query` writes it).
    let canonical = canonical.get(key).map(str::to_string);
    let canonical = canonical.filter(|c| !invalid && !value.trim().is_empty() && *c != value);
    let on_change = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: Event| {
            if let Some(c) = canonical.clone() {
                dispatch.emit(Action::Set(key, c));
            }
        })
    };
    html! {
        <div class={classes!("field", invalid.then_some("invalid"))}>
            <label for={id.clone()}>{ label }</label>
            <input id={id} name={key} type="text" inputmode="decimal" autocomplete="off" placeholder={hint.to_string()}
                value={value} aria-invalid={invalid.to_string()} aria-describedby={invalid.then(|| err_id.clone())}
                oninput={on_set(dispatch, key)} onchange={on_change} />
            if let Some(m) = message { <p class="field-error" id={err_id}>{ m }</p> }
        </div>
    }
}

/// One labelled select bound to a link key: (value, label) options.
fn choice(
    dispatch: &Callback<Action>,
    key: &'static str,
    label: &str,
    options: &[(&str, &str)],
    selected: &str,
) -> Html {
    let id = format!("in-{key}");
    html! {
        <div class="field">
            <label for={id.clone()}>{ label }</label>
            <select id={id} name={key} onchange={on_change(dispatch, key)}>
                { for options.iter().map(|(v, l)| html! { <option value={v.to_string()} selected={*v == selected}>{ *l }</option> }) }
            </select>
        </div>
    }
}

/// The scenario form.
#[component]
pub fn Inputs(p: &PartProps) -> Html {
    let Some(data) = use_page_data() else { return Html::default() };
    let catalog = data.catalog.0;
    let (state, resolved, dispatch) = (&p.state, &p.resolved, &p.dispatch);
    let s = &resolved.scenario;
    let custom = matches!(s.arch, ArchChoice::Custom { .. }) || state.query.get("arch") == Some("custom");
    // What each field's value becomes in the link when the user leaves it (see `field`).
    let canonical = s.to_query("");

    let arch_value = state.query.get("arch").unwrap_or_default().to_string();
    let on_arch_input = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: InputEvent| {
            let v = input_value(&e);
            // While typing, only commit a complete id; `change` commits whatever was entered.
            if v == "custom" || crate::catalog().is_ok_and(|c| c.arch(&v).is_some()) {
                dispatch.emit(Action::Set("arch", v));
            }
        })
    };
    // Leaving the box commits what was typed: the catalogue id it finds ("resnet50" → tv-resnet50), so the
    // link holds the id; anything else as typed, for the usual message.
    let on_arch_change = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            let v = input_value(&e);
            let id = crate::catalog().ok().and_then(|c| c.find_arch(&v).map(|a| a.id.clone()));
            dispatch.emit(Action::Set("arch", id.unwrap_or(v)));
        })
    };
    let arch_info = match &s.arch {
        ArchChoice::Catalog { id } => catalog.arch(id).map(|a| {
            let unit = match a.sample_unit {
                SampleUnit::Image => a.input_px.map_or("per image".to_string(), |px| format!("per image at {px}×{px}")),
                SampleUnit::Token => "per token".to_string(),
            };
            format!(
                "{} · {} · {} GFLOPs {unit}",
                a.name,
                a.params_m.map_or("params unknown".to_string(), |m| format!("{} M params", human(m))),
                a.forward_gflops.map_or("—".to_string(), human),
            )
        }),
        ArchChoice::Custom { .. } => Some("custom architecture".to_string()),
    };

    // The GPU picker's facets (page-only, not in the link): one vendor, one segment, a memory floor.
    let vendor = use_state(|| None::<String>);
    let segment = use_state(|| None::<estimator::catalog::Segment>);
    let min_memory = use_state(|| None::<u32>);
    let selected: Vec<&str> = s.gpus.iter().map(String::as_str).collect();
    let filter = state.gpu_filter.to_ascii_lowercase();
    let facet = |g: &&estimator::catalog::Gpu| {
        vendor.as_deref().is_none_or(|v| g.vendor == v)
            && segment.is_none_or(|sg| g.segment == sg)
            && min_memory.is_none_or(|m| g.memory_gb.is_some_and(|have| have >= f64::from(m)))
    };
    let chip = |label: String, pressed: bool, onclick: Callback<MouseEvent>, data: String| {
        html! {
            <button type="button" class="chip" aria-pressed={pressed.to_string()} data-facet={data} {onclick}>{ label }</button>
        }
    };
    let mut vendors: Vec<&str> = catalog.gpus.gpus.iter().map(|g| g.vendor.as_str()).collect();
    vendors.dedup();
    let facets = html! {
        <div class="chips" role="group" aria-label="Filter GPUs by vendor, segment and memory">
            { for vendors.iter().map(|v| {
                let (state, v) = (vendor.clone(), v.to_string());
                let on = vendor.as_deref() == Some(v.as_str());
                let value = v.clone();
                chip(v.clone(), on, Callback::from(move |_| state.set(if on { None } else { Some(value.clone()) })), format!("vendor:{v}"))
            }) }
            { for [estimator::catalog::Segment::Datacenter, estimator::catalog::Segment::Workstation, estimator::catalog::Segment::Consumer].into_iter().map(|sg| {
                let state = segment.clone();
                let on = *segment == Some(sg);
                let name = format!("{sg:?}").to_ascii_lowercase();
                chip(name.clone(), on, Callback::from(move |_| state.set(if on { None } else { Some(sg) })), format!("segment:{name}"))
            }) }
            { for [24u32, 48, 80].into_iter().map(|gb| {
                let state = min_memory.clone();
                let on = *min_memory == Some(gb);
                chip(format!("≥ {gb} GB"), on, Callback::from(move |_| state.set(if on { None } else { Some(gb) })), format!("memory:{gb}"))
            }) }
        </div>
    };
    let selected_chips = html! {
        <ul class="chips selected-gpus" aria-label="Compared GPUs">
            { for selected.iter().filter_map(|id| catalog.gpu(id)).map(|g| {
                let (dispatch, id) = (dispatch.clone(), g.id.clone());
                html! {
                    <li><button type="button" class="chip on" data-remove-gpu={g.id.clone()} aria-label={format!("Remove {}", g.name)}
                        onclick={Callback::from(move |_| dispatch.emit(Action::ToggleGpu(id.clone())))}>{ format!("{} ×", g.name) }</button></li>
                }
            }) }
        </ul>
    };
    // Selected GPUs first (in comparison order), then the rest in catalogue order.
    let ordered = selected
        .iter()
        .filter_map(|id| catalog.gpu(id))
        .chain(catalog.gpus.gpus.iter().filter(|g| !selected.contains(&g.id.as_str())));
    let gpu_items = ordered
        .filter(facet)
        .filter(|g| {
            filter.is_empty()
                || g.name.to_ascii_lowercase().contains(&filter)
                || g.id.contains(&filter)
                || g.vendor.to_ascii_lowercase().contains(&filter)
        })
        .map(|g| {
            let checked = selected.contains(&g.id.as_str());
            let id = g.id.clone();
            let dispatch = dispatch.clone();
            let onchange = Callback::from(move |_: Event| dispatch.emit(Action::ToggleGpu(id.clone())));
            let tdp = g.tdp_w.map_or("TDP unknown".to_string(), |w| format!("{} W", human(w)));
            html! {
                <li key={g.id.clone()}>
                    <label>
                        <input type="checkbox" data-gpu-option={g.id.clone()} checked={checked} {onchange} />
                        { format!("{} ", g.name) }<small>{ format!("{} · {}", g.vendor, tdp) }</small>
                    </label>
                </li>
            }
        })
        .collect::<Html>();
    let on_filter = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: InputEvent| dispatch.emit(Action::FilterGpus(input_value(&e))))
    };

    let site = p.report.as_ref().map_or_else(|| estimator::Site::of(s, catalog), |r| r.site.clone());
    let pue_hint =
        format!("default {} ({})", site.pue, if site.pue_source == "user" { "set" } else { &site.pue_source });
    let arch = s.catalog_arch(catalog);
    let unit = arch.map_or(SampleUnit::Image, |a| a.sample_unit);
    let tokens = unit == SampleUnit::Token;
    let shape = arch.and_then(|a| a.transformer.as_ref());
    let samples_label = if tokens { "Training tokens per epoch" } else { "Training images per epoch" };
    // The placeholders are the defaults a field left empty takes (the scenario's, by family).
    let (default_samples, default_epochs) = estimator::scenario::family_defaults(unit);
    let samples_hint = if tokens {
        format!("{} (default)", human(default_samples as f64))
    } else {
        format!("{default_samples} (ImageNet)")
    };
    let epochs_hint = default_epochs.to_string();
    let job = &s.job;
    let seq_hint = shape.map_or(String::new(), |t| format!("default {}", t.default_seq()));
    let efficiency = match job.efficiency {
        estimator::scenario::Efficiency::Typical => "typical",
        estimator::scenario::Efficiency::Tuned => "tuned",
        estimator::scenario::Efficiency::Mfu(_) => "mfu",
    };
    let modes: Vec<(&str, &str)> = estimator::scenario::Mode::ALL.iter().map(|m| (m.as_str(), m.label())).collect();
    let zero = job.zero.stage().to_string();

    html! {
        <section class="inputs" aria-label="Training scenario">
            <h2>{ "Your training run" }</h2>
            <div class={classes!("field", resolved.errors.iter().any(|e| e.key() == "arch").then_some("invalid"))}>
                <label for="in-arch">{ "Architecture" }</label>
                <ArchBox value={AttrValue::from(arch_value)} oninput={on_arch_input} onchange={on_arch_change} dispatch={dispatch.clone()} />
                if let Some(info) = arch_info { <p class="hint" id="arch-info">{ info }</p> }
            </div>
            if custom {
                <div class="row">
                    { field(state, resolved, &canonical, dispatch, "params_m", "Parameters (millions)", "optional") }
                    { field(state, resolved, &canonical, dispatch, "gflops", "Forward GFLOPs per sample", "e.g. 8.2") }
                </div>
            }
            <fieldset class="gpus">
                <legend>{ format!("GPUs to compare ({} selected)", s.gpus.len()) }</legend>
                <label for="gpu-filter" class="visually-hidden">{ "Filter GPUs" }</label>
                { selected_chips }
                <input id="gpu-filter" type="search" placeholder="search: h100, rtx, amd…" value={state.gpu_filter.clone()} oninput={on_filter} />
                { facets }
                <ul class="gpu-picker">{ gpu_items }</ul>
            </fieldset>
            <div class="row">
                { field(state, resolved, &canonical, dispatch, "n_gpus", "GPUs per run", "1") }
                { field(state, resolved, &canonical, dispatch, "epochs", "Epochs", &epochs_hint) }
            </div>
            { field(state, resolved, &canonical, dispatch, "samples", samples_label, &samples_hint) }
            <div class="row">
                { field(state, resolved, &canonical, dispatch, "batch", if tokens { "Batch (sequences)" } else { "Batch size" }, "optional; per step, all GPUs") }
                if !tokens { { field(state, resolved, &canonical, dispatch, "input", "Input size (px)", "architecture default") } }
                if shape.is_some() { { field(state, resolved, &canonical, dispatch, "seq", "Sequence length (tokens)", &seq_hint) } }
            </div>
            if shape.is_some() {
                <div class="row">
                    { choice(dispatch, "mode", "Training", &modes, job.mode.as_str()) }
                    if job.mode == estimator::scenario::Mode::Lora {
                        { field(state, resolved, &canonical, dispatch, "lora_rank", "LoRA rank", "16") }
                    }
                </div>
            }
            <div class="row">
                { choice(dispatch, "efficiency", "Training code", &[("typical", "typical (framework defaults)"), ("tuned", "tuned (MLPerf-class)")], if efficiency == "mfu" { "" } else { efficiency }) }
                { field(state, resolved, &canonical, dispatch, "mfu", "Or utilisation (MFU 0–1)", "optional") }
            </div>
            <div class="row">
                { field(state, resolved, &canonical, dispatch, "gpus_per_node", "GPUs per server", "up to 8") }
                { choice(dispatch, "zero", "Sharding (ZeRO / FSDP)", &[("0", "none"), ("1", "1: optimizer"), ("2", "2: + gradients"), ("3", "3: + weights (FSDP)")], &zero) }
            </div>
            <div class="row">
                <div class="field">
                    <label for="in-precision">{ "Precision" }</label>
                    <select id="in-precision" onchange={on_change(dispatch, "precision")}>
                        { for Precision::ALL.iter().map(|pr| html! {
                            <option value={pr.as_str()} selected={*pr == s.precision}>{ pr.as_str() }</option>
                        }) }
                    </select>
                </div>
                { field(state, resolved, &canonical, dispatch, "hours", "Duration (hours)", "estimate it") }
                { field(state, resolved, &canonical, dispatch, "goodput", "Goodput (share of wall time training)", "by run length") }
            </div>
            <div class="field">
                <label for="in-region">{ "Region (grid carbon intensity)" }</label>
                <select id="in-region" onchange={on_change(dispatch, "region")}>
                    <RegionOptions selected={AttrValue::from(s.region.clone())} />
                </select>
            </div>
            <div class="row">
                { field(state, resolved, &canonical, dispatch, "pue", "PUE", &pue_hint) }
                { choice(dispatch, "scope", "Energy counted", &[("server", "whole servers"), ("gpu", "GPUs only")], job.scope.as_str()) }
            </div>
            <div class="row">
                { field(state, resolved, &canonical, dispatch, "gpu_hour_price", "Price per GPU-hour", "optional") }
                { field(state, resolved, &canonical, dispatch, "price", "Price per kWh", "optional") }
                { field(state, resolved, &canonical, dispatch, "currency", "Currency", "USD") }
            </div>
            <details>
                <summary>{ "Green Algorithms inputs" }</summary>
                <div class="row">
                    { field(state, resolved, &canonical, dispatch, "usage", "GPU usage factor", "1") }
                    { field(state, resolved, &canonical, dispatch, "mem_gb", "Memory (GB)", "0") }
                </div>
            </details>
        </section>
    }
}

/// Properties of [`RegionOptions`].
#[derive(Properties, PartialEq)]
pub struct RegionOptionsProps {
    /// The selected region id.
    pub selected: AttrValue,
}

/// The region picker's 280-odd options, grouped by provider. A component of its own so that it renders
/// only when the region changes, not on every keystroke elsewhere in the form.
#[component]
pub fn RegionOptions(p: &RegionOptionsProps) -> Html {
    let Some(data) = use_page_data() else { return Html::default() };
    let groups = [
        ("World and countries", None::<&str>),
        ("Amazon Web Services", Some("aws")),
        ("Google Cloud", Some("gcp")),
        ("Microsoft Azure", Some("azure")),
    ];
    groups
        .iter()
        .map(|(label, provider)| {
            let mut items: Vec<_> = data
                .catalog
                .0
                .regions
                .regions
                .iter()
                .filter(|r| match provider {
                    None => r.kind != RegionKind::Cloud,
                    Some(p) => r.provider.as_deref() == Some(*p),
                })
                .collect();
            estimator::order::sort_by(&mut items, |a, b| {
                (a.kind != RegionKind::World, &a.name).cmp(&(b.kind != RegionKind::World, &b.name))
            });
            html! {
                <optgroup label={*label}>
                    { for items.into_iter().map(|r| html! {
                        <option value={r.id.clone()} selected={*r.id == *p.selected}>
                            { format!("{} — {} g/kWh", r.name, human(r.intensity_g_per_kwh)) }
                        </option>
                    }) }
                </optgroup>
            }
        })
        .collect()
}

/// Properties of [`ArchBox`].
#[derive(Properties, PartialEq)]
pub struct ArchBoxProps {
    /// The link's `arch` value.
    pub value: AttrValue,
    /// Typing (commits a complete id).
    pub oninput: Callback<InputEvent>,
    /// Leaving the box (commits what it finds).
    pub onchange: Callback<Event>,
    /// Where a picked suggestion goes.
    pub dispatch: Callback<Action>,
}

/// Suggestions a combobox lists.
const ARCH_SUGGESTIONS: usize = 8;

/// The architecture search: a combobox (WAI-ARIA pattern) listing the catalogue's closest matches as the user
/// types; arrow keys move through them, Enter picks one, Escape closes the list.
#[component]
pub fn ArchBox(p: &ArchBoxProps) -> Html {
    // What is being typed (`None`: not editing; the box shows the link's value), whether the list is open,
    // and the highlighted suggestion.
    let typed = use_state(|| None::<String>);
    let listed = use_state(|| false);
    let active = use_state(|| None::<usize>);
    let Some(data) = use_page_data() else { return Html::default() };
    let catalog = data.catalog.0;
    let options: Vec<(String, String)> = match typed.as_deref() {
        Some(t) if *listed && !t.trim().is_empty() => {
            let mut o: Vec<(String, String)> = catalog
                .search_archs(t)
                .into_iter()
                .take(ARCH_SUGGESTIONS)
                .map(|a| (a.id.clone(), format!("{} · {}", a.name, a.family)))
                .collect();
            if "custom".starts_with(&t.trim().to_ascii_lowercase()) {
                o.push(("custom".into(), "Custom: enter params and GFLOPs".into()));
            }
            o
        }
        _ => Vec::new(),
    };
    let open = !options.is_empty();
    let close = {
        let (typed, listed, active) = (typed.clone(), listed.clone(), active.clone());
        move || {
            typed.set(None);
            listed.set(false);
            active.set(None);
        }
    };
    let pick = {
        let (close, dispatch) = (close.clone(), p.dispatch.clone());
        Callback::from(move |id: String| {
            close();
            dispatch.emit(Action::Set("arch", id));
        })
    };
    let oninput = {
        let (typed, listed, active, inner) = (typed.clone(), listed.clone(), active.clone(), p.oninput.clone());
        Callback::from(move |e: InputEvent| {
            typed.set(Some(input_value(&e)));
            listed.set(true);
            active.set(None);
            inner.emit(e);
        })
    };
    let onkeydown = {
        let (listed, active, pick) = (listed, active.clone(), pick.clone());
        let ids: Vec<String> = options.iter().map(|(id, _)| id.clone()).collect();
        Callback::from(move |e: KeyboardEvent| {
            let n = ids.len();
            match e.key().as_str() {
                "ArrowDown" | "ArrowUp" if n > 0 => {
                    e.prevent_default();
                    let down = e.key() == "ArrowDown";
                    active.set(Some(match (*active, down) {
                        (None, true) => 0,
                        (None, false) => n - 1,
                        (Some(i), true) => (i + 1) % n,
                        (Some(i), false) => (i + n - 1) % n,
                    }));
                }
                "Enter" => {
                    if let Some(id) = active.and_then(|i| ids.get(i)) {
                        e.prevent_default();
                        pick.emit(id.clone());
                    }
                }
                "Escape" => {
                    listed.set(false);
                    active.set(None);
                }
                _ => {}
            }
        })
    };
    // Leaving the box: `change` (fired first) has committed what was typed; show the link's value again.
    let onblur = Callback::from(move |_: FocusEvent| close());
    let value = typed.as_deref().map_or_else(|| p.value.clone(), |t| AttrValue::from(t.to_string()));
    let descendant = active.filter(|i| *i < options.len()).map(|i| format!("arch-opt-{i}"));
    html! {
        <div class="combobox">
            <input id="in-arch" type="text" role="combobox" autocomplete="off" placeholder="type to search, or “custom”"
                aria-autocomplete="list" aria-controls="arch-listbox" aria-expanded={open.to_string()}
                aria-activedescendant={descendant} {value} {oninput} onchange={p.onchange.clone()} {onkeydown} {onblur} />
            <ul id="arch-listbox" role="listbox" aria-label="Matching architectures" hidden={!open}>
                { for options.iter().enumerate().map(|(i, (id, label))| {
                    let onmousedown = {
                        let (pick, id) = (pick.clone(), id.clone());
                        // Before the input's blur closes the list.
                        Callback::from(move |e: MouseEvent| {
                            e.prevent_default();
                            pick.emit(id.clone());
                        })
                    };
                    html! {
                        <li id={format!("arch-opt-{i}")} role="option" data-arch-option={id.clone()}
                            aria-selected={(Some(i) == *active).to_string()} {onmousedown}>{ label }</li>
                    }
                }) }
            </ul>
        </div>
    }
}
