//! Importers for measured runs: the SEAA 2023 data of arXiv 2307.05520 (run table + raw nvidia-smi
//! traces) and the Zeus (NSDI '23) power traces. Pure functions from source text to profiles.

use estimator::catalog::Catalog;
use estimator::profile::{
    Calibration, Capabilities, DeviceTrace, EnergySource, GpuInfo, Padding, Profile, ProfileStatus, Provenance,
    RunMeta, Samples, Sequence, Summary,
};

use super::nvidia_smi::{self, SmiLog};
use super::{ImportError, Table};

/// SEAA environment folder → (run-table name, catalogue GPU id, host RAM GB as reported in the paper).
pub const SEAA_ENVS: [(&str, &str, &str, f64); 3] = [
    ("cloud", "Cloud", "nvidia-rtx-3090", 16.0),
    ("local-v2", "Local ML Engineer/Gamer", "nvidia-rtx-3070", 32.0),
    ("", "Local Normal User", "nvidia-gtx-750-ti", f64::NAN),
];

/// SEAA architecture folder → catalogue id (Keras backbone + dense head at 128×128).
pub const SEAA_ARCHS: [(&str, &str); 5] = [
    ("mobilenet_v2", "paper-mobilenetv2-a050-128"),
    ("nasnet_mobile", "paper-nasnetmobile-128"),
    ("resnet50", "paper-resnet50-128"),
    ("vgg16", "paper-vgg16-128"),
    ("xception", "paper-xception-128"),
];

/// Largest relative difference between a trace's summed power and the run table's `total power (W)`
/// for a chronological join to be accepted.
pub const JOIN_TOLERANCE: f64 = 0.01;

fn seaa_provenance(detail: String) -> Provenance {
    Provenance {
        source: "SEAA 2023 replication package (github:GAISSA-UPC/seaa2023_ect @6fa5af6f), ChessLive runs".into(),
        licence: "CC-BY-4.0".into(),
        citation:
            "del Rey, Martínez-Fernández, Cruz and Franch (2023). Do DL models and training environments have an \
impact on energy consumption? SEAA 2023; arXiv 2307.05520. Data: Zenodo 10.5281/zenodo.7828518"
                .into(),
        detail: Some(detail),
    }
}

/// One row of the SEAA run table.
#[derive(Debug, Clone)]
pub struct SeaaRun {
    env: String,
    arch: String,
    run: u32,
    duration_h: f64,
    total_power_w: f64,
    energy_mj: f64,
    mean_power_w: f64,
    max_limit_w: f64,
    gpu_usage_pct: f64,
    train: u64,
    val: u64,
    batch: u32,
    gflops: f64,
    epochs: u32,
}

/// Parses the run table (`dl-training-energy-consumption-dataset.csv`).
pub fn seaa_runs(text: &str) -> Result<Vec<SeaaRun>, ImportError> {
    let t = Table::parse("dl-training-energy-consumption-dataset.csv", text)?;
    let mut runs = Vec::new();
    for r in t.rows() {
        let num = |c: &str| r.opt_num::<f64>(c).and_then(|v| v.ok_or_else(|| r.invalid(c, "", "required")));
        runs.push(SeaaRun {
            env: r.text("training environment")?.to_string(),
            arch: r.text("architecture")?.to_string(),
            run: num("run")? as u32,
            duration_h: num("training duration (h)")?,
            total_power_w: num("total power (W)")?,
            energy_mj: num("energy (MJ)")?,
            mean_power_w: num("average power draw (W)")?,
            max_limit_w: num("max power limit (W)")?,
            gpu_usage_pct: num("gpu usage (%)")?,
            train: num("training size")? as u64,
            val: num("validation size")? as u64,
            batch: num("batch size")? as u32,
            gflops: num("GFLOPs")?,
            epochs: num("trained epochs")? as u32,
        });
    }
    Ok(runs)
}

