//! What the estimator's integration tests share: the embedded data, parsed once, and the smallest profile
//! serde accepts.

// Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use estimator::{Calibration, Catalog};

/// The catalogue and calibration compiled in.
pub fn data() -> &'static (Catalog, Calibration) {
    static DATA: std::sync::OnceLock<(Catalog, Calibration)> = std::sync::OnceLock::new();
    DATA.get_or_init(|| (Catalog::embedded().unwrap(), Calibration::embedded().unwrap()))
}

/// A one-device RTX 3090 profile (id `test`) in the smallest shape serde accepts, with `samples` (a JSON
/// object) as device 0's samples and a summary of 200 J over 2 s.
pub fn minimal_profile(samples: &str) -> String {
    format!(
        r#"{{"schema_version":1,"id":"test","status":"complete","meta":{{"gpu":{{"catalog_id":"nvidia-rtx-3090"}},"n_gpus":1}},
"calibration":{{"energy_source":"integrated","capabilities":{{"energy_counter":false,"power":true,"utilisation":false,"memory":false,"temperature":false,"sm_clock":false}}}},
"devices":[{{"index":0,"gpu":{{"catalog_id":"nvidia-rtx-3090"}},"samples":{samples},"energy_j":200.0}}],
"epochs":[],"summary":{{"energy_j":200.0,"duration_s":2.0,"mean_power_w":100.0}},"provenance":{{"source":"test","licence":"CC-BY-4.0","citation":"-"}}}}"#
    )
}
