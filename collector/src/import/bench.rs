//! Builds `data/benchmarks/throughput.json` from public training benchmarks: Lambda's PyTorch throughput
//! tables (generations v0, v1, v2), NeuSight's measured training-step latencies, and MLPerf Training
//! v3.0/v3.1 time-to-train runs. Pure functions over CSV text.
//!
//! - Sample units: images, or tokens (sequences × the workload's sequence length). Every workload states
//!   its forward FLOPs per sample and how they were obtained (one convention, [`lm_forward_gflops`]).
//! - GPU labels are mapped to catalogue ids by [`lambda_gpu`], [`neusight_gpu`] and [`mlperf_gpu`]; labels
//!   with no catalogue GPU are skipped and counted.
//! - Duplicate hosts and runs of one (source, GPU, count, workload, precision, batch) are collapsed to
//!   their median, with the count kept.
//! - Lambda's `fp32` is TF32 tensor math on Ampere and newer (NGC containers), true FP32 before.

use std::collections::BTreeMap;

use estimator::bench::{BenchRow, BenchWorkload, BenchmarkSet, Tuning, BENCH_SCHEMA_VERSION};
use estimator::catalog::{DataHeader, SampleUnit, SourceRef};
use estimator::fit::median;
use estimator::{Catalog, Precision};

use super::{ImportError, Table};

/// The command recorded in `generated_by`.
pub const GENERATED_BY: &str = "wattcast import benchmarks";

/// The source tables, as text.
pub struct BenchSources<'a> {
    /// Lambda tables as (generation `v0|v1|v2`, precision `fp16|fp32`, throughput CSV, batch CSV when the
    /// generation has one in the same layout).
    pub lambda: Vec<(&'a str, &'a str, &'a str, Option<&'a str>)>,
    /// Lambda v2's derived batch-size table (`gpu_config,model,precision,batch_size,num_gpu`).
    pub lambda_v2_batches: Option<&'a str>,
    /// NeuSight `train-latency.csv`.
    pub neusight: Option<&'a str>,
    /// MLPerf `training-v3.0-v3.1-runs.csv`.
    pub mlperf: Option<&'a str>,
}

/// What an import produced besides the file: labels that were skipped, with counts.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BenchImport {
    /// The data file.
    pub set: Option<BenchmarkSet>,
    /// (source label, why) → number of raw measurements skipped.
    pub skipped: BTreeMap<(String, String), usize>,
    /// Raw measurements read.
    pub n_raw: usize,
}

/// Forward FLOPs per token of a transformer, GFLOPs: 2 × parameters (the embedding matrix standing for
/// the tied output projection) + the attention term ([`estimator::methods::transformer::forward_flops_per_token`]).
pub fn lm_forward_gflops(params: f64, layers: u32, d_model: u32, seq_len: u32) -> f64 {
    estimator::methods::transformer::forward_flops_per_token(params, layers, d_model, seq_len) / 1e9
}

/// Parameters of a GPT-style decoder from its dimensions: 12 × layers × d² (attention and MLP) + vocab × d
/// (embedding) + context × d (positions).
fn gpt_params(layers: u32, d_model: u32, vocab: u32, context: u32) -> f64 {
    let d = f64::from(d_model);
    12.0 * f64::from(layers) * d * d + f64::from(vocab) * d + f64::from(context) * d
}

/// A benchmarked workload: its id, what it is, and where its size comes from.
struct Spec {
    id: &'static str,
    name: &'static str,
    /// Catalogue architecture (parameters and image FLOPs come from it when `dims` is `None`).
    arch: Option<&'static str>,
    unit: SampleUnit,
    seq_len: Option<u32>,
    input_px: Option<u32>,
    /// (layers, d_model, vocab) of a transformer.
    dims: Option<(u32, u32, u32)>,
    dims_source: &'static str,
}