fn seaa_meta(run: &SeaaRun, gpu_id: &str, ram_gb: f64, catalog: &Catalog, arch_id: &str) -> RunMeta {
    RunMeta {
        gpu: GpuInfo {
            nvml_name: catalog.gpu(gpu_id).and_then(|g| g.nvml_names.first().cloned()),
            catalog_id: Some(gpu_id.to_string()),
            power_limit_w: Some(run.max_limit_w),
            ..GpuInfo::default()
        },
        n_gpus: 1,
        arch_id: Some(arch_id.to_string()),
        workload: Some("ChessLive occupancy (binary), Keras transfer learning".into()),
        params_m: None,
        forward_gflops: Some(run.gflops),
        batch: Some(run.batch),
        input_px: Some(128),
        train_samples: Some(run.train),
        sequence: None,
        val_samples: Some(run.val),
        planned_epochs: Some(150),
        completed_epochs: Some(run.epochs),
        framework: Some("tensorflow (keras)".into()),
        precision: Some("fp32".into()),
        host_ram_gb: ram_gb.is_finite().then_some(ram_gb),
        mode: None,
        lora_rank: None,
    }
}

/// A trace file of one (environment, architecture).
pub struct SeaaTrace<'a> {
    /// Environment folder (`cloud`, `local-v2`).
    pub env_dir: &'a str,
    /// Architecture folder (`resnet50`).
    pub arch_dir: &'a str,
    /// File name (`gpu-power-20230308T131133.csv.gz`).
    pub file_name: &'a str,
    /// Decompressed text.
    pub text: &'a str,
}

/// What the SEAA import produced.
pub struct SeaaImport {
    /// Profiles with samples, one per trace.
    pub traced: Vec<Profile>,
    /// Summary-only profiles of runs without a trace.
    pub summary_only: Vec<Profile>,
    /// Lines for the maintainer: joins made, rows skipped.
    pub report: Vec<String>,
}

