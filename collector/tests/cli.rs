//! The `wattcast` binary end to end: exit codes, messages and output shapes.

use std::process::{Command, Output};

fn wattcast(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wattcast")).args(args).output().expect("runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn estimate_json_has_the_documented_shape() {
    let out = wattcast(&[
        "estimate",
        "arch=tv-resnet50&gpu=nvidia-a100-sxm4-80gb,nvidia-t4&hours=10&region=FR&price=0.2",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["data_version"].is_string());
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    for key in ["gpu", "method", "energy_kwh", "low_kwh", "high_kwh", "duration_h", "co2e_kg", "cost", "warnings"] {
        assert!(rows[0].get(key).is_some(), "missing {key}");
    }
    // 400 W × 10 h (ML CO2 Impact) for the A100.
    assert_eq!(rows[0]["gpu"], "nvidia-a100-sxm4-80gb");
    assert_eq!(rows[0]["method"], "mlco2");
    assert_eq!(rows[0]["energy_kwh"], 4.0);
}

#[test]
fn estimate_accepts_a_full_share_url_and_prints_a_table() {
    let out = wattcast(&["estimate", "https://example.org/wattcast/?v=1&arch=tv-resnet50&gpu=nvidia-t4&hours=2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("Tesla T4") && table.contains("ML CO2 Impact"), "{table}");
    // 70 W × 2 h = 0.14 kWh.
    assert!(table.contains("0.140"), "{table}");
}

#[test]
fn invalid_values_exit_2_and_name_key_and_value() {
    for (query, expected) in [
        ("epochs=-1", "invalid value \"-1\" for \"epochs\""),
        ("gpu=nvidia-h100-sxm,flux-capacitor", "unknown GPU \"flux-capacitor\" for \"gpu\""),
        ("precision=fp4", "invalid value \"fp4\" for \"precision\""),
        ("v=7", "unsupported link version \"7\""),
    ] {
        let out = wattcast(&["estimate", query, "--json"]);
        assert_eq!(out.status.code(), Some(2), "{query}");
        assert!(text(&out.stderr).contains(expected), "{query}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "no partial output for {query}");
    }
}

#[test]
fn unknown_keys_are_a_notice_not_an_error() {
    let out = wattcast(&["estimate", "gpu=nvidia-t4&hours=1&utm_source=x"]);
    assert!(out.status.success());
    assert!(text(&out.stderr).contains("unknown key \"utm_source\" ignored"));
}

#[test]
fn bad_flags_exit_2() {
    let out = wattcast(&["estimate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = wattcast(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn import_without_sources_names_the_missing_file() {
    let dir = std::env::temp_dir().join(format!("wattcast-import-{}", std::process::id()));
    let out = wattcast(&["import", "catalog", "--from", dir.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("catalog-facts/gpus.csv"), "{}", text(&out.stderr));
}
