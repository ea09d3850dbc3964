//! Property tests of the estimates' invariants over random valid scenarios: energy never decreases with
//! more epochs or more samples, n_gpus scales each method the way its formula says, and no number is NaN,
//! infinite or negative. (Link encode → decode identity: `scenario.rs`; a replayed record equals the trace's
//! integral: `collector/tests/record.rs`.)

mod common;

use common::data;
use estimator::MethodId;
use proptest::prelude::*;

/// A random valid link: catalogue architecture and GPU by index, counts within their ranges.
fn link(arch: usize, gpu: usize, epochs: u32, samples: u64, n_gpus: u32, hours: Option<f64>) -> String {
    let (c, _) = data();
    let a = &c.archs.architectures[arch % c.archs.architectures.len()].id;
    let g = &c.gpus.gpus[gpu % c.gpus.gpus.len()].id;
    let mut q = format!("arch={a}&gpu={g}&epochs={epochs}&samples={samples}&n_gpus={n_gpus}");
    if let Some(h) = hours {
        q.push_str(&format!("&hours={h}"));
    }
    q
}

/// (method, energy) of every row with a number.
fn energies(query: &str) -> Vec<(MethodId, f64)> {
    let (c, k) = data();
    let (resolved, report) = estimator::estimate(c, k, query);
    assert!(resolved.errors.is_empty(), "{query}: {:?}", resolved.errors);
    assert!(report.invariant_violations().is_empty(), "{query}: {:?}", report.invariant_violations());
    report.rows.iter().filter_map(|r| Some((r.method, r.energy_kwh?))).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn energy_does_not_decrease_with_more_epochs(arch in 0usize..1000, gpu in 0usize..1000, e in 1u32..500, more in 1u32..500, samples in 1u64..10_000_000) {
        let a = energies(&link(arch, gpu, e, samples, 1, None));
        let b = energies(&link(arch, gpu, e + more, samples, 1, None));
        prop_assert_eq!(a.len(), b.len());
        for ((m, x), (_, y)) in a.iter().zip(&b) {
            prop_assert!(*y >= *x * (1.0 - 1e-12), "{:?}: {} kWh at {} epochs, {} at {}", m, x, e, y, e + more);
        }
    }

    #[test]
    fn energy_does_not_decrease_with_more_samples(arch in 0usize..1000, gpu in 0usize..1000, e in 1u32..200, s in 1u64..10_000_000, more in 1u64..10_000_000) {
        let a = energies(&link(arch, gpu, e, s, 1, None));
        let b = energies(&link(arch, gpu, e, s + more, 1, None));
        prop_assert_eq!(a.len(), b.len());
        for ((m, x), (_, y)) in a.iter().zip(&b) {
            prop_assert!(*y >= *x * (1.0 - 1e-12), "{:?}: {} kWh at {} samples, {} at {}", m, x, s, y, s + more);
        }
    }

    /// With the run's wall-clock hours given, the power-based methods (the headline among them) draw n_gpus times the power for the
    /// same hours; the per-sample methods do not depend on how many GPUs share the work.
    #[test]
    fn n_gpus_scales_each_method_as_its_formula_says(arch in 0usize..1000, gpu in 0usize..1000, n in 2u32..64, hours in 0.1f64..1000.0) {
        let one = energies(&link(arch, gpu, 10, 50_000, 1, Some(hours)));
        let many = energies(&link(arch, gpu, 10, 50_000, n, Some(hours)));
        prop_assert_eq!(one.len(), many.len());
        for ((m, x), (_, y)) in one.iter().zip(&many) {
            match m {
                MethodId::Headline | MethodId::Mlco2 | MethodId::GreenAlgorithms | MethodId::PrePower | MethodId::StepPower => {
                    prop_assert!(close(*y, *x * f64::from(n)), "{:?}: {} kWh on 1 GPU, {} on {}", m, x, y, n)
                }
                MethodId::PreEpoch | MethodId::StepEpoch | MethodId::Flops => {
                    prop_assert!(close(*y, *x), "{:?}: {} kWh on 1 GPU, {} on {}", m, x, y, n)
                }
            }
        }
    }
}
