//! Profile parsing and validation: any bytes either fail to parse (an error, not a panic) or give a profile
//! that validates, sums its power, runs the stable-point detector and summarises for STEP without panicking.
#![no_main]

use estimator::calibration::StepProfile;
use estimator::methods::step::{detect_series, StableConfig};
use estimator::profile::{validate, Profile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(p) = serde_json::from_slice::<Profile>(bytes) else { return };
    let problems = validate(&p, &wattcast_fuzz::shipped().0);
    for pr in &problems {
        assert!(!pr.location.is_empty() && !pr.message.is_empty(), "{pr:?}");
    }
    if let Some((t, w)) = p.total_power() {
        assert_eq!(t.len(), w.len());
        let _ = detect_series(StableConfig::default(), &t, &w, None);
    }
    let _ = StepProfile::of(&p);
});
