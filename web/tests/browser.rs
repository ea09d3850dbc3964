//! The app rendered in headless Chromium (wasm-bindgen-test): cells carry the estimator's numbers,
//! and editing a field recomputes them.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

const QUERY: &str = "?arch=tv-resnet50&gpu=nvidia-a100-sxm4-80gb,nvidia-t4&hours=10&epochs=5&region=FR";

async fn render(search: &str) -> Element {
    let doc = gloo_document();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<web::App>::with_root_and_props(
        root.clone(),
        web::AppProps { search: search.to_string().into(), sync_url: false },
    )
    .render();
    yew::scheduler::flush().await;
    root
}

fn gloo_document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn kwh(root: &Element, gpu: &str, method: &str) -> Option<f64> {
    root.query_selector(&format!("tr[data-gpu=\"{gpu}\"] td[data-method=\"{method}\"]"))
        .unwrap()
        .and_then(|td| td.get_attribute("data-kwh"))
        .map(|v| v.parse().unwrap())
}

#[wasm_bindgen_test]
async fn cells_carry_the_estimators_numbers() {
    let root = render(QUERY).await;
    let catalog = estimator::Catalog::embedded().unwrap();
    let cal = estimator::Calibration::embedded().unwrap();
    let (_, report) = estimator::estimate(&catalog, &cal, QUERY);
    assert_eq!(report.rows.len(), 2 * estimator::MethodId::ALL.len());
    for row in &report.rows {
        assert_eq!(kwh(&root, &row.gpu, row.method.as_str()), row.energy_kwh, "{} {}", row.gpu, row.method.as_str());
    }
    // The answer first: each GPU's headline, with the estimator's number.
    for row in report.rows.iter().filter(|r| r.headline) {
        let li = root.query_selector(&format!("li[data-headline=\"{}\"]", row.gpu)).unwrap().expect("headline item");
        let shown = li.get_attribute("data-kwh").map(|v| v.parse::<f64>().unwrap());
        assert_eq!(shown, row.energy_kwh, "{}", row.gpu);
    }
    // 400 W × 10 h = 4 kWh for the A100 under ML CO2 Impact, shown as people read it.
    assert_eq!(kwh(&root, "nvidia-a100-sxm4-80gb", "mlco2"), Some(4.0));
    let shown =
        root.query_selector("tr[data-gpu=\"nvidia-a100-sxm4-80gb\"] td[data-method=\"mlco2\"] .kwh").unwrap().unwrap();
    assert_eq!(shown.text_content().unwrap(), "4.00 kWh");
    root.remove();
}

#[wasm_bindgen_test]
async fn editing_hours_recomputes() {
    let root = render(QUERY).await;
    let input: HtmlInputElement = root.query_selector("#in-hours").unwrap().unwrap().dyn_into().unwrap();
    input.set_value("20");
    let event = web_sys::InputEvent::new("input").unwrap();
    input.dispatch_event(&event).unwrap();
    yew::scheduler::flush().await;
    assert_eq!(kwh(&root, "nvidia-a100-sxm4-80gb", "mlco2"), Some(8.0));
    root.remove();
}

#[wasm_bindgen_test]
async fn a_bad_value_shows_an_alert_and_keeps_rendering() {
    let root = render("?epochs=-3&gpu=nvidia-t4").await;
    let alert = root.query_selector("[role=\"alert\"]").unwrap().expect("an alert");
    assert!(alert.text_content().unwrap().contains("\"-3\" for \"epochs\""));
    assert!(root.query_selector("tr[data-gpu=\"nvidia-t4\"]").unwrap().is_some());
    root.remove();
}
