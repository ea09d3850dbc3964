//! The WattCast calculator page: a Yew (CSR) shell over the estimator.
//!
//! Invariant: the page computes nothing itself. It turns the URL's query into a scenario and
//! estimates with `estimator::estimate`, the same call `wattcast estimate` makes, on the same
//! embedded data; it only formats the result. No network request is made at run time.

mod chart;
mod data;
mod explorer;
mod form;
mod insights;
mod limits;
mod results;
mod state;
mod view;

use std::rc::Rc;
use std::sync::OnceLock;

use estimator::{Calibration, Catalog};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

pub use state::{Action, State};

/// The catalogue and calibration compiled into the page (written by `build.rs`), read once.
fn embedded() -> Result<&'static (Catalog, Calibration), &'static str> {
    static DATA: OnceLock<Result<(Catalog, Calibration), String>> = OnceLock::new();
    let bytes = include_bytes!(concat!(env!("OUT_DIR"), "/data.bin"));
    DATA.get_or_init(|| estimator::snapshot::Snapshot::read(bytes).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(String::as_str)
}

/// The catalogue compiled into the page.
pub fn catalog() -> Result<&'static Catalog, &'static str> {
    embedded().map(|(catalog, _)| catalog)
}

/// The fitted models and calibration summary compiled into the page.
pub fn calibration() -> Result<&'static Calibration, &'static str> {
    embedded().map(|(_, calibration)| calibration)
}

/// Properties of [`App`].
#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// The query string the page was opened with (`location.search`).
    #[prop_or_default]
    pub search: AttrValue,
    /// Whether to mirror the state into the URL (off in component tests).
    #[prop_or(true)]
    pub sync_url: bool,
}

/// The whole page.
#[component]
pub fn App(props: &AppProps) -> Html {
    let (catalog, cal) = match catalog().and_then(|c| calibration().map(|k| (c, k))) {
        Ok(c) => c,
        Err(e) => {
            return html! { <main><p role="alert" class="alert">{ format!("the built-in data could not be loaded: {e}") }</p></main> }
        }
    };
    let search = props.search.clone();
    let state = use_reducer(move || State::from_search(&search, catalog));
    let data_version = catalog.data_version().to_string();
    // One callback for the page's lifetime, so that parts whose other inputs did not change skip rendering.
    let dispatch = {
        let d = state.dispatcher();
        (*use_memo((), move |_| Callback::from(move |a: Action| d.dispatch((a, data_version.clone()))))).clone()
    };
    // With a profile added by the user, everything estimates with the refitted calibration.
    let cal: &'static Calibration = state.refit.map_or(cal, |r| r.0);
    let (resolved, report) = estimator::estimate_query(catalog, cal, &state.query);
    // Shared, not copied, by the parts: every state change makes a new state and a new estimate, so the parts
    // compare them by address.
    let (resolved, report) = (data::Shared(Rc::new(resolved)), data::Shared(Rc::new(report)));
    let shared_state = data::Shared(Rc::new((*state).clone()));
    let resolved_gpus = resolved.scenario.gpus.clone();
    let work = estimator::methods::workload::Workload::of(&resolved.scenario, catalog);
    let seq = work.seq;
    let workload = estimator::methods::headline::workload_input(&resolved.scenario, &work, catalog)
        .map(|w| (w.unit, w.forward_gflops));
    let record_command =
        AttrValue::from(estimator::methods::paper::record_command(&resolved.scenario, seq, "run.json"));

    {
        let query = state.query.to_query_string();
        let sync = props.sync_url;
        use_effect_with(query, move |q| {
            if sync {
                replace_url(q);
            }
        });
    }

    let data = view::PageData { catalog: view::CatalogRef(catalog), calibration: view::CalRef(cal) };
    html! {
        <ContextProvider<view::PageData> context={data}>
            <a class="skip-link" href="#results">{ "Skip to the results" }</a>
            <header class="top">
                <h1>{ "WattCast" }</h1>
                <p class="tagline">{ "Energy, time, carbon and cost of training a model, per GPU and per method, before you start." }</p>
            </header>
            <main class="layout">
                <div class="results-column">
                    <view::Results state={shared_state.clone()} resolved={resolved.clone()} report={Some(report.clone())} dispatch={dispatch.clone()} />
                    <insights::MethodsChart state={shared_state.clone()} resolved={resolved.clone()} report={report.clone()} dispatch={dispatch.clone()} />
                    <limits::PowerLimits pick={state.power_curve} gpus={resolved.scenario.gpus.clone()} {workload} dispatch={dispatch.clone()} />
                    <insights::Exports state={shared_state.clone()} resolved={resolved.clone()} report={report.clone()} dispatch={dispatch.clone()} />
                </div>
                // After the answer in the document (a phone shows the answer first; Tab reaches it first); the
                // grid puts the form in the left column on a wide screen.
                <view::Inputs state={shared_state.clone()} resolved={resolved.clone()} report={Some(report.clone())} dispatch={dispatch.clone()} />
                <insights::Ranking state={shared_state.clone()} resolved={resolved} report={report} dispatch={dispatch.clone()} />
                <explorer::Explorer state={shared_state.clone()} {record_command} dispatch={dispatch.clone()} />
                <explorer::BuiltinProfiles gpus={resolved_gpus} browse_gpu={AttrValue::from(state.browse_gpu.clone())} {dispatch} />
            </main>
            <view::Footer />
        </ContextProvider<view::PageData>>
    }
}

