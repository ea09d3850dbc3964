//! Builds `data/benchmarks/timm.json` from timm's (huggingface/pytorch-image-models) training benchmark
//! tables: ~830 ImageNet classifiers trained on one RTX 3090 with AMP (PyTorch 1.12, CUDA 11.3), in the
//! NCHW and the channels-last (NHWC) memory layout. Pure functions over CSV text.
//!
//! - One workload per (model, training image size). Forward GFLOPs per image = 2 × `infer_gmacs` of the
//!   same model in timm's RTX 3090 inference table, taken at the training size where that table has it,
//!   else at its nearest size and scaled by (train size ÷ inference size)² (the workload's `flops_note`
//!   says so; for attention models the quadratic attention term makes this a slight underestimate).
//!   Activations per image (`infer_macts`, millions: what a layer writes and the next reads back) come from
//!   the same row, scaled the same way: memory traffic per FLOP, which sets how near its peak a GPU runs.
//! - The training tables (2022) use model names that timm has since renamed into `arch.pretrained_tag`
//!   form; the inference table (2024) uses the new names. [`gmacs_candidates`] lists the names a model
//!   may have there (weight-source prefixes and tags removed, a few explicit renames), and a candidate is
//!   only taken when its parameter count agrees within 1 % (the same network). A model with no candidate,
//!   or no GMACs, is skipped and counted.
//! - Both layouts are kept, as two sources (`timm-nchw`, `timm-nhwc`) with one row each per workload; a
//!   user gets the faster one, so each row's note says whether it is the faster or the slower layout.
//! - Every workload carries a `family` (`cnn`, `vit`, `hybrid`, `mlp`, `rnn`) from the model name
//!   ([`timm_family`]): `model_metadata-in1k.csv` has no architecture flags at this commit (only
//!   `model,pretrain`), so it is not read.

use std::collections::{BTreeMap, BTreeSet};

use estimator::bench::{BenchRow, BenchWorkload, BenchmarkSet, Tuning, BENCH_SCHEMA_VERSION};
use estimator::catalog::{DataHeader, SampleUnit, SourceRef};
use estimator::{Catalog, Precision};

use super::bench::round_sig;
use super::{ImportError, Table};

/// The command recorded in `generated_by`.
pub const GENERATED_BY: &str = "wattcast import timm";

/// Upstream commit the tables were copied from.
pub const COMMIT: &str = "aa4b5850c1543fa488abf260f18390eda46cf85d";

/// The one GPU of every timm training row.
pub const GPU_ID: &str = "nvidia-rtx-3090";

/// File names, as in upstream's `results/` folder (and in `../shared/bench-data/timm/`).
pub const TRAIN_NCHW: &str = "benchmark-train-amp-nchw-pt112-cu113-rtx3090.csv";
/// The channels-last training table.
pub const TRAIN_NHWC: &str = "benchmark-train-amp-nhwc-pt112-cu113-rtx3090.csv";
/// The RTX 3090 inference table, read for its GMACs only.
pub const INFER_RTX3090: &str = "benchmark-infer-amp-nchw-pt240-cu124-rtx3090.csv";

/// Largest relative difference of parameter counts for a renamed model to count as the same network.
const PARAMS_TOLERANCE: f64 = 0.01;

/// The source tables, as text.
pub struct TimmSources<'a> {
    /// [`TRAIN_NCHW`].
    pub train_nchw: &'a str,
    /// [`TRAIN_NHWC`].
    pub train_nhwc: &'a str,
    /// [`INFER_RTX3090`].
    pub infer_rtx3090: &'a str,
}

/// What an import produced besides the file.
#[derive(Debug, Clone, PartialEq)]
pub struct TimmImport {
    /// The data file.
    pub set: BenchmarkSet,
    /// Models skipped (no FLOPs), with why; each once, whichever layouts measured it.
    pub skipped: Vec<(String, String)>,
    /// Models whose GMACs came under another name in the inference table: (training name, inference name).
    pub renamed: Vec<(String, String)>,
    /// Workloads whose FLOPs were scaled from another image size.
    pub n_scaled: usize,
    /// Models the family table does not know (their workloads carry no `family`).
    pub unknown_family: Vec<String>,
    /// Training rows read (both layouts).
    pub n_raw: usize,
}

