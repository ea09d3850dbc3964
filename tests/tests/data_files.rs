//! Every committed data file validates against its committed JSON Schema, deserializes into the
//! estimator's types without loss, and the committed schemas equal the ones generated from the types.

use std::path::{Path, PathBuf};

use estimator::bench::BenchmarkSet;
use estimator::catalog::{ArchCatalog, GpuCatalog, RegionCatalog};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Deserializes into `T`, serializes back, and checks nothing was dropped or changed.
fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(value: &serde_json::Value) -> serde_json::Value {
    let typed: T = serde_json::from_value(value.clone()).expect("deserializes");
    serde_json::to_value(&typed).expect("serializes")
}

#[test]
fn data_files_validate_against_their_schemas_and_round_trip() {
    let data = root().join("data");
    for (file, check) in [
        ("gpus.json", round_trip::<GpuCatalog> as fn(&serde_json::Value) -> serde_json::Value),
        ("architectures.json", round_trip::<ArchCatalog>),
        ("regions.json", round_trip::<RegionCatalog>),
        ("benchmarks/throughput.json", round_trip::<BenchmarkSet>),
    ] {
        let schema_name = estimator::schema::schema_file_for(file).expect("known file");
        let schema = read_json(&data.join("schema/v1").join(schema_name));
        let instance = read_json(&data.join(file));
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let problems: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(problems.is_empty(), "{file} does not match {schema_name}:\n{}", problems.join("\n"));
        assert_eq!(check(&instance), instance, "{file} changes when read and written back (lossy field?)");
    }
}

/// The benchmark sets besides `throughput.json` (`wattcast import timm`, `import llm-tables`): the same
/// format and schema, the same data version, and provenance that names upstream, never a local path.
#[test]
fn extra_benchmark_sets_validate_and_name_their_sources() {
    let data = root().join("data");
    let schema = read_json(&data.join("schema/v1/benchmarks.schema.json"));
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let main = BenchmarkSet::from_json(&std::fs::read_to_string(data.join("benchmarks/throughput.json")).unwrap())
        .expect("throughput.json loads");
    for file in ["benchmarks/timm.json", "benchmarks/llm-tables.json"] {
        let text = std::fs::read_to_string(data.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let instance: serde_json::Value = serde_json::from_str(&text).unwrap();
        let problems: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(problems.is_empty(), "{file} does not match benchmarks.schema.json:\n{}", problems.join("\n"));
        assert_eq!(round_trip::<BenchmarkSet>(&instance), instance, "{file} changes when read and written back");
        let set = BenchmarkSet::from_json(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(set.header.data_version, main.header.data_version, "{file}");
        assert!(!set.rows.is_empty() && !set.workloads.is_empty(), "{file}");
        for s in &set.header.sources {
            assert!(
                !s.licence.is_empty() && !s.attribution.is_empty(),
                "{file}: {} lacks licence or attribution",
                s.id
            );
            assert!(s.url.starts_with("github:") && !s.url.contains("../"), "{file}: {} url {}", s.id, s.url);
        }
        assert!(!text.contains("../shared"), "{file} names a local path");
    }
}

#[test]
fn committed_schemas_equal_generated_ones() {
    for (name, schema) in estimator::schema::all() {
        let committed = read_json(&root().join("data/schema/v1").join(name));
        let generated = serde_json::to_value(&schema).unwrap();
        assert_eq!(committed, generated, "data/schema/v1/{name} is stale: run `cargo run -p collector -- schema`");
    }
}

#[test]
fn schema_rejects_a_broken_entry() {
    // A negative test, so the validation test above cannot pass vacuously.
    let schema = read_json(&root().join("data/schema/v1/gpus.schema.json"));
    let mut instance = read_json(&root().join("data/gpus.json"));
    instance["gpus"][0]["tdp_w"] = serde_json::json!("three hundred");
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(!validator.is_valid(&instance));
    instance["gpus"][0]["tdp_w"] = serde_json::json!(300);
    instance["gpus"][0]["mystery"] = serde_json::json!(1);
    assert!(!validator.is_valid(&instance), "unknown fields must be rejected");
}

#[test]
fn catalogue_counts_and_sources() {
    let c = estimator::Catalog::embedded().unwrap();
    assert!(c.gpus.gpus.len() >= 55);
    assert!(c.archs.architectures.len() >= 70);
    assert!(c.regions.regions.len() >= 100);
    for kind in ["aws:", "gcp:", "azure:"] {
        assert!(c.regions.regions.iter().any(|r| r.id.starts_with(kind)), "no {kind} regions");
    }
    for id in ["aws", "gcp", "azure", "on-premise", "personal-computer"] {
        assert!(c.pue_default(id).is_some(), "no PUE default for {id}");
    }
    assert!(c.gpus.gpus.iter().all(|g| !g.source.is_empty()));
    assert!(c.archs.architectures.iter().all(|a| !a.source.is_empty()));
    for s in &c.regions.header.sources {
        assert!(!s.licence.is_empty() && !s.attribution.is_empty(), "{} lacks licence or attribution", s.id);
    }
}
