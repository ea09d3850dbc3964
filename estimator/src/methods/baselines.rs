//! The formulas people use today, exactly as their tools define them.
//!
//! - `mlco2` (ML CO2 Impact calculator, Lacoste et al. 2019): energy = TDP × n_gpus × hours.
//! - `green-algorithms` (Lannelongue et al. 2021): energy = (n_gpus × TDP × usage + mem_GB × 0.3725 W)
//!   × hours × PUE. 0.3725 W/GB is the tool's `memoryPower` reference value.
//! - `flops`: training FLOPs ÷ (n_gpus × peak FLOP/s × utilisation) gives the duration, × TDP × n_gpus.
//!
//! When the user gives no `hours`, `mlco2` and `green-algorithms` take the FLOPs model's duration
//! and flag it as estimated.

use super::workload::{flops_duration_h, Workload};
use super::{RawEstimate, Site};
use crate::catalog::Gpu;
use crate::scenario::Scenario;

/// Green Algorithms' memory power, W per GB of memory available to the job.
pub const GA_MEMORY_W_PER_GB: f64 = 0.3725;

/// ML CO2 Impact's formula, kWh: TDP × n_gpus × hours.
pub fn mlco2_kwh(tdp_w: f64, n_gpus: u32, hours: f64) -> f64 {
    tdp_w * f64::from(n_gpus) * hours / 1000.0
}

/// Green Algorithms' formula, kWh: (n_gpus × TDP × usage + mem_GB × 0.3725 W) × hours × PUE.
pub fn green_algorithms_kwh(tdp_w: f64, n_gpus: u32, usage: f64, mem_gb: f64, hours: f64, pue: f64) -> f64 {
    (f64::from(n_gpus) * tdp_w * usage + mem_gb * GA_MEMORY_W_PER_GB) * hours * pue / 1000.0
}

/// The duration to use: the user's hours, or the FLOPs model's (flagged).
fn duration(gpu: &Gpu, scenario: &Scenario, work: &Workload, warnings: &mut Vec<String>) -> (Option<f64>, bool) {
    match scenario.hours {
        Some(h) => (Some(h), false),
        None => {
            let (h, w) = flops_duration_h(work, gpu, scenario);
            warnings.extend(w);
            if h.is_some() {
                warnings.push("duration estimated by the FLOPs model (give \"hours\" to override)".into());
            }
            (h, true)
        }
    }
}

fn tdp(gpu: &Gpu, warnings: &mut Vec<String>) -> Option<f64> {
    if gpu.tdp_w.is_none() {
        warnings.push(format!("no TDP is known for {}", gpu.name));
    }
    gpu.tdp_w
}

/// ML CO2 Impact: TDP × n_gpus × hours.
pub fn mlco2(gpu: &Gpu, scenario: &Scenario, work: &Workload) -> RawEstimate {
    let mut warnings = Vec::new();
    let tdp_w = tdp(gpu, &mut warnings);
    let (duration_h, duration_estimated) = duration(gpu, scenario, work, &mut warnings);
    RawEstimate {
        energy_kwh: tdp_w.zip(duration_h).map(|(p, h)| mlco2_kwh(p, scenario.n_gpus, h)),
        duration_h,
        duration_estimated,
        warnings,
        ..RawEstimate::default()
    }
}

/// Green Algorithms: (n_gpus × TDP × usage + mem_GB × 0.3725 W) × hours × PUE.
pub fn green_algorithms(gpu: &Gpu, scenario: &Scenario, work: &Workload, site: &Site) -> RawEstimate {
    let mut warnings = Vec::new();
    let tdp_w = tdp(gpu, &mut warnings);
    let (duration_h, duration_estimated) = duration(gpu, scenario, work, &mut warnings);
    RawEstimate {
        energy_kwh: tdp_w
            .zip(duration_h)
            .map(|(p, h)| green_algorithms_kwh(p, scenario.n_gpus, scenario.usage, scenario.mem_gb, h, site.pue)),
        duration_h,
        duration_estimated,
        warnings,
        ..RawEstimate::default()
    }
}

