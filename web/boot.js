// Loads the wasm app. Relative URLs, so the site works under any sub-path.
import init from "./web.js";
init();
