//! Entry point of the wasm binary: renders the page with the URL's query.

fn main() {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    yew::Renderer::<web::App>::with_props(web::AppProps { search: search.into(), sync_url: true }).render();
}