/// FLOPs-based: the FLOPs model's duration × TDP × n_gpus.
pub fn flops(gpu: &Gpu, scenario: &Scenario, work: &Workload) -> RawEstimate {
    let mut warnings = Vec::new();
    let tdp_w = tdp(gpu, &mut warnings);
    let (duration_h, w) = flops_duration_h(work, gpu, scenario);
    warnings.extend(w);
    if scenario.hours.is_some() && duration_h.is_some() {
        warnings.push("this method computes its own duration from FLOPs; \"hours\" is not used".into());
    }
    RawEstimate {
        energy_kwh: tdp_w.zip(duration_h).map(|(p, h)| mlco2_kwh(p, scenario.n_gpus, h)),
        duration_h,
        duration_estimated: true,
        warnings,
        ..RawEstimate::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Segment;
    use crate::methods::{estimate_one, MethodId};
    use crate::scenario::{ArchChoice, Precision};

    fn gpu(tdp_w: Option<f64>, bf16: Option<f64>, fp32: Option<f64>) -> Gpu {
        Gpu {
            id: "test-gpu".into(),
            vendor: "Test".into(),
            name: "Test GPU".into(),
            architecture: "Test".into(),
            form_factor: "pcie".into(),
            segment: Segment::Datacenter,
            release_year: None,
            tdp_w,
            fp32_tflops: fp32,
            fp16_tensor_tflops: None,
            bf16_tensor_tflops: bf16,
            tf32_tensor_tflops: None,
            memory_gb: None,
            memory_bandwidth_gbs: None,
            cores: None,
            nvml_names: vec![],
            source: "test".into(),
            notes: None,
        }
    }

    fn scenario(hours: Option<f64>) -> Scenario {
        Scenario {
            arch: ArchChoice::Custom { params_m: None, gflops: 10.0 },
            gpus: vec!["test-gpu".into()],
            n_gpus: 2,
            batch: None,
            input_px: None,
            samples: 1000,
            epochs: 10,
            precision: Precision::Bf16,
            hours,
            usage: 0.5,
            mem_gb: 64.0,
            region: "X".into(),
            pue: None,
            price_per_kwh: Some(0.2),
            job: Default::default(),
        }
    }

    fn work() -> Workload {
        // 3 × 10 GFLOPs × 1000 samples × 10 epochs = 3e14 FLOPs.
        Workload {
            forward_gflops: Some(10.0),
            training_gflops: Some(30.0),
            training_flops: Some(3e14),
            params: None,
            trainable_params: None,
            shape: None,
            seq: None,
            warnings: vec![],
        }
    }

    fn site() -> Site {
        Site { pue: 1.2, pue_source: "test".into(), intensity_g_per_kwh: 500.0, price_per_kwh: Some(0.2) }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= 1e-12 * b.abs().max(1.0))
    }

    #[test]
    fn golden_values() {
        let g = gpu(Some(400.0), Some(100.0), Some(50.0));
        let s = scenario(Some(10.0));
        // mlco2: 400 W × 2 × 10 h = 8 kWh.
        assert!(close(mlco2(&g, &s, &work()).energy_kwh, 8.0));
        // GA: (2 × 400 × 0.5 + 64 × 0.3725) W × 10 h × 1.2 = 423.84 × 12 Wh = 5.08608 kWh.
        assert!(close(green_algorithms(&g, &s, &work(), &site()).energy_kwh, 5.08608));
        // FLOPs: 3e14 / (2 × 100e12 × 0.33) = 4.5454.. s; × 400 W × 2 / 3.6e6 J/kWh.
        let f = flops(&g, &s, &work());
        let secs = 3e14 / (2.0 * 100e12 * 0.33);
        assert!(close(f.duration_h, secs / 3600.0));
        assert!(close(f.energy_kwh, 800.0 * secs / 3.6e6));
        assert!(f.warnings.iter().any(|w| w.contains("not used")));
    }

    #[test]
    fn site_factors_apply_pue_once() {
        let g = gpu(Some(400.0), Some(100.0), None);
        let s = scenario(Some(10.0));
        let (c, cal) = (crate::Catalog::embedded().unwrap(), crate::calibration::Calibration::embedded().unwrap());
        let pre = crate::methods::paper::PreInputs::new(&s, &work(), None, &g, &c, &cal);
        let m = estimate_one(MethodId::Mlco2, &g, &s, &work(), &site(), &pre, &cal);
        // 8 kWh × 1.2 PUE × 500 g/kWh = 4.8 kg; cost 8 × 1.2 × 0.2 = 1.92.
        assert!(close(m.co2e_kg, 4.8));
        assert!(close(m.cost, 1.92));
        let ga = estimate_one(MethodId::GreenAlgorithms, &g, &s, &work(), &site(), &pre, &cal);
        // GA already includes PUE: 5.08608 kWh × 500 g/kWh = 2.54304 kg.
        assert!(close(ga.co2e_kg, 2.54304));
    }

    #[test]
    fn estimated_duration_is_flagged_and_missing_specs_give_none() {
        let s = scenario(None);
        let m = mlco2(&gpu(Some(400.0), Some(100.0), None), &s, &work());
        assert!(m.duration_estimated);
        assert!(m.warnings.iter().any(|w| w.contains("estimated by the FLOPs model")));
        let no_tdp = mlco2(&gpu(None, Some(100.0), None), &s, &work());
        assert_eq!(no_tdp.energy_kwh, None);
        assert!(no_tdp.warnings.iter().any(|w| w.contains("no TDP")));
        let no_peak = flops(&gpu(Some(300.0), None, None), &s, &work());
        assert_eq!(no_peak.energy_kwh, None);
        // bf16 missing, fp32 present: falls back with a warning.
        let fallback = flops(&gpu(Some(300.0), None, Some(50.0)), &s, &work());
        assert!(fallback.energy_kwh.is_some());
        assert!(fallback.warnings.iter().any(|w| w.contains("used its FP32 peak")));
    }
}