/// One row of the inference table.
struct InferRow {
    px: u32,
    params_m: f64,
    gmacs: Option<f64>,
    macts: Option<f64>,
}

/// Where a workload's FLOPs came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Flops {
    /// Forward GFLOPs per image at the training size.
    pub forward_gflops: f64,
    /// The inference table's model name.
    pub infer_model: String,
    /// The inference table's image size.
    pub infer_px: u32,
    /// `infer_gmacs` there.
    pub gmacs: f64,
    /// Activations per image at the training size, millions: `infer_macts` of the same row scaled as the
    /// GMACs are (absent where the table leaves it empty).
    pub activations_m: Option<f64>,
}

/// Weight-source prefixes of timm's pre-0.9 names (`tv_resnet50` = torchvision's weights on `resnet50`).
const WEIGHT_PREFIXES: [&str; 7] = ["ens_adv_", "adv_", "tv_", "gluon_", "ssl_", "swsl_", "ig_"];

/// Name tokens that mark pretrained weights, not the network (`_in22ft1k`, `_ns`, `_dist`, …).
const WEIGHT_TAGS: [&str; 11] =
    ["in22ft1k", "in21ft1k", "22kft1k", "distilled", "dist", "miil", "sam", "ap", "ns", "teacher", "bitm"];

/// Renames no rule covers (old name → name in the inference table); each is still checked by parameters.
const RENAMED: [(&str, &str); 15] = [
    ("jx_nest_base", "nest_base_jx"),
    ("jx_nest_small", "nest_small_jx"),
    ("jx_nest_tiny", "nest_tiny_jx"),
    ("mnasnet_a1", "semnasnet_100"),
    ("mnasnet_b1", "mnasnet_100"),
    ("xception", "legacy_xception"),
    ("vit_base_resnet50_384", "vit_base_r50_s16_384"),
    ("regnetz_040h", "regnetz_040_h"),
    ("regnety_040s_gn", "regnety_040_sgn"),
    ("seresnext26tn_32x4d", "seresnext26t_32x4d"),
    ("efficientnet_b2a", "efficientnet_b2"),
    ("efficientnet_b3a", "efficientnet_b3"),
    ("tf_inception_v3", "inception_v3"),
    ("convnext_tiny_hnfd", "convnext_tiny_hnf"),
    // Head-norm-first variant of convnext_nano: the same layers and parameters, the norm moved.
    ("convnext_nano_hnf", "convnext_nano"),
];

/// Names a training-table model may have in the inference table, most specific first: the name itself,
/// an explicit rename, then the name without its weight-source prefix, weight tags (`bitm` → `bit`),
/// Gluon's ResNet variant suffix (`_v1b` → ``, `_v1c` → `c`, …) and a trailing image size.
pub fn gmacs_candidates(model: &str) -> Vec<String> {
    let mut out = vec![model.to_string()];
    if let Some((_, new)) = RENAMED.iter().find(|(old, _)| *old == model) {
        out.push((*new).to_string());
    }
    let base = WEIGHT_PREFIXES.iter().find_map(|p| model.strip_prefix(p)).unwrap_or(model);
    let tokens: Vec<&str> = base
        .split('_')
        .filter_map(|t| match t {
            "bitm" => Some("bit"),
            t if WEIGHT_TAGS.contains(&t) => None,
            t => Some(t),
        })
        .collect();
    let mut stripped = tokens.join("_");
    for (suffix, variant) in [("_v1b", ""), ("_v1c", "c"), ("_v1d", "d"), ("_v1s", "s")] {
        if let Some(stem) = stripped.strip_suffix(suffix) {
            stripped = format!("{stem}{variant}");
            break;
        }
    }
    out.push(stripped.clone());
    // A trailing image size (`convnext_base_384`, `tresnet_l_448`): the network without it, at that size.
    if let Some((stem, last)) = stripped.rsplit_once('_') {
        if last.len() == 3 && last.bytes().all(|b| b.is_ascii_digit()) {
            out.push(stem.to_string());
        }
    }
    let mut seen = BTreeSet::new();
    out.retain(|n| seen.insert(n.clone()));
    out
}

