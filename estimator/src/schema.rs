//! JSON Schemas of the data formats, generated from the Rust types (feature `schema`).
//!
//! `wattcast schema --out data/schema/v1` writes them; a test fails when the committed files differ.

use schemars::{schema_for, Schema};

use crate::bench::BenchmarkSet;
use crate::catalog::{ArchCatalog, GpuCatalog, RegionCatalog};
use crate::profile::{Profile, ProfileBundle};

/// Every schema of format version 1, as (file name, schema).
pub fn all() -> Vec<(&'static str, Schema)> {
    vec![
        ("gpus.schema.json", schema_for!(GpuCatalog)),
        ("architectures.schema.json", schema_for!(ArchCatalog)),
        ("regions.schema.json", schema_for!(RegionCatalog)),
        ("benchmarks.schema.json", schema_for!(BenchmarkSet)),
        ("profile.schema.json", schema_for!(Profile)),
        ("profile-bundle.schema.json", schema_for!(ProfileBundle)),
    ]
}

/// The file a data file validates against (`gpus.json` → `gpus.schema.json`).
pub fn schema_file_for(data_file: &str) -> Option<&'static str> {
    match data_file {
        "gpus.json" => Some("gpus.schema.json"),
        "architectures.json" => Some("architectures.schema.json"),
        "regions.json" => Some("regions.schema.json"),
        "benchmarks/throughput.json" => Some("benchmarks.schema.json"),
        _ => None,
    }
}