const SPECS: [Spec; 11] = [
    Spec {
        id: "resnet50-imagenet",
        name: "ResNet-50 v1.5, ImageNet-size 224 px images",
        arch: Some("tv-resnet50"),
        unit: SampleUnit::Image,
        seq_len: None,
        input_px: Some(224),
        dims: None,
        dims_source: "",
    },
    Spec {
        id: "bert-base-squad-384",
        name: "BERT-base fine-tuning on SQuAD v1.1, 384-token sequences",
        arch: Some("bert-base-uncased"),
        unit: SampleUnit::Token,
        seq_len: Some(384),
        input_px: None,
        dims: Some((12, 768, 30522)),
        dims_source: "Devlin et al. 2019 (BERT), L=12, H=768",
    },
    Spec {
        id: "bert-large-squad-384",
        name: "BERT-large fine-tuning on SQuAD v1.1, 384-token sequences",
        arch: Some("bert-large-uncased"),
        unit: SampleUnit::Token,
        seq_len: Some(384),
        input_px: None,
        dims: Some((24, 1024, 30522)),
        dims_source: "Devlin et al. 2019 (BERT), L=24, H=1024",
    },
    Spec {
        id: "bert-large-512",
        name: "BERT-large with pre-training heads, 512-token sequences",
        arch: Some("bert-large-uncased"),
        unit: SampleUnit::Token,
        seq_len: Some(512),
        input_px: None,
        dims: Some((24, 1024, 30522)),
        dims_source: "Devlin et al. 2019 (BERT), L=24, H=1024",
    },
    Spec {
        id: "gpt2-large-1024",
        name: "GPT-2 large, 1,024-token sequences",
        arch: Some("gpt2-large"),
        unit: SampleUnit::Token,
        seq_len: Some(1024),
        input_px: None,
        dims: Some((36, 1280, 50257)),
        dims_source: "Radford et al. 2019 (GPT-2), 36 layers, d=1280",
    },
    Spec {
        id: "gpt-24l-3072d-2048",
        name: "GPT-2-class decoder, 24 layers, d=3072 (NeuSight's \"gpt3_xl\" config), 2,048-token sequences",
        arch: None,
        unit: SampleUnit::Token,
        seq_len: Some(2048),
        input_px: None,
        dims: Some((24, 3072, 50257)),
        dims_source: "NeuSight model config gpt3_xl: 24 layers, hidden 3072, 24 heads",
    },
    Spec {
        id: "gpt3-2.7b-2048",
        name: "GPT-3 2.7B-shaped decoder, 32 layers, d=2560, 2,048-token sequences",
        arch: None,
        unit: SampleUnit::Token,
        seq_len: Some(2048),
        input_px: None,
        dims: Some((32, 2560, 50257)),
        dims_source: "NeuSight model config gpt3_27: 32 layers, hidden 2560, 32 heads",
    },
    Spec {
        id: "opt-1.3b-2048",
        name: "OPT-1.3B, 2,048-token sequences",
        arch: None,
        unit: SampleUnit::Token,
        seq_len: Some(2048),
        input_px: None,
        dims: Some((24, 2048, 50272)),
        dims_source: "Zhang et al. 2022 (OPT), 1.3B: 24 layers, d=2048",
    },
    Spec {
        id: "mlperf-resnet50",
        name: "MLPerf Training ResNet-50 v1.5 on ImageNet to 75.9 % top-1 (time to train, evaluation included)",
        arch: Some("tv-resnet50"),
        unit: SampleUnit::Image,
        seq_len: None,
        input_px: Some(224),
        dims: None,
        dims_source: "",
    },
    Spec {
        id: "mlperf-bert-large-512",
        name: "MLPerf Training BERT-large phase-2 pre-training, 512-token sequences (time to train)",
        arch: Some("bert-large-uncased"),
        unit: SampleUnit::Token,
        seq_len: Some(512),
        input_px: None,
        dims: Some((24, 1024, 30522)),
        dims_source: "Devlin et al. 2019 (BERT), L=24, H=1024",
    },
    Spec {
        id: "mlperf-gpt3-175b",
        name: "MLPerf Training GPT-3 175B pre-training from a checkpoint, 2,048-token sequences (time to train)",
        arch: None,
        unit: SampleUnit::Token,
        seq_len: Some(2048),
        input_px: None,
        dims: Some((96, 12288, 50257)),
        dims_source: "Brown et al. 2020 (GPT-3), 175B: 96 layers, d=12288",
    },
];

fn workload_of(spec: &Spec, catalog: &Catalog) -> Result<BenchWorkload, String> {
    let arch =
        spec.arch.map(|id| catalog.arch(id).ok_or(format!("catalogue has no architecture \"{id}\""))).transpose()?;
    let (params_m, forward_gflops, flops_note) = match (spec.dims, arch) {
        (None, Some(a)) => {
            let g = a.gflops_at(spec.input_px).ok_or(format!("\"{}\" has no forward FLOPs", a.id))?;
            let p = a.params_m.ok_or(format!("\"{}\" has no parameter count", a.id))?;
            (p, g, format!("forward FLOPs of catalogue architecture {} ({})", a.id, a.source))
        }
        (Some((layers, d, vocab)), arch) => {
            let seq = spec.seq_len.ok_or("a transformer workload needs a sequence length")?;
            let params = match arch.and_then(|a| a.params_m) {
                Some(p) => p * 1e6,
                None => gpt_params(layers, d, vocab, seq),
            };
            let how = if arch.is_some() { "catalogue parameter count" } else { "parameters from the dimensions" };
            (
                params / 1e6,
                lm_forward_gflops(params, layers, d, seq),
                format!(
                    "2 × parameters + 2 × layers × {seq} × d_model per token (Kaplan et al. 2020); {how}; {}",
                    spec.dims_source
                ),
            )
        }
        (None, None) => return Err(format!("workload \"{}\" has neither an architecture nor dimensions", spec.id)),
    };
    Ok(BenchWorkload {
        id: spec.id.into(),
        name: spec.name.into(),
        arch_id: spec.arch.map(Into::into),
        sample_unit: spec.unit,
        seq_len: spec.seq_len,
        input_px: spec.input_px,
        params_m,
        forward_gflops,
        flops_note,
        family: None,
        activations_m: None,
    })
}