/// Builds profiles from the run table and the raw traces.
pub fn seaa_import(run_table: &str, traces: &[SeaaTrace<'_>], catalog: &Catalog) -> Result<SeaaImport, ImportError> {
    let runs = seaa_runs(run_table)?;
    let mut out = SeaaImport { traced: Vec::new(), summary_only: Vec::new(), report: Vec::new() };
    for (env_dir, env_name, gpu_id, ram_gb) in SEAA_ENVS {
        for (arch_dir, arch_id) in SEAA_ARCHS {
            let mut rows: Vec<&SeaaRun> = runs.iter().filter(|r| r.env == env_name && r.arch == arch_dir).collect();
            rows.sort_by_key(|r| r.run);
            let mut files: Vec<&SeaaTrace<'_>> = traces
                .iter()
                .filter(|t| t.env_dir == env_dir && t.arch_dir == arch_dir && !env_dir.is_empty())
                .collect();
            files.sort_by_key(|t| t.file_name);
            if files.is_empty() {
                for r in &rows {
                    out.summary_only.push(seaa_summary_profile(r, gpu_id, ram_gb, catalog, arch_id));
                }
                continue;
            }
            let logs: Vec<SmiLog> =
                files.iter().map(|f| nvidia_smi::parse(f.file_name, f.text)).collect::<Result<_, _>>()?;
            // Traces and run-table rows are both in run order; join them pairwise when the counts match and
            // every pair's summed power agrees with the table.
            let sums: Vec<f64> = logs.iter().map(|l| l.devices[0].samples.power_w.iter().sum()).collect();
            let joined = rows.len() == files.len()
                && rows.iter().zip(&sums).all(|(r, s)| ((r.total_power_w - s) / s).abs() <= JOIN_TOLERANCE);
            out.report.push(format!(
                "{env_dir}/{arch_dir}: {} traces, {} table rows, {}",
                files.len(),
                rows.len(),
                if joined { "joined in run order" } else { "NOT joined (counts or sums differ)" }
            ));
            for (i, (f, log)) in files.iter().zip(&logs).enumerate() {
                let run = if joined { Some(rows[i]) } else { None };
                out.traced.push(seaa_traced_profile(f, log, run, gpu_id, ram_gb, catalog, arch_id));
            }
        }
    }
    Ok(out)
}

fn seaa_summary_profile(r: &SeaaRun, gpu_id: &str, ram_gb: f64, catalog: &Catalog, arch_id: &str) -> Profile {
    let duration_s = r.duration_h * 3600.0;
    Profile {
        schema_version: estimator::profile::PROFILE_SCHEMA_VERSION,
        job: None,
        id: format!("seaa2023-{gpu_id}-{}-run{:02}", r.arch, r.run),
        status: ProfileStatus::SummaryOnly,
        exit_code: Some(0),
        meta: seaa_meta(r, gpu_id, ram_gb, catalog, arch_id),
        calibration: Calibration {
            idle_power_w: None,
            interval_ms: Some(1000.0),
            energy_source: EnergySource::Reported,
            counter_vs_integrated_pct: None,
            capabilities: Capabilities { power: true, utilisation: true, memory: true, temperature: true, ..Capabilities::default() },
        },
        devices: Vec::new(),
        epochs: Vec::new(),
        summary: Summary {
            energy_j: r.energy_mj * 1e6,
            duration_s,
            mean_power_w: r.mean_power_w,
            mean_epoch_s: (r.epochs > 0).then(|| duration_s / f64::from(r.epochs)),
            mean_utilisation_pct: Some(r.gpu_usage_pct),
        },
        provenance: seaa_provenance(
            "summary-only: energy (MJ, GPU only), duration and mean power from the run table; no raw trace was published \
for this environment"
                .into(),
        ),
    }
}

fn seaa_traced_profile(
    f: &SeaaTrace<'_>,
    log: &SmiLog,
    run: Option<&SeaaRun>,
    gpu_id: &str,
    ram_gb: f64,
    catalog: &Catalog,
    arch_id: &str,
) -> Profile {
    let dev = &log.devices[0];
    let stamp = f.file_name.trim_start_matches("gpu-power-").trim_end_matches(".gz").trim_end_matches(".csv");
    let s: &Samples = &dev.samples;
    // nvidia-smi started 3 s before training: the samples before then are the idle reading.
    let idle: Vec<f64> = s.t_ms.iter().zip(&s.power_w).filter(|(t, _)| **t < 3000).map(|(_, p)| *p).collect();
    let mut meta = match run {
        Some(r) => seaa_meta(r, gpu_id, ram_gb, catalog, arch_id),
        None => RunMeta {
            gpu: GpuInfo { catalog_id: Some(gpu_id.to_string()), ..GpuInfo::default() },
            n_gpus: 1,
            arch_id: Some(arch_id.to_string()),
            ..RunMeta::default()
        },
    };
    meta.gpu.nvml_name = dev.name.clone().or(meta.gpu.nvml_name);
    meta.gpu.power_limit_w = dev.power_limit_w.or(meta.gpu.power_limit_w);
    let detail = match run {
        Some(r) => format!(
            "raw nvidia-smi trace {}/{}/{} (1 Hz; {} unreadable rows skipped), joined to run-table row run={} by run order \
(summed power within {} % of the table's); energy = trapezoid of the whole trace, including the ~3 s before and after \
training",
            f.env_dir,
            f.arch_dir,
            f.file_name,
            log.skipped.len(),
            r.run,
            JOIN_TOLERANCE * 100.0
        ),
        None => format!("raw nvidia-smi trace {}/{}/{}; not joined to the run table", f.env_dir, f.arch_dir, f.file_name),
    };
    let calibration = Calibration {
        idle_power_w: (!idle.is_empty()).then(|| idle.iter().sum::<f64>() / idle.len() as f64),
        interval_ms: Some(1000.0),
        energy_source: EnergySource::Integrated,
        counter_vs_integrated_pct: None,
        capabilities: Capabilities::default(),
    };
    let device = DeviceTrace {
        index: 0,
        host: None,
        gpu: meta.gpu.clone(),
        samples: s.clone(),
        energy_j: s.integrated_energy_j(),
    };
    let mut p = Profile::from_traces(
        format!("seaa2023-{}-{}-{stamp}", f.env_dir, f.arch_dir),
        ProfileStatus::Complete,
        meta,
        calibration,
        vec![device],
        Vec::new(),
        seaa_provenance(detail),
    );
    p.exit_code = run.map(|_| 0);
    // The epoch count is the run table's, over its duration (the trace runs a few seconds longer).
    p.summary.mean_epoch_s = run.filter(|r| r.epochs > 0).map(|r| r.duration_h * 3600.0 / f64::from(r.epochs));
    p
}

/// Zeus GPU file suffix → catalogue id, and what is assumed about the variant.
pub const ZEUS_GPUS: [(&str, &str, &str); 4] = [
    ("a40", "nvidia-a40", ""),
    ("p100", "nvidia-p100-pcie-16gb", "PCIe variant assumed from the 250 W top power limit"),
    ("rtx6000", "nvidia-quadro-rtx-6000", "Quadro RTX 6000 assumed (top power limit 260 W)"),
    ("v100", "nvidia-v100-pcie-16gb", "PCIe variant assumed from the 250 W top power limit; 16 GB assumed"),
];

/// A Zeus workload as the catalogue and the training scripts describe it.
struct ZeusWorkload {
    arch_id: &'static str,
    /// Square input side, px (images).
    input_px: Option<u32>,
    /// Training samples per epoch: images, or sequences for BERT.
    train: u64,
    /// BERT: tokens per sequence at most, BERT's depth and width, and where the figures come from.
    sequence: Option<(u32, &'static str)>,
}

/// BERT-base's layers and model width (Devlin et al. 2019, L = 12, H = 768), for the attention FLOPs.
const BERT_BASE_DIMS: (u32, u32) = (12, 768);

/// Zeus workload → its catalogue architecture and size, where known. The traces give neither sequence counts
/// nor lengths for BERT: the figures below are the training scripts' defaults, and a bound on the tokens.
fn zeus_workload(dataset: &str, network: &str) -> Option<ZeusWorkload> {
    let (arch_id, input_px, train, sequence) = match (dataset, network) {
        ("cifar100", "shufflenetv2") => ("tv-shufflenet-v2-x1-0", Some(32), 50_000, None),
        ("imagenet", "resnet50") => ("tv-resnet50", Some(224), 1_281_167, None),
        ("squad", "bert_base_uncased") => (
            "bert-base-uncased",
            None,
            88_524,
            Some((
                384,
                "SQuAD v1.1's 87,599 training questions as 88,524 windows of at most 384 tokens (stride 128: the \
Hugging Face question-answering example's defaults, assumed); the trace states neither, and its epochs run 1.3 to 1.6 x Lambda's FP32 rate for padded 384-token sequences, so sequences were likely shorter",
            )),
        ),
        ("sentiment140", "bert_base_uncased") => (
            "bert-base-uncased",
            None,
            425_000,
            Some((
                128,
                "a Capriccio slice of Sentiment140 (425,000 training tweets) at most 128 tokens each, padded per \
batch (Zeus's sentiment training script's defaults); tweets are far shorter than 128 tokens",
            )),
        ),
        _ => return None,
    };
    Some(ZeusWorkload { arch_id, input_px, train, sequence })
}

/// Builds summary-only profiles from one Zeus power trace (`summary_power_<gpu>.csv`).
pub fn zeus_profiles(gpu_suffix: &str, text: &str, catalog: &Catalog) -> Result<Vec<Profile>, ImportError> {
    let (_, gpu_id, assumption) = ZEUS_GPUS.iter().find(|(s, _, _)| *s == gpu_suffix).ok_or_else(|| {
        ImportError::MissingColumn { file: format!("summary_power_{gpu_suffix}.csv"), column: "known GPU".into() }
    })?;
    let file = format!("summary_power_{gpu_suffix}.csv");
    let t = Table::parse(&file, text)?;
    let mut out = Vec::new();
    for r in t.rows() {
        let dataset = r.text("dataset")?;
        let network = r.text("network")?;
        let optimizer = r.text("optimizer")?;
        let batch = r.opt_num::<u32>("batch_size")?.ok_or_else(|| r.invalid("batch_size", "", "required"))?;
        let limit = r.required_positive("power_limit")?;
        let epoch_s = r.required_positive("time_per_epoch")?;
        let power = r.required_positive("average_power")?;
        let w = zeus_workload(dataset, network);
        let arch = w.as_ref().and_then(|w| catalog.arch(w.arch_id));
        let input_px = w.as_ref().and_then(|w| w.input_px);
        let bert = w.as_ref().and_then(|w| w.sequence);
        // Image FLOPs scale with input area; BERT's per token add attention at the (maximum) sequence length.
        let gflops = match (arch, bert) {
            (Some(a), Some((tokens, _))) => a
                .params_m
                .map(|p| crate::import::bench::lm_forward_gflops(p * 1e6, BERT_BASE_DIMS.0, BERT_BASE_DIMS.1, tokens)),
            (Some(a), None) => a.gflops_at(input_px),
            (None, _) => None,
        };
        let sequence = bert.map(|(tokens, _)| Sequence { tokens, padding: Padding::UpTo });
        let train = w.as_ref().map(|w| w.train * sequence.map_or(1, |s| u64::from(s.tokens)));
        let mut detail = format!("one epoch: average power × time per epoch at power limit {limit} W");
        if !assumption.is_empty() {
            detail.push_str(&format!("; {assumption}"));
        }
        if input_px == Some(32) {
            detail.push_str("; forward FLOPs scaled by input area from 224 to 32 px");
        }
        if let Some((tokens, why)) = bert {
            detail.push_str(&format!(
                "; samples are tokens, an upper bound (sequences × {tokens}): {why}; FLOPs per token include \
attention at {tokens} tokens"
            ));
        }
        out.push(Profile {
            schema_version: estimator::profile::PROFILE_SCHEMA_VERSION,
            job: None,
            id: format!("zeus-{gpu_suffix}-{dataset}-{network}-b{batch}-{optimizer}-pl{limit}"),
            status: ProfileStatus::SummaryOnly,
            exit_code: None,
            meta: RunMeta {
                gpu: GpuInfo {
                    nvml_name: catalog.gpu(gpu_id).and_then(|g| g.nvml_names.first().cloned()),
                    catalog_id: Some(gpu_id.to_string()),
                    power_limit_w: Some(limit),
                    ..GpuInfo::default()
                },
                n_gpus: 1,
                arch_id: arch.map(|a| a.id.clone()),
                workload: Some(format!("{dataset}/{network} ({optimizer})")),
                params_m: arch.and_then(|a| a.params_m),
                forward_gflops: gflops,
                batch: Some(batch),
                input_px,
                train_samples: train,
                sequence,
                completed_epochs: Some(1),
                framework: Some("pytorch".into()),
                ..RunMeta::default()
            },
            calibration: Calibration {
                idle_power_w: None,
                interval_ms: None,
                energy_source: EnergySource::Reported,
                counter_vs_integrated_pct: None,
                capabilities: Capabilities { power: true, ..Capabilities::default() },
            },
            devices: Vec::new(),
            epochs: Vec::new(),
            summary: Summary {
                energy_j: power * epoch_s,
                duration_s: epoch_s,
                mean_power_w: power,
                mean_epoch_s: Some(epoch_s),
                mean_utilisation_pct: None,
            },
            provenance: Provenance {
                source: "Zeus NSDI '23 power trace (github:ml-energy/zeus examples/research_reproducibility/zeus_nsdi23/trace \
@75a8b9398034)"
                    .into(),
                licence: "Apache-2.0".into(),
                citation: "You, Chung and Chowdhury (2023). Zeus: Understanding and Optimizing GPU Energy Consumption of DNN \
Training. NSDI '23"
                    .into(),
                detail: Some(detail),
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "training environment,architecture,run,training duration (h),gpu model,gpu working time (h),gpu usage (%),gpu memory working time (h),gpu memory usage,average memory used (MB),memory used std (MB),total power (W),average power draw (W),power draw std (W),max power limit (W),average temperature (Celsius),temperature std (Celsius),energy (MJ),emissions (gCO2e),split number,training size,validation size,batch size,GFLOPs,accuracy,precision,recall,AUC,trained epochs,total seen images,f1-score";

    fn row(run: u32, total_power: f64) -> String {
        format!("Cloud,resnet50,{run},0.001,RTX 3090,0,50,0,0,0,0,{total_power},100,0,350,50,0,0.0004,0,0,23807,10203,32,2.52438272,0,0,0,0,2,0,0")
    }

    fn trace(watts: &[f64]) -> String {
        let mut s = String::from("timestamp, name, utilization.gpu [%], power.draw [W], power.max_limit [W]\n");
        for (i, w) in watts.iter().enumerate() {
            s.push_str(&format!("2023/03/08 13:11:{i:02}.000, NVIDIA GeForce RTX 3090, 50 %, {w} W, 350.00 W\n"));
        }
        s
    }

    #[test]
    fn seaa_traces_join_in_run_order_when_sums_agree() {
        let catalog = Catalog::embedded().unwrap();
        let (a, b) = (trace(&[100.0, 100.0, 100.0]), trace(&[200.0, 200.0]));
        let traces = [
            SeaaTrace { env_dir: "cloud", arch_dir: "resnet50", file_name: "gpu-power-20230308T1.csv", text: &a },
            SeaaTrace { env_dir: "cloud", arch_dir: "resnet50", file_name: "gpu-power-20230308T2.csv", text: &b },
        ];
        let table = format!("{HEADER}\n{}\n{}\n", row(0, 300.0), row(1, 401.0));
        let out = seaa_import(&table, &traces, &catalog).unwrap();
        assert_eq!(out.traced.len(), 2);
        let p = &out.traced[0];
        assert_eq!(p.meta.completed_epochs, Some(2));
        assert_eq!(p.meta.arch_id.as_deref(), Some("paper-resnet50-128"));
        assert_eq!(p.summary.energy_j, 200.0); // 2 s at 100 W
        assert!(out.report.iter().any(|l| l.contains("cloud/resnet50") && l.contains("joined in run order")));
        // Sums 2 % apart: not joined, and the profiles keep no run metadata.
        let table = format!("{HEADER}\n{}\n{}\n", row(0, 300.0), row(1, 410.0));
        let out = seaa_import(&table, &traces, &catalog).unwrap();
        assert!(out.report.iter().any(|l| l.contains("NOT joined")));
        assert_eq!(out.traced[0].meta.completed_epochs, None);
    }

    #[test]
    fn zeus_rows_become_summary_only_profiles() {
        let catalog = Catalog::embedded().unwrap();
        let csv = "dataset,network,batch_size,optimizer,power_limit,time_per_epoch,average_power\n\
cifar100,shufflenetv2,1024,adadelta,100,27.13,106.9\nmovielens-1m,ncf,64,adam,200,10,150\n";
        let ps = zeus_profiles("a40", csv, &catalog).unwrap();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].status, ProfileStatus::SummaryOnly);
        assert!((ps[0].summary.energy_j - 27.13 * 106.9).abs() < 1e-9);
        assert_eq!(ps[0].meta.gpu.power_limit_w, Some(100.0));
        // ShuffleNet at 32 px: 0.29 GFLOPs × (32/224)².
        let g = ps[0].meta.forward_gflops.unwrap();
        assert!((g - 0.29 * (32.0f64 / 224.0).powi(2)).abs() < 1e-12, "{g}");
        assert_eq!(ps[1].meta.forward_gflops, None, "NCF is not in the catalogue");
        assert!(zeus_profiles("h999", csv, &catalog).is_err());
    }

    /// BERT runs count tokens, as a bound: sequences × their maximum length, with attention FLOPs at that
    /// length; the fits take them for power only.
    #[test]
    fn zeus_bert_runs_count_tokens_as_an_upper_bound() {
        let catalog = Catalog::embedded().unwrap();
        let csv = "dataset,network,batch_size,optimizer,power_limit,time_per_epoch,average_power\n\
squad,bert_base_uncased,32,adamw,250,1733.3,228.2\nsentiment140,bert_base_uncased,64,adamw,250,4027.8,220.5\n";
        let ps = zeus_profiles("v100", csv, &catalog).unwrap();
        for (p, sequences, tokens) in [(&ps[0], 88_524u64, 384u32), (&ps[1], 425_000, 128)] {
            assert_eq!(p.meta.sequence, Some(Sequence { tokens, padding: Padding::UpTo }), "{}", p.id);
            assert_eq!(p.meta.train_samples, Some(sequences * u64::from(tokens)), "{}", p.id);
            let per_token = p.meta.forward_gflops.unwrap();
            let attention = 2.0 * 12.0 * f64::from(tokens) * 768.0 / 1e9;
            assert!((per_token - (2.0 * 109.48224e-3 + attention)).abs() < 1e-9, "{}: {per_token}", p.id);
            assert!(p.provenance.detail.as_deref().unwrap().contains("upper bound"), "{}", p.id);
            assert!(estimator::fit::run_point(p, &catalog).is_none(), "{}: a bound is no throughput", p.id);
        }
    }
}
