//! The estimator on arbitrary scenarios: every key of the link set from structured fuzz input (catalogue ids
//! by index, numbers anywhere in their types' ranges, NaN and infinities included). Whatever validates
//! estimates without panicking, and no number is NaN, infinite or negative.
#![no_main]

use arbitrary::Arbitrary;
use estimator::ScenarioQuery;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    arch: Option<u16>,
    custom: Option<(f64, f64)>,
    gpus: Vec<u16>,
    epochs: Option<u64>,
    samples: Option<u64>,
    batch: Option<u32>,
    input_px: Option<u32>,
    n_gpus: Option<u32>,
    hours: Option<f64>,
    usage: Option<f64>,
    pue: Option<f64>,
    price: Option<f64>,
    mem_gb: Option<f64>,
    region: Option<u16>,
    precision: Option<u8>,
}

fuzz_target!(|x: Input| {
    let (catalog, cal) = wattcast_fuzz::shipped();
    let mut q = ScenarioQuery::default();
    let num = |v: Option<f64>| v.map(|v| v.to_string());
    match (x.custom, x.arch) {
        (Some((params, gflops)), _) => {
            q.set("arch", Some("custom".into()));
            q.set("params_m", Some(params.to_string()));
            q.set("gflops", Some(gflops.to_string()));
        }
        (None, Some(i)) => {
            let archs = &catalog.archs.architectures;
            q.set("arch", Some(archs[usize::from(i) % archs.len()].id.clone()));
        }
        (None, None) => {}
    }
    let gpus = &catalog.gpus.gpus;
    let ids: Vec<&str> = x.gpus.iter().take(8).map(|i| gpus[usize::from(*i) % gpus.len()].id.as_str()).collect();
    if !ids.is_empty() {
        q.set("gpu", Some(ids.join(",")));
    }
    q.set("epochs", x.epochs.map(|v| v.to_string()));
    q.set("samples", x.samples.map(|v| v.to_string()));
    q.set("batch", x.batch.map(|v| v.to_string()));
    q.set("input_px", x.input_px.map(|v| v.to_string()));
    q.set("n_gpus", x.n_gpus.map(|v| v.to_string()));
    q.set("hours", num(x.hours));
    q.set("usage", num(x.usage));
    q.set("pue", num(x.pue));
    q.set("price", num(x.price));
    q.set("mem_gb", num(x.mem_gb));
    if let Some(i) = x.region {
        let regions = &catalog.regions.regions;
        q.set("region", Some(regions[usize::from(i) % regions.len()].id.clone()));
    }
    if let Some(p) = x.precision {
        q.set("precision", Some(["fp32", "tf32", "fp16", "bf16", "amp", "fp8"][usize::from(p) % 6].into()));
    }
    let (_, report) = estimator::estimate_query(catalog, cal, &q);
    let bad = report.invariant_violations();
    assert!(bad.is_empty(), "{}: {bad:?}", report.query);
});