fn sources() -> Vec<SourceRef> {
    let lambda = |gen: &str, commit: &str, years: &str| SourceRef {
        id: format!("lambda-{gen}"),
        name: format!("Lambda PyTorch training throughput tables, generation {gen} ({years})"),
        url: format!("github:lambdal/deeplearning-benchmark pytorch/ @{commit}"),
        licence: "none stated; figures cited as facts".into(),
        attribution: "Lambda, deeplearning-benchmark".into(),
    };
    vec![
        lambda("v0", "fe450482b982f1790e05e0bd57724a3f692b2d0f", "2020–2022, NGC PyTorch 1.4–1.10"),
        lambda("v1", "aa5addb6a53675a649a80036dad548f1c27cbcc4", "2022–2024, NGC PyTorch 1.13, some H100 hosts 2.1–2.3"),
        lambda("v2", "aa5addb6a53675a649a80036dad548f1c27cbcc4", "2024–2025, NGC PyTorch 2.3–2.8"),
        SourceRef {
            id: "neusight".into(),
            name: "NeuSight measured training-step latencies (Lee, Phanishayee, Mahajan, ASPLOS '25, doi 10.1145/3669940.3707265)".into(),
            url: "github:sitar-lab/NeuSight scripts/asplos/label/ @6945927d9afcca2b9daf021f8395e53edc5b4eef".into(),
            licence: "MIT".into(),
            attribution: "Copyright (c) 2025 Georgia Institute of Technology and Microsoft Corporation (NeuSight, MIT licence)".into(),
        },
        SourceRef {
            id: "mlperf-training-v3".into(),
            name: "MLPerf Training v3.0 and v3.1 results, closed division, per-run time to train".into(),
            url: "github:mlcommons/training_results_v3.0 @63e326c400f5d8bb8c6070a9ab08332d4931152e; github:mlcommons/training_results_v3.1 @d06288b2bd675a9d88e0e6181f5bb5626b71ec19".into(),
            licence: "Apache-2.0".into(),
            attribution: "MLCommons, MLPerf Training v3.0/v3.1 results (Apache-2.0)".into(),
        },
    ]
}

/// One raw measurement before collapsing.
struct Raw {
    key: (String, String, u32, String, Precision, Option<u32>),
    samples_per_s: f64,
    /// Time to train, minutes (time-to-train rows only).
    minutes: Option<f64>,
    tuning: Tuning,
    precision_recorded: bool,
    upstream: String,
    note: Option<&'static str>,
}

