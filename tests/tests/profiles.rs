//! Every committed calibration profile validates against `data/schema/v1/profile*.schema.json`, reads
//! into the estimator's types without loss, and is sane (time increases, energy matches the samples).

use std::io::Read;
use std::path::{Path, PathBuf};

use estimator::profile::{Profile, ProfileBundle, ProfileStatus};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn read_json(path: &Path) -> serde_json::Value {
    let mut text = String::new();
    let f = std::fs::File::open(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(f).read_to_string(&mut text).unwrap();
    } else {
        std::io::BufReader::new(f).read_to_string(&mut text).unwrap();
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator(name: &str) -> jsonschema::Validator {
    let schema = read_json(&root().join("data/schema/v1").join(name));
    jsonschema::validator_for(&schema).unwrap()
}

fn check_profile(path: &Path, p: &Profile) {
    let where_ = format!("{} ({})", path.display(), p.id);
    assert_eq!(p.schema_version, 1, "{where_}");
    assert!(p.summary.energy_j > 0.0 && p.summary.duration_s > 0.0, "{where_}");
    if p.status == ProfileStatus::SummaryOnly {
        assert!(p.devices.is_empty(), "{where_}: summary-only with samples");
        return;
    }
    let mut total = 0.0;
    for d in &p.devices {
        let s = &d.samples;
        assert_eq!(s.t_ms.len(), s.power_w.len(), "{where_}");
        for col in [&s.utilisation_pct, &s.memory_used_mib, &s.temperature_c, &s.sm_clock_mhz].into_iter().flatten() {
            assert_eq!(col.len(), s.t_ms.len(), "{where_}: a column's length differs");
        }
        assert!(s.t_ms.windows(2).all(|w| w[0] < w[1]), "{where_}: time does not increase");
        assert!(s.power_w.iter().all(|w| w.is_finite() && *w >= 0.0), "{where_}: bad power");
        let integral = s.integrated_energy_j();
        assert!((integral - d.energy_j).abs() <= 1e-6 * integral.max(1.0), "{where_}: device energy ≠ integral");
        total += d.energy_j;
    }
    assert!(
        (total - p.summary.energy_j).abs() <= 0.01 * total,
        "{where_}: summary energy differs from samples by > 1 %"
    );
}

#[test]
fn committed_profiles_validate_and_are_sane() {
    let mut all = Vec::new();
    files(&root().join("data/profiles"), &mut all);
    all.sort();
    let (one, bundle) = (validator("profile.schema.json"), validator("profile-bundle.schema.json"));
    let mut count = 0;
    for path in &all {
        let value = read_json(path);
        let is_bundle = value.get("profiles").is_some();
        let v = if is_bundle { &bundle } else { &one };
        let errors: Vec<String> =
            v.iter_errors(&value).take(5).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{} does not match its schema:\n{}", path.display(), errors.join("\n"));
        let profiles = if is_bundle {
            let b: ProfileBundle = serde_json::from_value(value.clone()).unwrap();
            assert_eq!(serde_json::to_value(&b).unwrap(), value, "{} changes when read and written", path.display());
            b.profiles
        } else {
            let p: Profile = serde_json::from_value(value.clone()).unwrap();
            assert_eq!(serde_json::to_value(&p).unwrap(), value, "{} changes when read and written", path.display());
            vec![p]
        };
        for p in &profiles {
            check_profile(path, p);
        }
        count += profiles.len();
    }
    // 309 SEAA traces + 60 SEAA summary-only runs + 1,609 Zeus rows.
    assert_eq!(count, 1978);
}

#[test]
fn the_schema_rejects_a_broken_profile() {
    let mut all = Vec::new();
    files(&root().join("data/profiles/seaa2023/cloud"), &mut all);
    all.sort();
    let mut value = read_json(&all[0]);
    let v = validator("profile.schema.json");
    assert!(v.is_valid(&value));
    value["status"] = serde_json::json!("half-done");
    assert!(!v.is_valid(&value));
}
