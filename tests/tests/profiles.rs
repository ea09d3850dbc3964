//! Every committed calibration profile validates against `data/schema/v1/profile*.schema.json`, reads
//! into the estimator's types without loss, and is sane (time increases, energy matches the samples).

use std::io::Read;
use std::path::{Path, PathBuf};

use estimator::profile::{validate, Profile, ProfileBundle, ProfileStatus, Severity};

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

fn check_profile(path: &Path, p: &Profile, catalog: &estimator::Catalog) {
    assert!(p.summary.energy_j > 0.0 && p.summary.duration_s > 0.0, "{} ({})", path.display(), p.id);
    if p.status == ProfileStatus::SummaryOnly {
        assert!(p.devices.is_empty(), "{}: summary-only with samples", p.id);
    }
    // The same checks as `wattcast validate`: time order, power range, column lengths, energy vs samples.
    let errors: Vec<String> = validate(p, catalog)
        .into_iter()
        .filter(|x| x.severity == Severity::Error)
        .map(|x| format!("{}: {}", x.location, x.message))
        .collect();
    assert!(errors.is_empty(), "{} ({}):\n{}", path.display(), p.id, errors.join("\n"));
}

#[test]
fn committed_profiles_validate_and_are_sane() {
    let mut all = Vec::new();
    files(&root().join("data/profiles"), &mut all);
    files(&root().join("data/power-runs"), &mut all);
    all.sort();
    let (one, bundle) = (validator("profile.schema.json"), validator("profile-bundle.schema.json"));
    let catalog = estimator::Catalog::embedded().unwrap();
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
            check_profile(path, p, &catalog);
        }
        count += profiles.len();
    }
    // 309 SEAA traces + 60 SEAA summary-only runs + 1,609 Zeus rows, and 12 H200 power runs.
    assert_eq!(count, 1990);
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

/// A power run's steady power leaves out the first epoch (the compiled run spent 49 s compiling at low power in
/// it) and needs two later epochs that carry energy.
#[test]
fn steady_power_leaves_out_the_first_epoch_and_needs_two_more() {
    let path = root().join("data/power-runs/h200/llama-3.2-1b-pretrain-b8-compiled.json.gz");
    let mut p: Profile = serde_json::from_value(read_json(&path)).unwrap();
    let steady = p.steady_power_w().unwrap();
    assert!(
        steady > 2.5 * p.summary.mean_power_w && steady <= 700.0,
        "{steady} W, run mean {}",
        p.summary.mean_power_w
    );
    let mut gap = p.clone();
    gap.epochs[2].energy_j = None;
    assert_eq!(gap.steady_power_w(), None);
    p.epochs.truncate(2);
    assert_eq!(p.steady_power_w(), None);
}
