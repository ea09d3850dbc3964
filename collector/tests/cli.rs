//! The `wattcast` binary end to end: exit codes, messages and output shapes.

use std::process::{Command, Output};

fn wattcast(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wattcast")).args(args).output().expect("runs")
}

/// A fresh folder for one test's files.
fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wattcast-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
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
    assert_eq!(rows.len(), 2 * 8);
    for key in [
        "gpu",
        "method",
        "energy_kwh",
        "low_kwh",
        "high_kwh",
        "duration_h",
        "duration_low_h",
        "duration_high_h",
        "co2e_kg",
        "cost",
        "warnings",
    ] {
        assert!(rows.iter().all(|r| r.get(key).is_some()), "missing {key}");
    }
    let methods: Vec<&str> = rows[..8].iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(
        methods,
        ["headline", "pre-power", "pre-epoch", "step-power", "step-epoch", "mlco2", "green-algorithms", "flops"]
    );
    // Each GPU's headline row, and only it, says so.
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.get("headline").is_some(), i % 8 == 0, "{r}");
    }
    assert_eq!(rows[0]["headline"], true);
    assert!(rows[0]["evidence"].as_str().unwrap().contains("power limit"));
    // 400 W × 10 h (ML CO2 Impact) for the A100.
    let mlco2 = &rows[5];
    assert_eq!((mlco2["gpu"].as_str(), mlco2["energy_kwh"].as_f64()), (Some("nvidia-a100-sxm4-80gb"), Some(4.0)));
    // The paper's methods carry an interval and their evidence.
    let pre = &rows[1];
    assert!(pre["low_kwh"].as_f64().unwrap() < pre["energy_kwh"].as_f64().unwrap());
    assert!(pre["high_kwh"].as_f64().unwrap() > pre["energy_kwh"].as_f64().unwrap());
    assert!(pre["evidence"].as_str().unwrap().contains("measured runs"));
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
fn the_plan_line_names_servers_and_cost_as_given() {
    let base = "arch=llama-3.1-8b&gpu=nvidia-h100-sxm&samples=1000000&epochs=1&mode=lora";
    for (extra, want, not) in [
        ("", ["1 server × 1 GPU (", "cost unknown: give gpu_hour_price and price"], "GPUs ("),
        (
            "&n_gpus=16&gpus_per_node=8&gpu_hour_price=2&price=0.1",
            ["2 servers × 8 GPUs (", "= GPU-hours "],
            "cost unknown",
        ),
        ("&gpu_hour_price=2", ["1 server × 1 GPU (", "+ electricity —"], "cost unknown"),
    ] {
        let out = wattcast(&["estimate", &format!("{base}{extra}")]);
        assert!(out.status.success(), "{extra}: {}", text(&out.stderr));
        let table = text(&out.stdout);
        let line = table.lines().find(|l| l.starts_with("H100 SXM5 80 GB: memory")).expect("a plan line");
        assert!(want.iter().all(|w| line.contains(w)) && !line.contains(not), "{extra}: {line}");
    }
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

/// An unknown GPU or architecture id is answered with the catalogue's ids that match what was typed.
#[test]
fn unknown_ids_get_the_ids_that_match() {
    for (query, hint) in [
        ("gpu=H100", "did you mean: nvidia-h100-nvl, nvidia-h100-pcie, nvidia-h100-sxm\n"),
        ("gpu=amd-instinct-mi300x", "did you mean: amd-mi300x\n"),
        ("gpu=rtx%204090", "did you mean: nvidia-rtx-4090\n"),
        ("gpu=flux-capacitor", "no id or name in the catalogue matches it"),
        ("arch=llama4", "no id or name in the catalogue matches it"),
        ("region=Atlantis", ""),
    ] {
        let out = wattcast(&["estimate", query]);
        assert_eq!(out.status.code(), Some(2), "{query}");
        let err = text(&out.stderr);
        assert!(err.contains("error: unknown") && err.contains(hint), "{query}: {err}");
        assert_eq!(err.contains("did you mean") || err.contains("no id or name"), !hint.is_empty(), "{query}: {err}");
    }
}

/// A name several architectures match is read as the best of them, and the others are named; an exact id is quiet.
#[test]
fn a_name_that_matches_several_architectures_names_the_others() {
    let out = wattcast(&["estimate", "arch=resnet50&gpu=nvidia-h100-sxm"]);
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("read as tv-resnet50") && err.contains("\"resnet50\" also matches keras-resnet50, "), "{err}");
    let out = wattcast(&["estimate", "arch=llama%203&gpu=nvidia-h100-sxm"]);
    assert!(text(&out.stderr).contains(" more)"), "more than six matches are counted: {}", text(&out.stderr));
    let out = wattcast(&["estimate", "arch=tv-resnet50&gpu=nvidia-h100-sxm"]);
    assert!(!text(&out.stderr).contains("also matches"), "{}", text(&out.stderr));
}

#[test]
fn unknown_keys_are_a_notice_not_an_error() {
    let out = wattcast(&["estimate", "gpu=nvidia-t4&hours=1&utm_source=x&tokens=5e9"]);
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("unknown key \"utm_source\" ignored\n"), "{err}");
    assert!(err.contains("unknown key \"tokens\" ignored (did you mean \"samples\"?)"), "{err}");
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

#[test]
fn import_nvidia_smi_writes_a_profile_and_names_bad_flags() {
    let dir = tmp("smi");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/h100-smi.csv");
    let out_path = dir.join("p.json");
    let out = wattcast(&[
        "import",
        "nvidia-smi",
        fixture,
        "-o",
        out_path.to_str().unwrap(),
        "--arch",
        "tv-resnet50",
        "--batch",
        "256",
        "--samples",
        "1281167",
        "--epochs",
        "90",
        "--precision",
        "bf16",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("skipped (unreadable power \"[N/A]\")"), "{}", text(&out.stderr));
    let p: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    assert_eq!(p["meta"]["gpu"]["catalog_id"], "nvidia-h100-sxm");
    assert_eq!(p["meta"]["planned_epochs"], 90);
    // Trapezoid over the three readable samples: (70+650)/2 × 0.5 s + (650+670)/2 × 1 s = 180 + 660 J.
    assert_eq!(p["summary"]["energy_j"], 840.0);
    assert_eq!(p["devices"][0]["samples"]["sm_clock_mhz"], serde_json::json!([1980.0, 1980.0, 1965.0]));
    let out = wattcast(&["import", "nvidia-smi", fixture, "-o", out_path.to_str().unwrap(), "--precision", "fp4"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid value \"fp4\" for --precision"), "{}", text(&out.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_profile_over_the_size_limit_is_refused_by_name_without_reading_it_all() {
    // A sparse 300 MiB file: nothing is written to disk, and the reader stops at the 256 MiB limit.
    let dir = tmp("big");
    let big = dir.join("big.json");
    std::fs::File::create(&big).unwrap().set_len(300 * 1024 * 1024).unwrap();
    let out = wattcast(&["validate", big.to_str().unwrap()]);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("error: (file): ") && report.contains("big.json is larger than 256 MiB"), "{report}");
    std::fs::remove_dir_all(&dir).ok();
}
