//! Prepares `data/` for embedding (copies in `OUT_DIR`; the committed files are unchanged and stay
//! self-contained):
//! - every file without the whitespace between JSON tokens (the indentation is for people reading diffs);
//! - for the site (wasm32) only, the catalogues without the per-entry provenance text the page never shows
//!   (a GPU's or an architecture's `source` and `notes`, a region's or PUE default's `detail`: about 12 KB of
//!   the gzipped wasm); every number and every id stays, so the page and the CLI compute the same bits, and the
//!   CLI, the data tests and `wattcast estimate` keep the full text;
//! - `wattcast fit` fits the three models on the same configurations, so their support vectors are usually
//!   identical: those of `pre-epoch` and `duration` are then left out and taken from `pre-power` when
//!   parsed, which keeps two copies of ~120 KB of numbers out of the site's wasm.

use std::{env, fs, path::Path};

const MODELS: [&str; 3] = ["pre-power", "pre-epoch", "duration"];

/// The byte range of the `"support":[…]` member's value in a model file, if it has one.
fn support_range(text: &str) -> Option<(usize, usize)> {
    let start = text.find("\"support\":")? + "\"support\":".len();
    let end = start + text[start..].find(",\"alpha\":")?;
    Some((start, end))
}

/// JSON without the whitespace outside strings (the input is valid JSON: `wattcast` wrote it, and the
/// crate's tests parse the embedded copies).
fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if !matches!(c, ' ' | '\n' | '\r' | '\t') {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// The members of each catalogue's entries that only people reading the data need: `(file, list, member,
/// emptied)`. A required `source` string is emptied (`true`); optional texts are removed.
const PROVENANCE_TEXT: [(&str, &str, &str, bool); 6] = [
    ("gpus.json", "gpus", "source", true),
    ("gpus.json", "gpus", "notes", false),
    ("architectures.json", "architectures", "source", true),
    ("architectures.json", "architectures", "notes", false),
    ("regions.json", "regions", "detail", false),
    ("regions.json", "pue_defaults", "detail", false),
];

/// `text` without the provenance text of [`PROVENANCE_TEXT`] (numbers keep their bits: serde_json writes the
/// shortest decimal that reads back as the same `f64`).
fn without_provenance_text(file: &str, text: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
    for (_, list, member, keep_empty) in PROVENANCE_TEXT.iter().filter(|(f, ..)| *f == file) {
        let Some(entries) = value.get_mut(*list).and_then(serde_json::Value::as_array_mut) else { continue };
        for entry in entries.iter_mut().filter_map(serde_json::Value::as_object_mut) {
            if *keep_empty {
                if let Some(v) = entry.get_mut(*member) {
                    *v = serde_json::Value::String(String::new());
                }
            } else {
                entry.remove(*member);
            }
        }
    }
    serde_json::to_string(&value).expect("a Value serialises")
}

fn main() {
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let site = env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32");
    for file in ["gpus.json", "architectures.json", "regions.json", "calibration.json"] {
        let path = data.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text =
            if site && file != "calibration.json" { without_provenance_text(file, &text) } else { minify(&text) };
        fs::write(Path::new(&out).join(file), text).expect("write OUT_DIR");
    }
    let dir = data.join("models");
    let backbone = dir.join("backbone.json");
    println!("cargo:rerun-if-changed={}", backbone.display());
    let text = fs::read_to_string(&backbone).unwrap_or_else(|e| panic!("{}: {e}", backbone.display()));
    fs::write(Path::new(&out).join("backbone.json"), minify(&text)).expect("write OUT_DIR");
    let texts: Vec<String> = MODELS
        .iter()
        .map(|m| {
            let path = dir.join(format!("{m}.json"));
            println!("cargo:rerun-if-changed={}", path.display());
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .collect();
    let first = support_range(&texts[0]).map(|(a, b)| &texts[0][a..b]);
    let mut shared = Vec::new();
    for (i, (name, text)) in MODELS.iter().zip(&texts).enumerate() {
        let mut embedded = text.clone();
        let same =
            i > 0 && first.is_some_and(|f| f != "[]" && support_range(text).is_some_and(|(a, b)| &text[a..b] == f));
        if same {
            let (a, b) = support_range(text).expect("checked above");
            embedded.replace_range(a..b, "[]");
        }
        shared.push(same);
        fs::write(Path::new(&out).join(format!("{name}.json")), minify(&embedded)).expect("write OUT_DIR");
    }
    let flags = format!(
        "/// Whether the embedded `pre-epoch` and `duration` models take their support vectors from `pre-power`.\n\
         pub const SHARES_SUPPORT: [bool; 2] = [{}, {}];\n",
        shared[1], shared[2]
    );
    fs::write(Path::new(&out).join("embedded_models.rs"), flags).expect("write OUT_DIR");
}
