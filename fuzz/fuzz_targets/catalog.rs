//! Catalogue and calibration parsing: one of the seven data files replaced by the fuzz input (the first
//! byte picks which), the others as shipped. Bad data is an error naming the file, never a panic; data that
//! parses estimates without breaking the report's invariants.
#![no_main]

use estimator::{Calibration, Catalog};
use libfuzzer_sys::fuzz_target;

const FILES: [&str; 7] = [
    include_str!("../../data/gpus.json"),
    include_str!("../../data/architectures.json"),
    include_str!("../../data/regions.json"),
    include_str!("../../data/models/pre-power.json"),
    include_str!("../../data/models/pre-epoch.json"),
    include_str!("../../data/models/duration.json"),
    include_str!("../../data/calibration.json"),
];
const NAMES: [&str; 7] = [
    "gpus.json",
    "architectures.json",
    "regions.json",
    "pre-power.json",
    "pre-epoch.json",
    "duration.json",
    "calibration.json",
];

fuzz_target!(|bytes: &[u8]| {
    let Some((which, rest)) = bytes.split_first() else { return };
    let which = usize::from(*which) % 7;
    let mut files = FILES;
    let text = String::from_utf8_lossy(rest);
    files[which] = &text;
    let (catalog, cal) = wattcast_fuzz::shipped();
    let query = "gpu=nvidia-rtx-3090,nvidia-a40,nvidia-h100-sxm&arch=tv-resnet50";
    let report = if which < 3 {
        match Catalog::from_json(files[0], files[1], files[2]) {
            Ok(c) => estimator::estimate(&c, cal, query).1,
            Err(e) => {
                return assert!(e.to_string().contains(NAMES[which]) || e.to_string().contains("data_version"), "{e}")
            }
        }
    } else {
        match Calibration::from_json(files[3], files[4], files[5], files[6]) {
            Ok(k) => estimator::estimate(catalog, &k, query).1,
            Err(e) => return assert!(e.to_string().contains(NAMES[which]), "{e}"),
        }
    };
    let bad = report.invariant_violations();
    assert!(bad.is_empty(), "{bad:?}");
});
