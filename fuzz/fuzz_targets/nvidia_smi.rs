//! The nvidia-smi importer: any text gives a log or an error naming the file, never a panic; every sample
//! it keeps has a non-negative power and a time not before the first row's.
#![no_main]

use collector::import::nvidia_smi::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    match parse("fuzz.csv", &text) {
        Err(e) => assert!(e.to_string().contains("fuzz.csv"), "{e}"),
        Ok(log) => {
            for d in &log.devices {
                let s = &d.samples;
                assert_eq!(s.t_ms.len(), s.power_w.len());
                assert!(s.power_w.iter().all(|w| w.is_finite() && *w >= 0.0), "{:?}", s.power_w);
            }
        }
    }
});