thread_local! {
    /// The address the bar should show, while a write of it is scheduled.
    static PENDING_URL: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Writes `?query` into the address bar without a navigation, after the next painted frame: Chromium's
/// `history.replaceState` took 1.4 ms a call on a quiet machine here and 9.5 ms on a busy one, inside the
/// frame of every keystroke. Changes made before the write happens are folded into it (the bar always ends on
/// the latest query).
fn replace_url(query: &str) {
    let scheduled = PENDING_URL.with(|p| p.borrow_mut().replace(format!("?{query}")).is_some());
    if !scheduled {
        after_paint(write_pending_url);
    }
}

/// Runs `f` after the next frame is painted: `requestAnimationFrame` runs just before the frame is painted,
/// and the task it queues runs after it. Without a window (tests), `f` runs now; where a frame cannot be
/// requested, in the next task.
pub(crate) fn after_paint(f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else { return f() };
    let task = Closure::once_into_js(f);
    let frame = Closure::once_into_js(move || next_task(&task));
    if window.request_animation_frame(frame.unchecked_ref()).is_err() {
        let _ = frame.unchecked_ref::<js_sys::Function>().call0(&JsValue::NULL);
    }
}

/// Runs `f` when the browser is idle after the next frame (`requestIdleCallback`, at most 100 ms later), so
/// that it neither delays the frame nor the tasks queued behind it; where there is no such call (Safari), after
/// the next painted frame; where the call fails, in the next task.
pub(crate) fn when_idle(f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else { return f() };
    let idle = js_sys::Reflect::get(&window, &JsValue::from_str("requestIdleCallback"))
        .ok()
        .and_then(|v| v.dyn_into::<js_sys::Function>().ok());
    let Some(idle) = idle else { return after_paint(f) };
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &JsValue::from_str("timeout"), &JsValue::from_f64(100.0));
    let task = Closure::once_into_js(f);
    if idle.call2(&window, &task, &options).is_err() {
        next_task(&task);
    }
}

/// Queues a JavaScript function as the next task (`setTimeout` with no delay).
fn next_task(task: &JsValue) {
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback(task.unchecked_ref());
    }
}

/// Writes the pending address, if any.
fn write_pending_url() {
    let Some(url) = PENDING_URL.with(|p| p.borrow_mut().take()) else { return };
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        // A failure leaves the old URL; the share box still shows the current link.
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

/// The page's absolute URL for a query (works under any sub-path).
pub fn share_url(query: &str) -> String {
    let base = web_sys::window()
        .map(|w| w.location())
        .and_then(|l| Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?)))
        .unwrap_or_default();
    format!("{base}?{query}")
}
