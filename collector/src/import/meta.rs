//! Run metadata from flags or a JSON file, and profiles built from parsed nvidia-smi logs.

use std::path::Path;

use estimator::catalog::Catalog;
use estimator::profile::{
    Calibration, Capabilities, DeviceTrace, EnergySource, GpuInfo, Profile, ProfileStatus, Provenance, RunMeta,
};
use estimator::scenario::Mode;
use thiserror::Error;

use super::nvidia_smi::SmiLog;
use crate::error::FlagError;

/// Metadata that cannot be used.
#[derive(Debug, Error)]
pub enum MetaError {
    /// A flag with a bad value.
    #[error(transparent)]
    Flag(#[from] FlagError),
    /// The `--meta` file cannot be used.
    #[error("--meta {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl MetaError {
    /// The message as the Python package words it (keyword arguments, not flags; see
    /// [`FlagError::keyword_message`]).
    pub fn keyword_message(&self) -> String {
        match self {
            MetaError::Flag(f) => f.keyword_message(),
            MetaError::File { path, reason } => format!("meta={path}: {reason}"),
        }
    }
}

/// The run metadata as a user gives it (flags, or the Python package's keywords), before it is checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetaInput {
    /// A JSON file with the profile's `meta` object; the other fields override its fields.
    pub meta: Option<std::path::PathBuf>,
    /// Catalogue architecture id.
    pub arch: Option<String>,
    /// Batch size.
    pub batch: Option<u32>,
    /// Training samples per epoch (tokens for language models).
    pub samples: Option<u64>,
    /// Planned epochs.
    pub epochs: Option<u32>,
    /// Square input size, px.
    pub input: Option<u32>,
    /// Tokens per sequence.
    pub seq: Option<u32>,
    /// Precision.
    pub precision: Option<String>,
    /// Framework.
    pub framework: Option<String>,
    /// Training mode (`pretrain`, `finetune`, `lora`).
    pub mode: Option<String>,
    /// LoRA's rank.
    pub lora_rank: Option<u32>,
}

/// Builds the run metadata: the `meta` file first, then each field given overrides its field.
pub fn resolve(
    args: &MetaInput,
    catalog: &Catalog,
    read: impl Fn(&Path) -> anyhow::Result<String>,
) -> Result<RunMeta, MetaError> {
    let mut meta = match &args.meta {
        None => RunMeta { n_gpus: 1, ..RunMeta::default() },
        Some(path) => {
            let file_err = |reason: String| MetaError::File { path: path.display().to_string(), reason };
            let text = read(path).map_err(|e| file_err(format!("{e:#}")))?;
            serde_json::from_str::<RunMeta>(&text).map_err(|e| file_err(e.to_string()))?
        }
    };
    if let Some(id) = &args.arch {
        let arch = catalog
            .arch(id)
            .ok_or_else(|| FlagError::new("arch", id, "not a catalogue architecture (see data/architectures.json)"))?;
        meta.arch_id = Some(arch.id.clone());
        meta.params_m = arch.params_m;
        meta.forward_gflops = arch.gflops_at(args.input);
    }
    let positive = |flag: &'static str, v: u64| {
        if v == 0 {
            Err(FlagError::new(flag, &0, "must be at least 1"))
        } else {
            Ok(v)
        }
    };
    if let Some(b) = args.batch {
        meta.batch = Some(positive("batch", u64::from(b))? as u32);
    }
    if let Some(s) = args.samples {
        meta.train_samples = Some(positive("samples", s)?);
    }
    if let Some(e) = args.epochs {
        meta.planned_epochs = Some(positive("epochs", u64::from(e))? as u32);
    }
    if let Some(i) = args.input {
        meta.input_px = Some(positive("input", u64::from(i))? as u32);
    }
    if let Some(seq) = args.seq {
        let tokens = positive("seq", u64::from(seq))? as u32;
        meta.sequence = Some(estimator::profile::Sequence { tokens, padding: estimator::profile::Padding::Full });
        // A transformer's FLOPs per token depend on the sequence (attention).
        let shape = meta.arch_id.as_deref().and_then(|id| catalog.arch(id)).and_then(|a| a.transformer.as_ref());
        if let Some(t) = shape {
            meta.forward_gflops = Some(t.forward_flops(tokens) / 1e9);
        }
    }
    if let Some(p) = &args.precision {
        let Some(known) = estimator::Precision::named(p) else {
            return Err(FlagError::new("precision", p, estimator::Precision::EXPECTED).into());
        };
        meta.precision = Some(known.as_str().to_string());
    }
    if let Some(f) = &args.framework {
        meta.framework = Some(f.clone());
    }
    if let Some(m) = &args.mode {
        let mode = Mode::named(m).ok_or_else(|| FlagError::new("mode", m, "expected pretrain, finetune or lora"))?;
        meta.mode = Some(mode.as_str().to_string());
    }
    if let Some(r) = args.lora_rank {
        if meta.mode.as_deref().and_then(Mode::named) != Some(Mode::Lora) {
            return Err(FlagError::new("lora-rank", &r, "applies to LoRA only (mode lora)").into());
        }
        meta.lora_rank = Some(positive("lora-rank", u64::from(r))? as u32);
    }
    Ok(meta)
}

/// One profile from logs of one run (each log may hold several GPUs).
pub fn profile_from_logs(logs: &[(String, SmiLog)], meta: RunMeta, catalog: &Catalog) -> anyhow::Result<Profile> {
    let start = logs.iter().map(|(_, l)| l.start_unix_ms).min().unwrap_or(0);
    let mut devices = Vec::new();
    for (name, log) in logs {
        let offset = (log.start_unix_ms - start).max(0) as u64;
        for d in &log.devices {
            let mut samples = d.samples.clone();
            samples.t_ms.iter_mut().for_each(|t| *t += offset);
            let gpu = GpuInfo {
                nvml_name: d.name.clone(),
                catalog_id: d.name.as_deref().and_then(|n| catalog.gpu_by_nvml_name(n)).map(|g| g.id.clone()),
                power_limit_w: d.power_limit_w,
                ..GpuInfo::default()
            };
            if gpu.catalog_id.is_none() {
                eprintln!("warning: {name}: GPU \"{}\" is not in the catalogue", d.name.as_deref().unwrap_or("?"));
            }
            let energy_j = samples.integrated_energy_j();
            devices.push(DeviceTrace { index: devices.len() as u32, host: None, gpu, samples, energy_j });
        }
    }
    let first = devices.first().ok_or_else(|| anyhow::anyhow!("no samples in the logs"))?;
    let s = &first.samples;
    let interval =
        if s.len() > 1 { Some((s.t_ms[s.len() - 1] - s.t_ms[0]) as f64 / (s.len() - 1) as f64) } else { None };
    let calibration = Calibration {
        idle_power_w: None,
        interval_ms: interval.map(|i| i.round()),
        energy_source: EnergySource::Integrated,
        counter_vs_integrated_pct: None,
        capabilities: Capabilities::default(),
    };
    let id =
        format!("nvidia-smi-{}", logs.first().map_or("log", |(n, _)| n.as_str()).rsplit('/').next().unwrap_or("log"));
    Ok(Profile::from_traces(
        id,
        ProfileStatus::Complete,
        meta,
        calibration,
        devices,
        Vec::new(),
        Provenance {
            source: format!("imported from nvidia-smi logs with wattcast {}", env!("CARGO_PKG_VERSION")),
            licence: "CC-BY-4.0".into(),
            citation: "contributed measurement".into(),
            detail: Some(format!("files: {}", logs.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "))),
        },
    ))
}