/// Forward FLOPs of a training-table model at `train_px` from the inference table, or why there are none.
fn flops_of(
    model: &str,
    params_m: f64,
    train_px: u32,
    infer: &BTreeMap<String, Vec<InferRow>>,
) -> Result<Flops, &'static str> {
    let mut why = "not in the inference table under any known name";
    for name in gmacs_candidates(model) {
        let Some(rows) = infer.get(&name) else { continue };
        let with_gmacs: Vec<&InferRow> = rows.iter().filter(|r| r.gmacs.is_some()).collect();
        if rows.iter().all(|r| (r.params_m / params_m - 1.0).abs() > PARAMS_TOLERANCE) {
            why = "parameter count differs from every inference-table candidate (another network)";
            continue;
        }
        let Some(best) = with_gmacs.into_iter().min_by(|a, b| {
            let d = |r: &InferRow| (f64::from(r.px) / f64::from(train_px)).ln().abs();
            d(a).total_cmp(&d(b))
        }) else {
            why = "no GMACs in the inference table";
            continue;
        };
        let gmacs = best.gmacs.unwrap_or_default();
        let r = f64::from(train_px) / f64::from(best.px);
        let g = 2.0 * gmacs * r * r;
        let exact = |v: f64| if best.px == train_px { v } else { round_sig(v, 4) };
        return Ok(Flops {
            forward_gflops: exact(g),
            infer_model: name,
            infer_px: best.px,
            gmacs,
            activations_m: best.macts.map(|m| exact(m * r * r)),
        });
    }
    Err(why)
}

/// Architecture family by name prefix (after any weight-source prefix): the longest prefix in the table
/// wins (`vit_base_r50` is a hybrid, `vit_base_patch16` a ViT; `eca_botnext` a hybrid, `eca_resnet` a
/// CNN). `cnn`: convolutions only (PoolFormer too: pooling and 1×1 convolutions, no attention); `vit`:
/// attention on patch tokens throughout (Swin, XCiT, CaiT, …); `hybrid`: convolutional stages or blocks
/// with self-attention (BoTNet, HaloNet, LeViT, MobileViT, CoaT, R50+ViT, …); `mlp`: MLP-Mixer family;
/// `rnn`: Sequencer (BiLSTM).
pub const FAMILY_PREFIXES: [(&str, &str); 98] = [
    // Attention inside a convolutional network, or convolutional stages before attention.
    ("bat_resnext", "hybrid"),
    ("botnet", "hybrid"),
    ("sebotnet", "hybrid"),
    ("eca_botnext", "hybrid"),
    ("eca_halonext", "hybrid"),
    ("halo", "hybrid"),
    ("sehalonet", "hybrid"),
    ("lambda_resnet", "hybrid"),
    ("lamhalobotnet", "hybrid"),
    ("coat", "hybrid"),
    ("coatnet", "hybrid"),
    ("levit", "hybrid"),
    ("mobilevit", "hybrid"),
    ("semobilevit", "hybrid"),
    ("edgenext", "hybrid"),
    ("visformer", "hybrid"),
    ("efficientformer", "hybrid"),
    ("efficientvit", "hybrid"),
    ("fastvit", "hybrid"),
    ("maxvit", "hybrid"),
    ("maxxvit", "hybrid"),
    ("vit_base_r26", "hybrid"),
    ("vit_base_r50", "hybrid"),
    ("vit_base_resnet", "hybrid"),
    ("vit_large_r50", "hybrid"),
    ("vit_small_r26", "hybrid"),
    ("vit_small_resnet", "hybrid"),
    ("vit_tiny_r_", "hybrid"),
    // Attention on patch tokens throughout.
    ("vit", "vit"),
    ("deit", "vit"),
    ("beit", "vit"),
    ("eva", "vit"),
    ("cait", "vit"),
    ("convit", "vit"),
    ("crossvit", "vit"),
    ("pit_", "vit"),
    ("tnt_", "vit"),
    ("twins", "vit"),
    ("nest", "vit"),
    ("volo", "vit"),
    ("swin", "vit"),
    ("xcit", "vit"),
    ("davit", "vit"),
    // MLPs over patches, and a recurrent token mixer.
    ("mixer", "mlp"),
    ("gmixer", "mlp"),
    ("gmlp", "mlp"),
    ("resmlp", "mlp"),
    ("sequencer", "rnn"),
    // Convolutional networks.
    ("convnext", "cnn"),
    ("convmixer", "cnn"),
    ("poolformer", "cnn"),
    ("cs3", "cnn"),
    ("cspdarknet", "cnn"),
    ("cspresne", "cnn"),
    ("darknet", "cnn"),
    ("sedarknet", "cnn"),
    ("densenet", "cnn"),
    ("dla", "cnn"),
    ("dpn", "cnn"),
    ("eca_", "cnn"),
    ("ecaresne", "cnn"),
    ("efficientnet", "cnn"),
    ("gc_efficientnet", "cnn"),
    ("ese_vovnet", "cnn"),
    ("vovnet", "cnn"),
    ("fbnet", "cnn"),
    ("gcresne", "cnn"),
    ("gernet", "cnn"),
    ("ghostnet", "cnn"),
    ("hardcorenas", "cnn"),
    ("hrnet", "cnn"),
    ("inception", "cnn"),
    ("xception", "cnn"),
    ("lcnet", "cnn"),
    ("mixnet", "cnn"),
    ("mnasnet", "cnn"),
    ("semnasnet", "cnn"),
    ("spnasnet", "cnn"),
    ("mobilenet", "cnn"),
    ("nasnet", "cnn"),
    ("pnasnet", "cnn"),
    ("nf_", "cnn"),
    ("nfnet", "cnn"),
    ("regnet", "cnn"),
    ("repvgg", "cnn"),
    ("vgg", "cnn"),
    ("res2ne", "cnn"),
    ("resnest", "cnn"),
    ("resnet", "cnn"),
    ("resnext", "cnn"),
    ("wide_resnet", "cnn"),
    ("rexnet", "cnn"),
    ("selecsls", "cnn"),
    ("senet", "cnn"),
    ("seresne", "cnn"),
    ("skresne", "cnn"),
    ("tinynet", "cnn"),
    ("tresnet", "cnn"),
];

