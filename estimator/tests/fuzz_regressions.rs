//! One test per input the fuzz targets (`fuzz/`, run by `scripts/fuzz`) found to break an invariant, named
//! after what was wrong. Each keeps the smallest input that showed it.

mod common;

use estimator::profile::{validate, Profile, Severity};

/// The smallest profile with the given samples of device 0.
fn profile_with_samples(samples: &str) -> Profile {
    serde_json::from_str(&common::minimal_profile(samples)).expect("the regression input parses")
}

/// fuzz target `profile`, crash fca9883e: a device with 120 times and 85 powers made `total_power` return
/// series of different lengths, and the stable-point detector assumed one length.
#[test]
fn profile_with_fewer_powers_than_times() {
    let p = profile_with_samples(r#"{"t_ms":[0,1000,2000],"power_w":[100.0,110.0]}"#);
    let (t, w) = p.total_power().unwrap();
    assert_eq!((t.len(), w.len()), (2, 2), "only the samples with both a time and a power");
    let problems = validate(&p, &common::data().0);
    assert!(
        problems.iter().any(|x| x.severity == Severity::Error && x.location.ends_with("power_w")),
        "validate names the column: {problems:?}"
    );
    let _ = estimator::calibration::StepProfile::of(&p); // no panic
}
