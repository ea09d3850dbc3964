//! What the form and the results share (their properties and input helpers), and the footer. The form is
//! `form.rs`, the answer and the estimates table `results.rs`. Pure rendering of state and estimator output;
//! every number goes through `estimator::format`.

use estimator::{Report, Resolved};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

pub use crate::data::{use_page_data, CalRef, CatalogRef, PageData, Shared};
pub use crate::form::Inputs;
pub use crate::results::Results;
use crate::state::{Action, State};

/// Properties shared by the form and the results.
#[derive(Properties, PartialEq)]
pub struct PartProps {
    /// The page state.
    pub state: Shared<State>,
    /// The resolved scenario.
    pub resolved: Shared<Resolved>,
    /// The estimates (results only).
    #[prop_or_default]
    pub report: Option<Shared<Report>>,
    /// Where actions go.
    pub dispatch: Callback<Action>,
}

pub(crate) fn input_value(e: &Event) -> String {
    e.target()
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        .map(|i| i.value())
        .or_else(|| e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()).map(|s| s.value()))
        .unwrap_or_default()
}

pub(crate) fn on_set(dispatch: &Callback<Action>, key: &'static str) -> Callback<InputEvent> {
    let dispatch = dispatch.clone();
    Callback::from(move |e: InputEvent| dispatch.emit(Action::Set(key, input_value(&e))))
}

pub(crate) fn on_change(dispatch: &Callback<Action>, key: &'static str) -> Callback<Event> {
    let dispatch = dispatch.clone();
    Callback::from(move |e: Event| dispatch.emit(Action::Set(key, input_value(&e))))
}

/// Data version and attribution.
#[component]
pub fn Footer() -> Html {
    let Some(data) = use_page_data() else { return Html::default() };
    let c = data.catalog.0;
    html! {
        <footer class="bottom">
            <p>
                { "Data version " }<span id="data-version">{ c.data_version() }</span>
                { format!(" · {} GPUs, {} architectures, {} regions. ", c.gpus.gpus.len(), c.archs.architectures.len(), c.regions.regions.len()) }
                { "Everything is computed in your browser; nothing is sent anywhere." }
            </p>
            <p class="sources">
                { "Carbon data: " }
                { for c.regions.header.sources.iter().filter(|s| s.id != "wattcast").map(|s| html! {
                    <span class="source">{ format!("{} ({}). ", s.attribution, s.licence) }</span>
                }) }
            </p>
        </footer>
    }
}