/// Prefixes removed before the family lookup (weights or implementation, not the network).
const FAMILY_STRIP: [&str; 11] =
    ["ens_adv_", "adv_", "tv_", "gluon_", "ssl_", "swsl_", "ig_", "tf_", "legacy_", "jx_", "dm_"];

/// The family of a timm model (`cnn`, `vit`, `hybrid`, `mlp`, `rnn`), or `None` for a name the table lacks.
pub fn timm_family(model: &str) -> Option<&'static str> {
    let name = FAMILY_STRIP.iter().find_map(|p| model.strip_prefix(p)).unwrap_or(model);
    FAMILY_PREFIXES.iter().filter(|(p, _)| name.starts_with(p)).max_by_key(|(p, _)| p.len()).map(|(_, family)| *family)
}

/// Catalogue architectures that are the same network with the same weights' definition (torchvision's).
const ARCH_IDS: [(&str, &str); 6] = [
    ("tv_resnet34", "tv-resnet34"),
    ("tv_resnet50", "tv-resnet50"),
    ("tv_resnet101", "tv-resnet101"),
    ("tv_resnet152", "tv-resnet152"),
    ("tv_resnext50_32x4d", "tv-resnext50-32x4d"),
    ("tv_densenet121", "tv-densenet121"),
];

fn sources() -> Vec<SourceRef> {
    let layout = |id: &str, what: &str, file: &str| SourceRef {
        id: id.into(),
        name: format!(
            "timm (pytorch-image-models) training benchmark, {what}: one RTX 3090, AMP (FP16), PyTorch 1.12, \
             CUDA 11.3, synthetic data; FLOPs from the RTX 3090 inference table's GMACs. A row's note says \
             whether its layout was the faster or the slower of the two for that model: a user gets the faster"
        ),
        url: format!("github:huggingface/pytorch-image-models results/{file}, results/{INFER_RTX3090} @{COMMIT}"),
        licence: "Apache-2.0".into(),
        attribution: "Ross Wightman and contributors, PyTorch Image Models (timm), Apache-2.0".into(),
    };
    vec![
        layout("timm-nchw", "NCHW memory layout", TRAIN_NCHW),
        layout("timm-nhwc", "channels-last (NHWC) memory layout", TRAIN_NHWC),
    ]
}

