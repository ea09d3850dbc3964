//! One test per input the fuzz targets (`fuzz/`, run by `scripts/fuzz`) found to break an invariant, named
//! after what was wrong. Each keeps the smallest input that showed it.

use estimator::profile::{validate, Profile, Severity};
use estimator::Catalog;

/// A profile in the smallest shape serde accepts, with the given samples of device 0.
fn profile_with_samples(samples: &str) -> Profile {
    let json = format!(
        r#"{{"schema_version":1,"id":"fuzz","status":"complete","meta":{{"gpu":{{"catalog_id":"nvidia-rtx-3090"}},"n_gpus":1}},
        "calibration":{{"energy_source":"integrated","capabilities":{{"energy_counter":false,"power":true,"utilisation":false,
        "memory":false,"temperature":false,"sm_clock":false}}}},"devices":[{{"index":0,"gpu":{{"catalog_id":"nvidia-rtx-3090"}},
        "samples":{samples},"energy_j":200.0}}],"epochs":[],"summary":{{"energy_j":200.0,"duration_s":2.0,"mean_power_w":100.0}},"provenance":{{"source":"fuzz","licence":"CC-BY-4.0","citation":"-"}}}}"#
    );
    serde_json::from_str(&json).expect("the regression input parses")
}

/// fuzz target `profile`, crash fca9883e: a device with 120 times and 85 powers made `total_power` return
/// series of different lengths, and the stable-point detector assumed one length.
#[test]
fn profile_with_fewer_powers_than_times() {
    let p = profile_with_samples(r#"{"t_ms":[0,1000,2000],"power_w":[100.0,110.0]}"#);
    let (t, w) = p.total_power().unwrap();
    assert_eq!((t.len(), w.len()), (2, 2), "only the samples with both a time and a power");
    let problems = validate(&p, &Catalog::embedded().unwrap());
    assert!(
        problems.iter().any(|x| x.severity == Severity::Error && x.location.ends_with("power_w")),
        "validate names the column: {problems:?}"
    );
    let _ = estimator::calibration::StepProfile::of(&p); // no panic
}
