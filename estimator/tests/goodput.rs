//! Goodput (issue 35, item 3): wall time = training time ÷ goodput; the link may set it, and its default follows
//! the run's length (a two-hour fine-tune loses nothing, a months-long pre-training the fitted long-run share).

use estimator::backbone::{GoodputModel, GOODPUT_LONG_DAYS, GOODPUT_SHORT_DAYS};
use estimator::{estimate, Calibration, Catalog, MethodId};

fn lead_hours(query: &str) -> (f64, Vec<String>, Option<String>) {
    let (catalog, cal) = (Catalog::embedded().unwrap(), Calibration::embedded().unwrap());
    let (resolved, report) = estimate(&catalog, &cal, query);
    assert!(resolved.errors.is_empty(), "{query}: {:?}", resolved.errors);
    let h = report.rows.iter().find(|r| r.method == MethodId::Headline).unwrap();
    (h.duration_h.unwrap(), h.warnings.clone(), h.evidence.clone())
}

const PRETRAIN: &str =
    "arch=llama-3-8b&gpu=nvidia-h100-sxm&n_gpus=64&precision=bf16&mode=pretrain&epochs=1&efficiency=tuned";

#[test]
fn a_goodput_in_the_link_divides_the_training_time() {
    let (given, _, evidence) = lead_hours(&format!("{PRETRAIN}&samples=100M&goodput=0.8"));
    let (none, _, _) = lead_hours(&format!("{PRETRAIN}&samples=100M&goodput=1"));
    assert!((given * 0.8 / none - 1.0).abs() < 1e-9, "{given} h at 0.8 against {none} h at 1");
    assert!(evidence.unwrap().contains("goodput 0.80 as the link gives"));
}

#[test]
fn the_default_follows_the_length_of_the_run() {
    let cal = Calibration::embedded().unwrap();
    let model = cal.backbone.as_ref().unwrap().goodput.as_ref().expect("a fitted goodput");
    assert!((0.5..1.0).contains(&model.long), "long-run goodput {}", model.long);
    // A short fine-tune (under a day): nothing lost, nothing said.
    let (short, _, evidence) = lead_hours(&format!("{PRETRAIN}&samples=100M"));
    let (short_1, _, _) = lead_hours(&format!("{PRETRAIN}&samples=100M&goodput=1"));
    assert_eq!(short, short_1);
    assert!(!evidence.unwrap().contains("goodput"));
    // Two trillion tokens on 64 GPUs: months of training, the long-run share, and the sentence says so.
    let (long, _, evidence) = lead_hours(&format!("{PRETRAIN}&samples=2T"));
    let (long_1, _, _) = lead_hours(&format!("{PRETRAIN}&samples=2T&goodput=1"));
    assert!(long_1 / 24.0 > GOODPUT_LONG_DAYS, "{long_1} h");
    assert!((long * model.long / long_1 - 1.0).abs() < 1e-9, "{long} h against {long_1} h");
    assert!(evidence.unwrap().contains("restarts, evaluation, checkpoints and stragglers"));
}

#[test]
fn the_ramp_between_short_and_long_runs_is_monotone() {
    let m = GoodputModel { long: 0.8, runs: Vec::new() };
    assert_eq!(m.at(GOODPUT_SHORT_DAYS * 24.0), 1.0);
    assert!((m.at(GOODPUT_LONG_DAYS * 24.0) - 0.8).abs() < 1e-12);
    assert!((m.at(1e6) - 0.8).abs() < 1e-12);
    let days = [1.5, 3.0, 7.0, 14.0, 29.0];
    let g: Vec<f64> = days.iter().map(|d| m.at(d * 24.0)).collect();
    assert!(g.windows(2).all(|w| w[0] > w[1]) && g.iter().all(|x| (0.8..1.0).contains(x)), "{g:?}");
    // Only runs of a month or more calibrate it; a run predicted slower than published implies 1, not more.
    assert_eq!(GoodputModel::implied_long(0.7, 10.0 * 24.0), None);
    assert_eq!(GoodputModel::implied_long(0.7, 40.0 * 24.0), Some(0.7));
    assert_eq!(GoodputModel::implied_long(1.3, 40.0 * 24.0), Some(1.0));
    // Leave one out: the median of the others.
    let m = GoodputModel::of(vec![("a".into(), 0.7), ("b".into(), 0.9), ("c".into(), 1.0)]).unwrap();
    assert_eq!(m.long, 0.9);
    assert_eq!(m.without("b").unwrap().long, 0.85);
}

#[test]
fn a_bad_goodput_names_the_key_and_the_value() {
    let (catalog, cal) = (Catalog::embedded().unwrap(), Calibration::embedded().unwrap());
    for bad in ["0", "1.5", "most", "-0.2"] {
        let (resolved, _) = estimate(&catalog, &cal, &format!("{PRETRAIN}&goodput={bad}"));
        let e = resolved.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ");
        assert!(e.contains("\"goodput\"") && e.contains(&format!("\"{bad}\"")), "{bad}: {e}");
    }
}