/// One training-table row.
struct TrainRow {
    model: String,
    px: u32,
    batch: u32,
    samples_per_s: f64,
    params_m: f64,
}

fn read_train(file: &str, text: &str) -> Result<Vec<TrainRow>, ImportError> {
    let mut out: Vec<TrainRow> = Vec::new();
    let table = Table::parse(file, text)?;
    table.require_columns(&["model", "train_samples_per_sec", "train_batch_size", "train_img_size", "param_count"])?;
    for row in table.rows() {
        let model = row.text("model")?;
        if out.iter().any(|r| r.model == model) {
            return Err(row.invalid("model", model, "the model appears twice"));
        }
        out.push(TrainRow {
            model: model.to_string(),
            px: row.count("train_img_size")?,
            batch: row.count("train_batch_size")?,
            samples_per_s: row.required_positive("train_samples_per_sec")?,
            params_m: row.required_positive("param_count")?,
        });
    }
    Ok(out)
}

fn read_infer(text: &str) -> Result<BTreeMap<String, Vec<InferRow>>, ImportError> {
    let mut out: BTreeMap<String, Vec<InferRow>> = BTreeMap::new();
    let table = Table::parse(INFER_RTX3090, text)?;
    table.require_columns(&["model", "infer_img_size", "param_count", "infer_gmacs", "infer_macts"])?;
    for row in table.rows() {
        let model = row.text("model")?;
        let r = InferRow {
            px: row.count("infer_img_size")?,
            params_m: row.required_positive("param_count")?,
            gmacs: row.positive("infer_gmacs")?,
            macts: row.positive("infer_macts")?,
        };
        out.entry(model.to_string()).or_default().push(r);
    }
    Ok(out)
}

/// Imports the two training tables into one benchmark set.
pub fn timm_from_sources(
    src: &TimmSources<'_>,
    catalog: &Catalog,
    data_version: &str,
) -> Result<TimmImport, ImportError> {
    if catalog.gpu(GPU_ID).is_none() {
        return Err(ImportError::Csv {
            file: TRAIN_NCHW.into(),
            message: format!("catalogue has no GPU \"{GPU_ID}\""),
        });
    }
    let infer = read_infer(src.infer_rtx3090)?;
    let tables = [
        ("timm-nchw", read_train(TRAIN_NCHW, src.train_nchw)?),
        ("timm-nhwc", read_train(TRAIN_NHWC, src.train_nhwc)?),
    ];
    let n_raw = tables.iter().map(|(_, t)| t.len()).sum();
    // Workloads: one per (model, size), from whichever layout lists the model first.
    let mut workloads: BTreeMap<String, BenchWorkload> = BTreeMap::new();
    let mut skipped: BTreeMap<String, String> = BTreeMap::new();
    let mut renamed = Vec::new();
    let mut unknown_family = Vec::new();
    let mut n_scaled = 0;
    for (_, table) in &tables {
        for r in table {
            let id = workload_id(&r.model, r.px);
            if workloads.contains_key(&id) || skipped.contains_key(&r.model) {
                continue;
            }
            let f = match flops_of(&r.model, r.params_m, r.px, &infer) {
                Ok(f) => f,
                Err(why) => {
                    skipped.insert(r.model.clone(), why.to_string());
                    continue;
                }
            };
            let mut note = String::from("2 × timm GMACs");
            if f.infer_model != r.model {
                note += &format!(" of {}", f.infer_model);
                renamed.push((r.model.clone(), f.infer_model.clone()));
            }
            note += &format!(" at {} px", f.infer_px);
            if f.infer_px != r.px {
                note += &format!(" × ({}/{})²", r.px, f.infer_px);
                n_scaled += 1;
            }
            let family = timm_family(&r.model);
            if family.is_none() {
                unknown_family.push(r.model.clone());
            }
            workloads.insert(
                id.clone(),
                BenchWorkload {
                    id,
                    name: format!("timm {} at {} px", r.model, r.px),
                    arch_id: ARCH_IDS.iter().find(|(m, _)| *m == r.model).map(|(_, a)| (*a).to_string()),
                    sample_unit: SampleUnit::Image,
                    seq_len: None,
                    input_px: Some(r.px),
                    params_m: r.params_m,
                    forward_gflops: f.forward_gflops,
                    flops_note: note,
                    family: family.map(Into::into),
                    activations_m: f.activations_m,
                },
            );
        }
    }
    // Rows: each layout's measurement, marked faster or slower than the other layout's.
    let speed = |source: &str, model: &str| {
        tables
            .iter()
            .find(|(s, _)| *s == source)
            .and_then(|(_, t)| t.iter().find(|r| r.model == model))
            .map(|r| r.samples_per_s)
    };
    let mut rows = Vec::new();
    for (source, table) in &tables {
        let other = if *source == "timm-nchw" { "timm-nhwc" } else { "timm-nchw" };
        for r in table {
            let workload = workload_id(&r.model, r.px);
            if !workloads.contains_key(&workload) {
                continue;
            }
            let note =
                speed(other, &r.model).map(|o| if r.samples_per_s >= o { "faster layout" } else { "slower layout" });
            rows.push(BenchRow {
                source: (*source).to_string(),
                gpu_id: GPU_ID.into(),
                n_gpus: 1,
                workload,
                precision: Precision::Fp16,
                precision_recorded: true,
                tuning: Tuning::Typical,
                batch: Some(r.batch),
                samples_per_s: r.samples_per_s,
                n_measurements: 1,
                run_minutes: None,
                upstream: r.model.clone(),
                note: note.map(Into::into),
            });
        }
    }
    rows.sort_by(|a, b| (&a.workload, &a.source).cmp(&(&b.workload, &b.source)));
    let set = BenchmarkSet {
        header: DataHeader {
            schema_version: BENCH_SCHEMA_VERSION,
            data_version: data_version.into(),
            generated_by: GENERATED_BY.into(),
            sources: sources(),
        },
        workloads: workloads.into_values().collect(),
        rows,
    };
    Ok(TimmImport { set, skipped: skipped.into_iter().collect(), renamed, n_scaled, unknown_family, n_raw })
}

