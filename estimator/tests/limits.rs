//! Limits where input enters the estimator: absurd, non-finite and negative link values, over-long links,
//! unknown ids, duplicate keys, deeply nested and duplicated JSON in profiles. Each is refused (or ignored
//! with a notice) with a message naming the key and the value, and nothing panics.

mod common;

use common::data;
use estimator::profile::{Profile, Severity};

/// The test profile with these power values at 0, 1 and 2 s.
fn profile_with_power(power: &str) -> String {
    common::minimal_profile(&format!(r#"{{"t_ms":[0,1000,2000],"power_w":[{power}]}}"#))
}

#[test]
fn absurd_link_values_are_refused_naming_key_and_value() {
    let (catalog, cal) = data();
    for (key, value) in [
        ("epochs", "1000000000000"),
        ("epochs", "0"),
        ("epochs", "-3"),
        ("samples", "1e30"),
        ("samples", "0"),
        ("n_gpus", "1000000"),
        ("batch", "0"),
        ("hours", "NaN"),
        ("hours", "inf"),
        ("hours", "-1"),
        ("hours", "1e300"),
        ("usage", "NaN"),
        ("usage", "1.5"),
        ("pue", "0.5"),
        ("pue", "1e6"),
        ("price", "-0.1"),
        ("price", "Infinity"),
        ("mem_gb", "-8"),
        ("gpu", "nvidia-imaginary-1mw"),
        ("region", "MARS"),
        ("arch", "resnet9000"),
        ("precision", "fp3"),
        ("v", "99"),
    ] {
        let (resolved, report) = estimator::estimate(catalog, cal, &format!("{key}={value}"));
        let named = report.errors.iter().any(|e| e.contains(&format!("\"{key}\"")) && e.contains(value));
        assert!(named, "{key}={value}: no error naming both: {:?}", report.errors);
        assert!(report.invariant_violations().is_empty(), "{key}={value}");
        // The refused key took its default: the canonical link has no error left.
        let again = estimator::estimate(catalog, cal, &report.query).0;
        assert!(again.errors.is_empty(), "{key}={value} → {}: {:?}", report.query, again.errors);
        drop(resolved);
    }
}

#[test]
fn a_custom_architecture_with_absurd_size_is_refused() {
    let (catalog, cal) = data();
    for (key, value) in
        [("params_m", "1e12"), ("params_m", "-1"), ("gflops", "1e15"), ("gflops", "NaN"), ("gflops", "0")]
    {
        let (_, report) = estimator::estimate(catalog, cal, &format!("arch=custom&params_m=10&gflops=2&{key}={value}"));
        assert!(
            report.errors.iter().any(|e| e.contains(key) && e.contains(value)),
            "{key}={value}: {:?}",
            report.errors
        );
        assert!(report.invariant_violations().is_empty());
    }
}

#[test]
fn an_over_long_link_is_ignored_with_a_notice() {
    let (catalog, cal) = data();
    let long = format!("epochs=3&junk={}", "x".repeat(estimator::query::MAX_QUERY_BYTES));
    let (resolved, report) = estimator::estimate(catalog, cal, &long);
    assert!(report.notices.iter().any(|n| n.contains("longer than 4096 bytes")), "{:?}", report.notices);
    assert_eq!(resolved.scenario, estimator::Scenario::default_for(catalog), "nothing of it is used");
}

#[test]
fn duplicate_link_keys_keep_the_last_and_say_so() {
    let (catalog, cal) = data();
    let (resolved, report) = estimator::estimate(catalog, cal, "epochs=3&epochs=5&gpu=nvidia-l4");
    assert_eq!(resolved.scenario.epochs, 5);
    assert!(report.notices.iter().any(|n| n.contains("epochs")), "{:?}", report.notices);
}

#[test]
fn a_profile_with_duplicate_keys_is_refused_naming_the_key() {
    let dup = profile_with_power("100,100,100").replacen(r#""id":"test","#, r#""id":"test","id":"other","#, 1);
    let e = serde_json::from_str::<Profile>(&dup).unwrap_err().to_string();
    assert!(e.contains("duplicate field `id`"), "{e}");
}

#[test]
fn deeply_nested_json_is_an_error_not_a_stack_overflow() {
    let deep = profile_with_power(&format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)));
    let e = serde_json::from_str::<Profile>(&deep).unwrap_err().to_string();
    assert!(e.contains("recursion limit exceeded") || e.contains("invalid type"), "{e}");
}

#[test]
fn a_training_mode_outside_the_closed_set_is_a_validation_error() {
    let catalog = &data().0;
    for (meta, location) in [
        (r#""mode":"qlora""#, Some("meta.mode")),
        (r#""mode":"pretrain","lora_rank":8"#, Some("meta.lora_rank")),
        (r#""lora_rank":8"#, Some("meta.lora_rank")),
        (r#""mode":"lora","lora_rank":8"#, None),
    ] {
        let text = profile_with_power("100,100,100").replacen(r#""n_gpus":1"#, &format!(r#""n_gpus":1,{meta}"#), 1);
        let p: Profile = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{meta}: {e}"));
        let errors: Vec<_> =
            estimator::profile::validate(&p, catalog).into_iter().filter(|x| x.severity == Severity::Error).collect();
        assert_eq!(errors.iter().map(|x| x.location.as_str()).next(), location, "{meta}: {errors:?}");
    }
}

#[test]
fn a_one_megawatt_gpu_and_non_physical_power_are_validation_errors() {
    let catalog = &data().0;
    for power in ["100,1000000,100", "100,-5,100"] {
        let p: Profile = serde_json::from_str(&profile_with_power(power)).unwrap();
        let problems = estimator::profile::validate(&p, catalog);
        assert!(
            problems.iter().any(|x| x.location.contains("power_w[1]") && x.severity == Severity::Error),
            "{power}: {problems:?}"
        );
    }
    // NaN and infinity are not JSON: the parser refuses them.
    for power in ["100,NaN,100", "100,Infinity,100", "100,1e400,100"] {
        assert!(serde_json::from_str::<Profile>(&profile_with_power(power)).is_err(), "{power}");
    }
}
