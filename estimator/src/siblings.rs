//! One basis for measured and predicted throughput: what a GPU's measured siblings tell the prediction of a
//! GPU that was not measured on a workload.
//!
//! The spec model ([`crate::backbone`]) predicts every GPU from its specs, plus a GPU's own effect where
//! benchmarks measured it and a pair's measurement where one exists. Left at that, a GPU predicted from specs
//! and its measured sibling stand on different bases: Lambda's H100 SXM5 trains ResNet-50 at 2,790 images/s,
//! well below what its specs say, and the H100 NVL, never measured, got the specs' full 4,824. Here a prediction
//! carries, in ln, the mean residual (ln measured ÷ predicted, at the same precision) of the siblings measured
//! on the workload: GPUs of the same vendor, architecture and segment (the H100 SXM5 and PCIe for the NVL), how
//! this workload runs on that line. Then no GPU predicted from specs is faster than a measured sibling it does
//! not out-spec ([`out_specs`], applied in [`crate::backbone::Backbone::throughput`]).
//!
//! The held-out protocols score the same rule ([`crate::fit::backbone::held_out_throughput`]): a held-out GPU
//! borrows from its siblings' rows in the training fold only. Carrying the siblings' GPU effects as well (the
//! line's offset on every workload) was scored too and made the GPU-held-out error worse (`docs/methods.md`).

use crate::catalog::Gpu;

/// The siblings of `gpu`: same vendor, architecture and segment; never `gpu` itself.
pub fn siblings<'a>(gpu: &Gpu, all: &'a [Gpu]) -> impl Iterator<Item = &'a Gpu> {
    let (id, vendor, arch, segment) = (gpu.id.clone(), gpu.vendor.clone(), gpu.architecture.clone(), gpu.segment);
    all.iter().filter(move |g| g.id != id && g.vendor == vendor && g.architecture == arch && g.segment == segment)
}

/// The GPUs of the same vendor and architecture in any segment, `gpu` excluded: the same kernels run on them,
/// so a prediction from specs reaches no higher share of its peak than any of them measured on the workload.
pub fn same_architecture<'a>(gpu: &Gpu, all: &'a [Gpu]) -> impl Iterator<Item = &'a Gpu> {
    let (id, vendor, arch) = (gpu.id.clone(), gpu.vendor.clone(), gpu.architecture.clone());
    all.iter().filter(move |g| g.id != id && g.vendor == vendor && g.architecture == arch)
}

/// The carry in ln: the mean of the siblings' residuals on the workload; 0 where none measured it.
pub fn carry(pair_residuals: &[f64]) -> f64 {
    if pair_residuals.is_empty() {
        0.0
    } else {
        pair_residuals.iter().sum::<f64>() / pair_residuals.len() as f64
    }
}

/// Whether `a` out-specs `b`: at least its peak at the precision and its memory bandwidth. A GPU predicted from
/// specs may overtake a measured sibling only when it does.
pub fn out_specs(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 >= b.0 && a.1 >= b.1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Segment;

    fn gpu(id: &str, vendor: &str, arch: &str) -> Gpu {
        Gpu {
            id: id.into(),
            vendor: vendor.into(),
            name: id.into(),
            architecture: arch.into(),
            form_factor: "sxm".into(),
            segment: Segment::Datacenter,
            release_year: None,
            tdp_w: None,
            fp32_tflops: None,
            fp16_tensor_tflops: None,
            bf16_tensor_tflops: None,
            tf32_tensor_tflops: None,
            memory_gb: None,
            memory_bandwidth_gbs: None,
            cores: None,
            nvml_names: Vec::new(),
            source: String::new(),
            notes: None,
        }
    }

    #[test]
    fn siblings_are_the_same_line() {
        let mut pcie = gpu("h100-pcie", "NVIDIA", "Hopper");
        pcie.segment = Segment::Workstation;
        let all = [
            gpu("h100-sxm", "NVIDIA", "Hopper"),
            gpu("h100-nvl", "NVIDIA", "Hopper"),
            gpu("h200", "NVIDIA", "Hopper"),
            gpu("a100", "NVIDIA", "Ampere"),
            pcie,
            gpu("mi300x", "AMD", "Hopper"),
        ];
        let ids: Vec<&str> = siblings(&all[1], &all).map(|g| g.id.as_str()).collect();
        // Never itself, another architecture, another segment or another vendor.
        assert_eq!(ids, ["h100-sxm", "h200"]);
        // The architecture spans segments (the workstation PCIe card), never vendors.
        let ids: Vec<&str> = same_architecture(&all[1], &all).map(|g| g.id.as_str()).collect();
        assert_eq!(ids, ["h100-sxm", "h200", "h100-pcie"]);
    }

    #[test]
    fn the_carry_is_the_mean_pair_residual() {
        // Two siblings measured on the workload 0.2 and 0.4 below their predictions.
        assert!((carry(&[-0.2, -0.4]) - -0.3).abs() < 1e-12);
        assert_eq!(carry(&[]), 0.0);
        // The H100 NVL (835 TFLOP/s, 3.9 TB/s) does not out-spec the H100 SXM (989, 3.35): lower peak.
        assert!(!out_specs((835.0, 3900.0), (989.0, 3350.0)));
        assert!(out_specs((2250.0, 8000.0), (989.0, 3350.0)));
    }
}