/// Strips hosting prefixes and the `Nx ` count from a Lambda v0/v1 label: `LambdaCloud 2x V100 16GB` → `V100 16GB`.
fn lambda_base(label: &str) -> &str {
    let mut s = label.trim();
    for p in ["Lambda Cloud — ", "Linode Cloud — ", "LambdaCloud ", "DellTexas ", "Dell ", "SMC ", "1CC ", "RAIDZ1 "]
    {
        s = s.strip_prefix(p).unwrap_or(s);
    }
    match s.split_once('x') {
        Some((n, rest)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => rest.trim_start(),
        _ => s,
    }
}

/// The catalogue GPU of a Lambda label, or why there is none. `watt_per_gpu` tells V100 PCIe (250 W) from SXM2 (300 W).
pub fn lambda_gpu(label: &str, watt_per_gpu: Option<f64>) -> Result<&'static str, &'static str> {
    let base = lambda_base(label);
    let v100 = |pcie: &'static str, sxm: &'static str| match watt_per_gpu {
        Some(w) if w <= 260.0 => Ok(pcie),
        Some(_) => Ok(sxm),
        None => Err("V100 form factor unknown"),
    };
    match base {
        "A100 40GB PCIe" => Ok("nvidia-a100-pcie-40gb"),
        "A100 40GB SXM4" | "p4d.24xlarge" => Ok("nvidia-a100-sxm4-40gb"),
        "A100 80GB PCIe" => Ok("nvidia-a100-pcie-80gb"),
        "A100 80GB SXM4" => Ok("nvidia-a100-sxm4-80gb"),
        "RTX 2080Ti" | "RTX 2080Ti NVLink" => Ok("nvidia-rtx-2080-ti"),
        "RTX 3070" => Ok("nvidia-rtx-3070"),
        "RTX 3080" => Ok("nvidia-rtx-3080"),
        "RTX 3090" => Ok("nvidia-rtx-3090"),
        "RTX 4090" => Ok("nvidia-rtx-4090"),
        "RTX A40" | "A40" => Ok("nvidia-a40"),
        "RTX A5000" => Ok("nvidia-rtx-a5000"),
        "RTX A6000" => Ok("nvidia-rtx-a6000"),
        "RTX 6000" => Ok("nvidia-quadro-rtx-6000"),
        "RTX 6000 Ada" => Ok("nvidia-rtx-6000-ada"),
        "GTX 1080Ti" => Ok("nvidia-gtx-1080-ti"),
        "A10" => Ok("nvidia-a10"),
        "H100 80GB SXM5" => Ok("nvidia-h100-sxm"),
        "H100 80GB PCIe Gen5" => Ok("nvidia-h100-pcie"),
        "V100 32GB" => v100("nvidia-v100-pcie-32gb", "nvidia-v100-sxm2-32gb"),
        "V100 16GB" => v100("nvidia-v100-pcie-16gb", "nvidia-v100-sxm2-16gb"),
        "p3.8xlarge" | "p3.16xlarge" => Ok("nvidia-v100-sxm2-16gb"),
        s if s.contains("Max-Q") || s.contains("MAX-Q") => Err("laptop GPU"),
        _ => Err("no catalogue GPU"),
    }
}

/// GPU id and count of a Lambda v2 host label (`LambdaOD_2x_Texas_1xH100_80GB_SXM5_…_v2`: 1 GPU).
pub fn lambda_v2_gpu(label: &str) -> Result<(&'static str, u32), &'static str> {
    if label.ends_with("_bk") {
        return Err("backup copy of another row");
    }
    let parts: Vec<&str> = label.split('_').collect();
    for (i, p) in parts.iter().enumerate() {
        let Some((n, model)) = p.split_once('x') else { continue };
        let Ok(n) = n.parse::<u32>() else { continue };
        let mem = parts.get(i + 1).copied().unwrap_or("");
        let form = parts.get(i + 2).copied().unwrap_or("");
        let id = match (model, mem, form) {
            ("H100", "80GB", "SXM5") => "nvidia-h100-sxm",
            ("H100", "80GB", "PCIe") => "nvidia-h100-pcie",
            // Lambda Scalar hosts report NVIDIA_H200_NVL (the PCIe card); only LambdaBM reports NVIDIA_H200.
            ("H200", _, _) if label.starts_with("LambdaBM") => "nvidia-h200-sxm",
            ("H200", _, _) => "nvidia-h200-nvl",
            ("GH200", "96GB", _) => "nvidia-gh200",
            ("GH200", _, _) => return Err("GH200 80 GB variant not in the catalogue"),
            ("B200", _, _) => "nvidia-b200",
            _ => continue,
        };
        return Ok((id, n));
    }
    Err("no GPU token in the label")
}

/// The catalogue GPU of a NeuSight folder (`torch.cuda.get_device_name()` with `_` for spaces).
pub fn neusight_gpu(folder: &str) -> Result<&'static str, &'static str> {
    match folder {
        "NVIDIA_H100_80GB_HBM3" => Ok("nvidia-h100-sxm"),
        "NVIDIA_A100_80GB_PCIe" => Ok("nvidia-a100-pcie-80gb"),
        "NVIDIA_A100-SXM4-40GB" => Ok("nvidia-a100-sxm4-40gb"),
        "NVIDIA_L4" => Ok("nvidia-l4"),
        "Tesla_V100-PCIE-32GB" => Ok("nvidia-v100-pcie-32gb"),
        "AMD_Instinct_MI100" => Ok("amd-mi100"),
        "AMD_Instinct_MI210" => Ok("amd-mi210"),
        "AMD_Instinct_MI250" => Err("MI250 (not MI250X) not in the catalogue"),
        _ => Err("no catalogue GPU"),
    }
}

/// The catalogue GPU of an MLPerf `accelerator_model_name`.
pub fn mlperf_gpu(name: &str) -> Result<&'static str, &'static str> {
    let n: String = name.to_ascii_lowercase().chars().filter(char::is_ascii_alphanumeric).collect();
    let id = if n.starts_with("nvidiah100sxm") && n.contains("80gb") {
        "nvidia-h100-sxm"
    } else if n.starts_with("nvidiah100pcie") {
        "nvidia-h100-pcie"
    } else if n.starts_with("nvidiaa100pcie80gb") {
        "nvidia-a100-pcie-80gb"
    } else if n.starts_with("nvidiaa100sxm") && n.contains("40gb") {
        "nvidia-a100-sxm4-40gb"
    } else if n.starts_with("nvidiaa100sxm") && n.contains("80gb") {
        "nvidia-a100-sxm4-80gb"
    } else if n == "nvidial40" {
        "nvidia-l40"
    } else if n == "nvidial40s" {
        "nvidia-l40s"
    } else if n == "nvidial4" {
        "nvidia-l4"
    } else if n.starts_with("nvidiaa30") {
        "nvidia-a30"
    } else if n == "nvidiaa10g" {
        "nvidia-a10g"
    } else if n == "nvidiaa40" {
        "nvidia-a40"
    } else if n == "nvidiartxa5000" {
        "nvidia-rtx-a5000"
    } else {
        return Err("no catalogue GPU");
    };
    Ok(id)
}

/// Lambda's `fp32` is TF32 tensor math on Ampere and newer (NGC containers), true FP32 before.
fn lambda_precision(precision: &str, gpu: &str, catalog: &Catalog) -> Precision {
    if precision == "fp16" {
        return Precision::Fp16;
    }
    let tf32 = catalog.gpu(gpu).is_some_and(|g| {
        g.tf32_tensor_tflops.is_some()
            || ["Ampere", "Ada Lovelace", "Hopper", "Blackwell"].iter().any(|a| g.architecture.starts_with(a))
    });
    if tf32 {
        Precision::Tf32
    } else {
        Precision::Fp32
    }
}

/// Lambda model column → workload id (the columns whose FLOPs per sample are known).
fn lambda_workload(column: &str) -> Option<&'static str> {
    match column {
        "resnet50" => Some("resnet50-imagenet"),
        "bert_base_squad" => Some("bert-base-squad-384"),
        "bert_large_squad" => Some("bert-large-squad-384"),
        _ => None,
    }
}

const LAMBDA_NOTE: &str = "steady-state rate over a short benchmark window (synthetic input for ResNet-50); excludes evaluation and most input-pipeline cost";
const NEUSIGHT_NOTE: &str =
    "forward + backward step time (optimizer step, loss and data loading not timed); FP32 with TF32 off";
const MLPERF_NOTE: &str = "samples to reach the quality target ÷ wall-clock time to train (evaluation included); precision chosen by each submitter (BF16/FP16/FP8), not recorded";

fn lambda_rows(
    src: &BenchSources<'_>,
    catalog: &Catalog,
    out: &mut Vec<Raw>,
    skipped: &mut BTreeMap<(String, String), usize>,
) -> Result<usize, ImportError> {
    let mut n_raw = 0;
    let mut v2_batch: BTreeMap<(String, String, String), u32> = BTreeMap::new();
    if let Some(text) = src.lambda_v2_batches {
        for row in Table::parse("lambda/v2/batch-sizes.csv", text)?.rows() {
            if let Some(b) = row.opt_num::<u32>("batch_size")? {
                v2_batch.insert(
                    (row.text("gpu_config")?.into(), row.text("model")?.into(), row.text("precision")?.into()),
                    b,
                );
            }
        }
    }
    for (gen, precision, text, batch_text) in &src.lambda {
        let file = format!("lambda/{gen}/{precision}");
        let table = Table::parse(&file, text)?;
        let batches = batch_text.map(|t| Table::parse(&format!("{file} batch sizes"), t)).transpose()?;
        let batch_of = |label: &str, column: &str| -> Option<u32> {
            let b = batches.as_ref()?;
            let row = b.rows().find(|r| r.opt_text("name_gpu") == Some(label))?;
            row.positive(column).ok().flatten().map(|v| v.round() as u32)
        };
        let label_col = if *gen == "v2" { "" } else { "name_gpu" };
        for row in table.rows() {
            let label = row.text(label_col)?.to_string();
            let gpu = if *gen == "v2" {
                lambda_v2_gpu(&label)
            } else {
                let n = row.positive("num_gpu")?.unwrap_or(1.0);
                let watt = row.positive("watt")?.map(|w| w / n);
                lambda_gpu(&label, watt).map(|g| (g, n.round() as u32))
            };
            for column in ["resnet50", "bert_base_squad", "bert_large_squad"] {
                // `0` means not run or failed: unknown, not zero.
                let Some(v) = row.opt_num::<f64>(column)?.filter(|v| *v > 0.0) else { continue };
                n_raw += 1;
                let (gpu_id, n_gpus) = match gpu {
                    Ok(g) => g,
                    Err(why) => {
                        skip(skipped, format!("lambda {gen}: {}", lambda_base(&label)), why);
                        continue;
                    }
                };
                let workload = lambda_workload(column).expect("listed above");
                let spec = SPECS.iter().find(|s| s.id == workload).expect("workload listed in SPECS");
                let batch = if *gen == "v2" {
                    v2_batch.get(&(label.clone(), column.to_string(), precision.to_string())).copied()
                } else {
                    batch_of(&label, column)
                };
                let per_sample = spec.seq_len.map_or(1.0, f64::from);
                out.push(Raw {
                    key: (
                        format!("lambda-{gen}"),
                        gpu_id.into(),
                        n_gpus,
                        workload.into(),
                        lambda_precision(precision, gpu_id, catalog),
                        batch,
                    ),
                    samples_per_s: v * per_sample,
                    minutes: None,
                    tuning: Tuning::Typical,
                    precision_recorded: true,
                    upstream: format!(
                        "pytorch-train-throughput{}-{precision}.csv \"{label}\" {column}",
                        if *gen == "v2" { "-v2" } else { "" }
                    ),
                    note: Some(LAMBDA_NOTE),
                });
            }
        }
    }
    Ok(n_raw)
}

/// Counts a skipped measurement under its label and reason.
fn skip(skipped: &mut BTreeMap<(String, String), usize>, label: String, why: &str) {
    *skipped.entry((label, why.to_string())).or_default() += 1;
}

fn neusight_rows(
    text: &str,
    out: &mut Vec<Raw>,
    skipped: &mut BTreeMap<(String, String), usize>,
) -> Result<usize, ImportError> {
    let mut n_raw = 0;
    for row in Table::parse("neusight/train-latency.csv", text)?.rows() {
        n_raw += 1;
        let folder = row.text("gpu_folder")?;
        let model = row.text("model")?;
        let workload = match model {
            "bert_large" => "bert-large-512",
            "gpt2_large" => "gpt2-large-1024",
            "gpt3_xl" => "gpt-24l-3072d-2048",
            "gpt3_27" => "gpt3-2.7b-2048",
            "opt_13" => "opt-1.3b-2048",
            _ => {
                skip(skipped, format!("neusight: {model}"), "mixture of experts: FLOPs per token not derived");
                continue;
            }
        };
        let parallelism = row.text("parallelism")?;
        if !matches!(parallelism, "none" | "dp4") {
            skip(skipped, format!("neusight: {parallelism}"), "tensor/pipeline parallel, not data parallel");
            continue;
        }
        let gpu = match neusight_gpu(folder) {
            Ok(g) => g,
            Err(why) => {
                skip(skipped, format!("neusight: {folder}"), why);
                continue;
            }
        };
        let seq = row.required_positive("seq_len")?;
        let batch = row.required_positive("batch")?;
        let ms = row.required_positive("e2e_latency_ms")?;
        let n_gpus = row.opt_num::<u32>("n_gpus")?.unwrap_or(1);
        let spec = SPECS.iter().find(|s| s.id == workload).expect("workload listed in SPECS");
        if spec.seq_len != Some(seq as u32) {
            return Err(row.invalid("seq_len", &seq.to_string(), "differs from the workload's sequence length"));
        }
        out.push(Raw {
            key: ("neusight".into(), gpu.into(), n_gpus, workload.into(), Precision::Fp32, Some(batch as u32)),
            samples_per_s: batch * seq / (ms / 1000.0),
            minutes: None,
            tuning: Tuning::Typical,
            precision_recorded: true,
            upstream: format!("train-latency.csv {}", row.text("source_file")?),
            note: Some(NEUSIGHT_NOTE),
        });
    }
    Ok(n_raw)
}

fn mlperf_rows(
    text: &str,
    out: &mut Vec<Raw>,
    skipped: &mut BTreeMap<(String, String), usize>,
) -> Result<usize, ImportError> {
    let mut n_raw = 0;
    for row in Table::parse("mlperf/training-v3.0-v3.1-runs.csv", text)?.rows() {
        let benchmark = row.text("benchmark")?;
        let workload = match benchmark {
            "resnet" => "mlperf-resnet50",
            "bert" => "mlperf-bert-large-512",
            "gpt3" => "mlperf-gpt3-175b",
            _ => continue,
        };
        if row.text("division")? != "closed" {
            continue;
        }
        n_raw += 1;
        let accel = row.text("accelerator_model_name")?;
        let gpu = match mlperf_gpu(accel) {
            Ok(g) => g,
            Err(why) => {
                skip(skipped, format!("mlperf: {accel}"), why);
                continue;
            }
        };
        let (Some(samples), Some(minutes)) = (row.positive("samples_to_converge")?, row.positive("run_minutes")?)
        else {
            skip(skipped, format!("mlperf: {benchmark}"), "no samples to converge");
            continue;
        };
        let spec = SPECS.iter().find(|s| s.id == workload).expect("workload listed in SPECS");
        // BERT counts sequences of 512 tokens; GPT-3 counts tokens already.
        let per_sample = if benchmark == "bert" { spec.seq_len.map_or(1.0, f64::from) } else { 1.0 };
        let n = row.required_positive("n_accelerators")?;
        out.push(Raw {
            key: ("mlperf-training-v3".into(), gpu.into(), n as u32, workload.into(), Precision::Bf16, None),
            samples_per_s: samples * per_sample / (minutes * 60.0),
            minutes: Some(minutes),
            tuning: Tuning::Tuned,
            precision_recorded: false,
            upstream: format!(
                "{} {} {} {}",
                row.text("version")?,
                row.text("submitter")?,
                row.text("system")?,
                benchmark
            ),
            note: Some(MLPERF_NOTE),
        });
    }
    Ok(n_raw)
}

/// Imports every source given into one benchmark set.
pub fn benchmarks_from_sources(
    src: &BenchSources<'_>,
    catalog: &Catalog,
    data_version: &str,
) -> Result<BenchImport, ImportError> {
    let mut raw = Vec::new();
    let mut skipped = BTreeMap::new();
    let mut n_raw = lambda_rows(src, catalog, &mut raw, &mut skipped)?;
    if let Some(t) = src.neusight {
        n_raw += neusight_rows(t, &mut raw, &mut skipped)?;
    }
    if let Some(t) = src.mlperf {
        n_raw += mlperf_rows(t, &mut raw, &mut skipped)?;
    }
    let mut groups: BTreeMap<_, Vec<Raw>> = BTreeMap::new();
    for r in raw {
        groups.entry(r.key.clone()).or_default().push(r);
    }
    let rows: Vec<BenchRow> = groups
        .into_iter()
        .map(|((source, gpu_id, n_gpus, workload, precision, batch), group)| {
            let values: Vec<f64> = group.iter().map(|r| r.samples_per_s).collect();
            let minutes: Vec<f64> = group.iter().filter_map(|r| r.minutes).collect();
            let first = &group[0];
            let upstream = if group.len() == 1 {
                first.upstream.clone()
            } else {
                format!("median of {} rows, e.g. {}", group.len(), first.upstream)
            };
            BenchRow {
                source,
                gpu_id,
                n_gpus,
                workload,
                precision,
                precision_recorded: first.precision_recorded,
                tuning: first.tuning,
                batch,
                samples_per_s: round_sig(median(values).unwrap_or(first.samples_per_s), 5),
                n_measurements: group.len() as u32,
                run_minutes: median(minutes).map(|m| round_sig(m, 4)),
                upstream,
                note: first.note.map(Into::into),
            }
        })
        .collect();
    let mut workloads = Vec::new();
    for spec in &SPECS {
        if rows.iter().any(|r| r.workload == spec.id) {
            let w = workload_of(spec, catalog)
                .map_err(|reason| ImportError::Csv { file: "workloads".into(), message: reason })?;
            workloads.push(w);
        }
    }
    let set = BenchmarkSet {
        header: DataHeader {
            schema_version: BENCH_SCHEMA_VERSION,
            data_version: data_version.into(),
            generated_by: GENERATED_BY.into(),
            sources: sources(),
        },
        workloads,
        rows,
    };
    Ok(BenchImport { set: Some(set), skipped, n_raw })
}

/// `x` to `digits` significant digits (the sources give 3–6; the file should not invent more).
pub(crate) fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_labels_map_to_catalogue_gpus() {
        // (label, watt per GPU, expected)
        let cases = [
            ("LambdaCloud 2x V100 16GB", Some(300.0), Ok("nvidia-v100-sxm2-16gb")),
            ("V100 32GB", Some(250.0), Ok("nvidia-v100-pcie-32gb")),
            ("Dell 8x H100 80GB SXM5", None, Ok("nvidia-h100-sxm")),
            ("Lambda Cloud — 4x RTX 6000", None, Ok("nvidia-quadro-rtx-6000")),
            ("RTX 6000 Ada", None, Ok("nvidia-rtx-6000-ada")),
            ("RTX 3080 Max-Q", None, Err("laptop GPU")),
            ("RTX 8000", None, Err("no catalogue GPU")),
        ];
        for (label, watt, want) in cases {
            assert_eq!(lambda_gpu(label, watt), want, "{label}");
        }
    }

    #[test]
    fn lambda_v2_labels_give_gpu_and_count() {
        assert_eq!(lambda_v2_gpu("LambdaOD_8x_Texas_2xH100_80GB_SXM5_192-222-52-89_v2"), Ok(("nvidia-h100-sxm", 2)));
        assert_eq!(lambda_v2_gpu("ASUS_8xH200_140GB_SXM_lambda-scalar_v2"), Ok(("nvidia-h200-nvl", 8)));
        assert_eq!(lambda_v2_gpu("LambdaBM_ENG04_1xH200_140GB_SXM_h200_v2"), Ok(("nvidia-h200-sxm", 1)));
        assert_eq!(
            lambda_v2_gpu("LambdaOD_1x_Test_1xGH200_96GB_192-222-56-184_v2_bk"),
            Err("backup copy of another row")
        );
    }

    #[test]
    fn mlperf_names_are_normalised() {
        assert_eq!(mlperf_gpu("NVIDIA H100-SXM5-80GB"), Ok("nvidia-h100-sxm"));
        assert_eq!(mlperf_gpu("NVIDIA A100 - PCIe - 80 GB"), Ok("nvidia-a100-pcie-80gb"));
        assert_eq!(mlperf_gpu("NVIDIA H100-SXM5-96GB"), Err("no catalogue GPU"));
        assert_eq!(mlperf_gpu("Habana Gaudi2"), Err("no catalogue GPU"));
    }

    const V1_FP16: &str = "name_gpu,num_gpu,watt,price,ssd,bert_base_squad,bert_large_squad,gnmt,ncf,resnet50,tacotron2,transformerxlbase,transformerxllarge,waveglow
RTX 3090,1.0,350.0,1500.0,200.0,100.0,30.0,1.0,1.0,900.0,1.0,1.0,1.0,1.0
Dell H100 80GB SXM5,1.0,700.0,30000.0,900.0,800.0,0.0,1.0,1.0,3000.0,1.0,1.0,1.0,1.0
SMC H100 80GB SXM5,1.0,700.0,30000.0,900.0,600.0,0.0,1.0,1.0,2800.0,1.0,1.0,1.0,1.0
Quadro RTX 8000,1.0,260.0,6000.0,182.0,146.0,50.0,1.0,1.0,651.0,1.0,1.0,1.0,1.0
";
    const V1_BS_FP16: &str = "name_gpu,num_gpu,watt,price,ssd,bert_base_squad,bert_large_squad,gnmt,ncf,resnet50,tacotron2,transformerxlbase,transformerxllarge,waveglow
RTX 3090,1.0,350.0,1500.0,64,32,8,1,1,256,1,1,1,1
";
    const V2_FP32: &str = ",ssd,bert_base_squad,bert_large_squad,gnmt,resnet50,tacotron2,waveglow
LambdaOD_2x_Texas_2xH100_80GB_SXM5_192-222-52-65_v2,1.0,2000.0,0,1.0,3600.0,1.0,1.0
";
    const V2_BATCHES: &str = "gpu_config,model,precision,batch_size,num_gpu
LambdaOD_2x_Texas_2xH100_80GB_SXM5_192-222-52-65_v2,resnet50,fp32,512,2
";
    const NEUSIGHT: &str = "gpu_folder,model,seq_len,batch,parallelism,n_gpus,e2e_latency_ms,fw_latency_ms,bwall_latency_ms,num_layer,source_file
NVIDIA_L4,gpt2_large,1024,4,none,1,2000,700,1300,36,NVIDIA_L4/gpt2_large-train-1024-4.json
NVIDIA_H100_80GB_HBM3,gpt2_large,1024,16,tp4,4,100,,,,NVIDIA_H100_80GB_HBM3/gpt2_large-train-1024-16-tp4.json
";
    const MLPERF: &str = "version,division,availability,submitter,system,benchmark,accelerator_model_name,number_of_nodes,accelerators_per_node,n_accelerators,framework,run_file,run_minutes,global_batch_size,gradient_accumulation_steps,max_sequence_length,train_samples_logged,samples_per_epoch_logged,last_eval_epoch_num,last_eval_step_num,run_stop_epoch_meta,epochs_to_converge,samples_to_converge,sample_unit,samples_rule
v3.1,closed,available,X,sys,resnet,NVIDIA H100-SXM5-80GB,1,8,8,f,result_0.txt,10,3000,1,,1281167,,35,,,,44840845,images,r
v3.1,closed,available,Y,sys2,resnet,NVIDIA H100-SXM5-80GB,1,8,8,f,result_0.txt,20,3000,1,,1281167,,35,,,,44840845,images,r
v3.1,open,available,Z,sys3,resnet,NVIDIA H100-SXM5-80GB,1,8,8,f,result_0.txt,1,3000,1,,1281167,,35,,,,44840845,images,r
";

    #[test]
    fn fixture_tables_become_rows_with_units_medians_and_skips() {
        let catalog = Catalog::embedded().unwrap();
        let src = BenchSources {
            lambda: vec![("v1", "fp16", V1_FP16, Some(V1_BS_FP16)), ("v2", "fp32", V2_FP32, None)],
            lambda_v2_batches: Some(V2_BATCHES),
            neusight: Some(NEUSIGHT),
            mlperf: Some(MLPERF),
        };
        let imp = benchmarks_from_sources(&src, &catalog, "9").unwrap();
        let set = imp.set.unwrap();
        let row = |source: &str, gpu: &str, wl: &str| {
            set.rows.iter().find(|r| r.source == source && r.gpu_id == gpu && r.workload == wl).unwrap()
        };
        // BERT-base: 100 sequences/s × 384 tokens.
        let b = row("lambda-v1", "nvidia-rtx-3090", "bert-base-squad-384");
        assert_eq!((b.samples_per_s, b.batch, b.precision), (38_400.0, Some(32), Precision::Fp16));
        // Two H100 hosts collapse to their median; `0` (not run) is skipped, not zero.
        let h = row("lambda-v1", "nvidia-h100-sxm", "resnet50-imagenet");
        assert_eq!((h.samples_per_s, h.n_measurements), (2900.0, 2));
        assert!(!set.rows.iter().any(|r| r.gpu_id == "nvidia-h100-sxm" && r.workload == "bert-large-squad-384"));
        // v2: the GPU count comes from the label; fp32 on Hopper is TF32; the batch from batch-sizes.csv.
        let v2 = row("lambda-v2", "nvidia-h100-sxm", "resnet50-imagenet");
        assert_eq!((v2.n_gpus, v2.precision, v2.batch), (2, Precision::Tf32, Some(512)));
        // NeuSight: batch × seq ÷ step time; tensor-parallel rows skipped.
        let n = row("neusight", "nvidia-l4", "gpt2-large-1024");
        assert_eq!(n.samples_per_s, 4.0 * 1024.0 / 2.0);
        // MLPerf: closed division only, median over submitters, tuned.
        let m = row("mlperf-training-v3", "nvidia-h100-sxm", "mlperf-resnet50");
        assert_eq!((m.tuning, m.n_measurements, m.n_gpus), (Tuning::Tuned, 2, 8));
        // The median of 10 and 20 minutes' throughputs (two runs: their mean), to 5 significant digits.
        let want = (44_840_845.0 / 600.0 + 44_840_845.0 / 1200.0) / 2.0;
        assert!((m.samples_per_s - want).abs() < 1.0, "{} vs {want}", m.samples_per_s);
        assert_eq!(imp.skipped.get(&("lambda v1: Quadro RTX 8000".into(), "no catalogue GPU".into())), Some(&3));
        assert!(imp.skipped.keys().any(|(l, _)| l == "neusight: tp4"));
        // Every row's workload states its unit and FLOPs.
        for r in &set.rows {
            let w = set.workload(&r.workload).unwrap();
            assert!(w.forward_gflops > 0.0);
            assert_eq!(w.seq_len.is_some(), w.sample_unit == SampleUnit::Token, "{}", w.id);
        }
        let text = serde_json::to_string(&set).unwrap();
        BenchmarkSet::from_json(&text).unwrap();
    }

    #[test]
    fn transformer_flops_follow_the_stated_convention() {
        // GPT-3 175B at 2,048 tokens: 2 × 174.6e9 + 2 × 96 × 2048 × 12288 = 349.2e9 + 4.83e9 ≈ 354 GFLOPs per token.
        let p = gpt_params(96, 12288, 50257, 2048);
        assert!((p / 1e9 - 174.6).abs() < 0.1, "{p}");
        let g = lm_forward_gflops(p, 96, 12288, 2048);
        assert!((g - 354.0).abs() < 0.5, "{g}");
    }
}