/// `timm-<model>-<px>`.
fn workload_id(model: &str, px: u32) -> String {
    format!("timm-{model}-{px}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NCHW: &str = "model,train_samples_per_sec,train_step_time,train_batch_size,train_img_size,param_count
resnet50,1000.0,256.0,256,224,25.56
tv_resnet50,990.0,258.0,256,224,25.56
resnet18,3000.0,85.0,256,224,11.69
vit_base_patch16_224,300.0,400.0,128,224,86.57
densenet264,200.0,470.0,96,224,72.69
";
    const NHWC: &str = "model,train_samples_per_sec,train_step_time,train_batch_size,train_img_size,param_count
resnet50,1200.0,213.0,256,224,25.56
resnet18,2900.0,88.0,256,224,11.69
vit_base_patch16_224,290.0,440.0,128,224,86.57
";
    const INFER: &str = "model,infer_img_size,infer_samples_per_sec,infer_step_time,infer_batch_size,param_count,infer_gmacs,infer_macts
resnet50,224,3000.0,300.0,1024,25.56,4.11,11.11
resnet50,288,1800.0,500.0,1024,25.56,6.8,18.37
resnet18,160,9000.0,100.0,1024,11.69,0.93,2.0
resnet18,288,4000.0,250.0,1024,11.69,3.01,4.1
vit_base_patch16_224,224,1000.0,1000.0,1024,86.57,16.87,16.49
densenet264d,224,700.0,1466.0,1024,72.74,13.57,14.0
";

    fn import(nchw: &str, nhwc: &str, infer: &str) -> Result<TimmImport, ImportError> {
        let catalog = Catalog::embedded().unwrap();
        timm_from_sources(&TimmSources { train_nchw: nchw, train_nhwc: nhwc, infer_rtx3090: infer }, &catalog, "9")
    }

    #[test]
    fn fixture_tables_become_workloads_rows_and_skips() {
        let imp = import(NCHW, NHWC, INFER).unwrap();
        let set = &imp.set;
        // 5 NCHW + 3 NHWC rows read; densenet264 has no same-size network (densenet264d differs) → skipped.
        assert_eq!(imp.n_raw, 8);
        assert_eq!(set.workloads.len(), 4);
        assert_eq!(set.rows.len(), 7);
        assert_eq!(imp.skipped.len(), 1);
        assert_eq!(imp.skipped[0].0, "densenet264");
        // resnet50 at 224: 2 × 4.11 GMACs = 8.22 GFLOPs per image, no scaling.
        let w = set.workload("timm-resnet50-224").unwrap();
        assert_eq!((w.forward_gflops, w.sample_unit, w.input_px), (8.22, SampleUnit::Image, Some(224)));
        assert_eq!(
            (w.params_m, w.family.as_deref(), w.flops_note.as_str()),
            (25.56, Some("cnn"), "2 × timm GMACs at 224 px")
        );
        // resnet18 trained at 224, inference rows at 160 and 288: the nearer in log size is 288
        // (ln(288/224) = 0.251 < ln(224/160) = 0.336), so 2 × 3.01 × (224/288)² = 6.02 × 0.604938 = 3.6417.
        let w = set.workload("timm-resnet18-224").unwrap();
        assert_eq!(w.forward_gflops, 3.642);
        assert_eq!(w.flops_note, "2 × timm GMACs at 288 px × (224/288)²");
        // Its activations scale the same way: 4.1 M × 0.604938 = 2.480 M; resnet50's are the table's own.
        assert_eq!(w.activations_m, Some(2.48));
        assert_eq!(set.workload("timm-resnet50-224").unwrap().activations_m, Some(11.11));
        assert_eq!(imp.n_scaled, 1);
        // tv_resnet50: renamed into resnet50 (same parameters), linked to the catalogue's torchvision ResNet-50.
        let w = set.workload("timm-tv_resnet50-224").unwrap();
        assert_eq!((w.forward_gflops, w.arch_id.as_deref()), (8.22, Some("tv-resnet50")));
        assert_eq!(w.flops_note, "2 × timm GMACs of resnet50 at 224 px");
        assert_eq!(imp.renamed, vec![("tv_resnet50".to_string(), "resnet50".to_string())]);
        assert_eq!(set.workload("timm-vit_base_patch16_224-224").unwrap().family.as_deref(), Some("vit"));
        // Rows: images per second on one RTX 3090, FP16 (AMP), typical; the faster layout is marked.
        let row = |source: &str, wl: &str| set.rows.iter().find(|r| r.source == source && r.workload == wl).unwrap();
        let fast = row("timm-nhwc", "timm-resnet50-224");
        assert_eq!((fast.samples_per_s, fast.batch, fast.n_gpus), (1200.0, Some(256), 1));
        assert_eq!((fast.gpu_id.as_str(), fast.precision, fast.tuning), (GPU_ID, Precision::Fp16, Tuning::Typical));
        assert_eq!(fast.note.as_deref(), Some("faster layout"));
        assert!(row("timm-nchw", "timm-resnet50-224").note.as_deref().unwrap().starts_with("slower"));
        assert_eq!(row("timm-nchw", "timm-resnet18-224").note.as_deref(), Some("faster layout"));
        // A model measured in one layout only has no comparison to make.
        assert_eq!(row("timm-nchw", "timm-tv_resnet50-224").note, None);
        let text = serde_json::to_string(set).unwrap();
        assert_eq!(BenchmarkSet::from_json(&text).unwrap(), *set);
        assert!(!text.contains("../shared"));
    }

    #[test]
    fn renamed_models_find_their_network_and_check_parameters() {
        let c = |m: &str| gmacs_candidates(m);
        assert!(c("gluon_resnet50_v1c").contains(&"resnet50c".to_string()));
        assert!(c("gluon_resnet50_v1b").contains(&"resnet50".to_string()));
        assert!(c("tf_efficientnet_b3_ns").contains(&"tf_efficientnet_b3".to_string()));
        assert!(c("resmlp_12_distilled_224").contains(&"resmlp_12_224".to_string()));
        assert!(c("resnetv2_50x1_bitm").contains(&"resnetv2_50x1_bit".to_string()));
        assert!(c("resnetv2_152x2_bit_teacher_384").contains(&"resnetv2_152x2_bit".to_string()));
        assert!(c("convnext_base_384_in22ft1k").contains(&"convnext_base".to_string()));
        assert!(c("tf_efficientnet_l2_ns_475").contains(&"tf_efficientnet_l2".to_string()));
        assert!(c("jx_nest_base").contains(&"nest_base_jx".to_string()));
        assert_eq!(c("resnet50"), vec!["resnet50".to_string()]);
        // A name match with another parameter count is another network: skipped, with the reason.
        let infer = "model,infer_img_size,param_count,infer_gmacs,infer_macts
vit_base_patch16_224_miil,224,94.4,17.0,23.9
";
        let nchw = "model,train_samples_per_sec,train_batch_size,train_img_size,param_count
vit_base_patch16_224_miil,300,128,224,86.54
";
        let imp =
            import(nchw, "model,train_samples_per_sec,train_batch_size,train_img_size,param_count\n", infer).unwrap();
        assert!(imp.skipped[0].1.contains("parameter count differs"), "{:?}", imp.skipped);
    }

    #[test]
    fn family_table_maps_names_to_families() {
        let cases = [
            ("resnet50", Some("cnn")),
            ("tv_resnet50", Some("cnn")),
            ("gluon_seresnext50_32x4d", Some("cnn")),
            ("tf_efficientnet_b0_ns", Some("cnn")),
            ("efficientnetv2_rw_s", Some("cnn")),
            ("convnext_tiny", Some("cnn")),
            ("regnety_040", Some("cnn")),
            ("dm_nfnet_f0", Some("cnn")),
            ("poolformer_s12", Some("cnn")),
            ("eca_resnet33ts", Some("cnn")),
            ("vit_base_patch16_224", Some("vit")),
            ("deit3_small_patch16_224", Some("vit")),
            ("beit_base_patch16_224", Some("vit")),
            ("swinv2_cr_tiny_224", Some("vit")),
            ("eva02_base_patch14_224", Some("vit")),
            ("xcit_tiny_12_p8_224", Some("vit")),
            ("jx_nest_base", Some("vit")),
            ("pit_b_224", Some("vit")),
            ("vit_base_r50_s16_384", Some("hybrid")),
            ("vit_tiny_r_s16_p8_224", Some("hybrid")),
            ("eca_botnext26ts_256", Some("hybrid")),
            ("mobilevitv2_100", Some("hybrid")),
            ("levit_128", Some("hybrid")),
            ("coat_lite_mini", Some("hybrid")),
            ("mixer_b16_224", Some("mlp")),
            ("resmlp_12_224", Some("mlp")),
            ("gmlp_s16_224", Some("mlp")),
            ("sequencer2d_s", Some("rnn")),
            ("zzz_unknown", None),
        ];
        for (model, want) in cases {
            assert_eq!(timm_family(model), want, "{model}");
        }
        // Every catalogue link names a catalogue architecture.
        let catalog = Catalog::embedded().unwrap();
        for (_, id) in ARCH_IDS {
            assert!(catalog.arch(id).is_some(), "{id}");
        }
    }

    #[test]
    fn bad_cells_name_file_line_column_and_value() {
        let err = |nchw: &str, infer: &str| import(nchw, NHWC, infer).unwrap_err().to_string();
        let e = err(&NCHW.replace("1000.0,256.0", "fast,256.0"), INFER);
        assert!(e.contains(TRAIN_NCHW) && e.contains("line 2") && e.contains("train_samples_per_sec"), "{e}");
        assert!(e.contains("\"fast\"") && e.contains("resnet50"), "{e}");
        let e = err(NCHW, &INFER.replace("4.11", "n/a"));
        assert!(e.contains(INFER_RTX3090) && e.contains("line 2") && e.contains("infer_gmacs \"n/a\""), "{e}");
        let e = err(&NCHW.replace("train_img_size", "img"), INFER);
        assert!(e.contains(TRAIN_NCHW) && e.contains("missing column \"train_img_size\""), "{e}");
        let e = err(&format!("{NCHW}resnet50,1.0,1.0,8,224,25.56\n"), INFER);
        assert!(e.contains("line 7") && e.contains("appears twice"), "{e}");
        // Windows line endings (the upstream tables have them) give the same line numbers.
        let e = err(&NCHW.replace("3000.0,85.0", "x,85.0").replace('\n', "\r\n"), INFER);
        assert!(e.contains("line 4") && e.contains("\"x\""), "{e}");
    }
}
