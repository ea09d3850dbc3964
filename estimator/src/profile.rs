//! Calibration profiles (schema version 1): the collector's output and the unit of contributed data.
//!
//! A profile is one training run: its metadata, how it was measured (calibration), the power samples
//! of each GPU stored as columns, epoch marks, a summary and its provenance. Runs known only by their
//! totals are `summary-only` profiles without samples. A `ProfileBundle` groups many summary-only
//! profiles from one source in one file.

use serde::{Deserialize, Serialize};

/// The profile format's version: what every producer writes and [`validate`] accepts.
pub const PROFILE_SCHEMA_VERSION: u32 = 1;

/// Whether the run finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ProfileStatus {
    /// The command ran to its end (whatever its exit code).
    Complete,
    /// Recording stopped early (signal, crash of the recorder); samples up to the stop are kept.
    Interrupted,
    /// Only totals are known (no samples).
    SummaryOnly,
}

/// Where the energy figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum EnergySource {
    /// The GPU's total-energy counter (NVML `nvmlDeviceGetTotalEnergyConsumption`).
    Counter,
    /// Trapezoid integration of the power samples.
    Integrated,
    /// Given by the source as a total (summary-only profiles).
    Reported,
}

/// One GPU as the recorder saw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GpuInfo {
    /// Name NVML reports (`NVIDIA GeForce RTX 3090`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nvml_name: Option<String>,
    /// Catalogue id, when the name matches one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    /// Device UUID, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Driver version, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Power limit in force at the start, W.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_limit_w: Option<f64>,
}

/// How a language-model run's sequences were padded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Padding {
    /// Every sequence was padded to the length: sequences × length is the token count.
    Full,
    /// Sequences hold at most the length (padded per batch, or the source does not say): sequences ×
    /// length is an upper bound, so the run tells power, never throughput.
    UpTo,
}

/// Tokens per sequence of a language-model run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Sequence {
    /// Tokens per sequence (the padded or the maximum length).
    pub tokens: u32,
    /// Whether every sequence had that many.
    pub padding: Padding,
}

impl Sequence {
    /// Whether sequences × tokens counts the tokens trained (not only bounds them).
    pub fn exact(&self) -> bool {
        self.padding == Padding::Full
    }
}

/// What was trained, and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RunMeta {
    /// The GPU model (every device of a run is the same model).
    pub gpu: GpuInfo,
    /// GPUs used.
    pub n_gpus: u32,
    /// Catalogue architecture id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch_id: Option<String>,
    /// Free-text workload name (`cifar100/shufflenetv2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// Parameters, millions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params_m: Option<f64>,
    /// Forward GFLOPs per sample at `input_px`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_gflops: Option<f64>,
    /// Batch size per step, over all the run's GPUs (per-GPU batch × GPUs), as a share link's `batch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<u32>,
    /// Square input side, pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_px: Option<u32>,
    /// Training samples per epoch (images, or tokens = sequences × `sequence.tokens` for language models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_samples: Option<u64>,
    /// Tokens per sequence (language models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<Sequence>,
    /// Validation samples per epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_samples: Option<u64>,
    /// Epochs planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_epochs: Option<u32>,
    /// Epochs completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_epochs: Option<u32>,
    /// Framework (`tensorflow 2.10`, `pytorch 2.5`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    /// Precision (`fp32`, `bf16`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    /// What trained: `pretrain`, `finetune` or `lora` (language models; absent: not said). A string, as
    /// `precision` is, checked where it is set: an enum's deserializer cost the page's wasm 0.27 KB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// LoRA's rank, with `mode: lora`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lora_rank: Option<u32>,
    /// Host RAM, GB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_ram_gb: Option<f64>,
}

/// Which readings the GPU supports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Total-energy counter.
    pub energy_counter: bool,
    /// Power draw.
    pub power: bool,
    /// Utilisation.
    pub utilisation: bool,
    /// Memory used.
    pub memory: bool,
    /// Temperature.
    pub temperature: bool,
    /// SM clock.
    pub sm_clock: bool,
}

/// How the run was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// Mean power before the command started, W (sum over GPUs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_power_w: Option<f64>,
    /// Sampling interval asked for, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_ms: Option<f64>,
    /// Where `summary.energy_j` comes from.
    pub energy_source: EnergySource,
    /// (counter − integrated) / integrated × 100, when both exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter_vs_integrated_pct: Option<f64>,
    /// Readings the GPU supports.
    pub capabilities: Capabilities,
}

/// Samples of one GPU, as columns of equal length. Absent columns were not read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Samples {
    /// Time since the start of the recording, ms.
    pub t_ms: Vec<u64>,
    /// Power draw, W.
    pub power_w: Vec<f64>,
    /// GPU utilisation, %.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilisation_pct: Option<Vec<f64>>,
    /// Memory used, MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_used_mib: Option<Vec<f64>>,
    /// Temperature, °C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_c: Option<Vec<f64>>,
    /// SM clock, MHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sm_clock_mhz: Option<Vec<f64>>,
    /// Energy counter since the start of the recording, J.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_counter_j: Option<Vec<f64>>,
}

impl Samples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.t_ms.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.t_ms.is_empty()
    }

    /// Trapezoid integral of power over time, J.
    pub fn integrated_energy_j(&self) -> f64 {
        trapezoid_j(&self.t_ms, &self.power_w)
    }
}

/// Trapezoid integral of power (W) over time (ms), in joules.
pub fn trapezoid_j(t_ms: &[u64], power_w: &[f64]) -> f64 {
    t_ms.windows(2)
        .zip(power_w.windows(2))
        .map(|(t, p)| (t[1].saturating_sub(t[0])) as f64 / 1000.0 * (p[0] + p[1]) / 2.0)
        .sum()
}

/// One GPU's series in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceTrace {
    /// Device index on its host.
    pub index: u32,
    /// Host name, for runs merged from several nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The device.
    pub gpu: GpuInfo,
    /// Its samples.
    pub samples: Samples,
    /// Its energy, J (from `calibration.energy_source`).
    pub energy_j: f64,
}

/// The end of one epoch (and its start).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EpochMark {
    /// Epoch index, from 0.
    pub index: u32,
    /// Start, ms since the start of the recording.
    pub start_t_ms: u64,
    /// End, ms since the start of the recording.
    pub end_t_ms: u64,
    /// Energy of all GPUs during the epoch, J.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_j: Option<f64>,
}

/// Totals of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Energy of all GPUs, J.
    pub energy_j: f64,
    /// Duration, s.
    pub duration_s: f64,
    /// Mean power of all GPUs together, W.
    pub mean_power_w: f64,
    /// Mean epoch duration, s, when the epoch count is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_epoch_s: Option<f64>,
    /// Mean GPU utilisation, %, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_utilisation_pct: Option<f64>,
}

/// Where a profile comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Who or what recorded it (`recorded with wattcast 0.1.0`, a data set's name).
    pub source: String,
    /// Licence of the data (SPDX id).
    pub licence: String,
    /// How to cite it.
    pub citation: String,
    /// How the profile was made from the source (join rules, trimming).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A calibration profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Format version (1).
    pub schema_version: u32,
    /// Unique id (`seaa2023-cloud-resnet50-20230308T131133`).
    pub id: String,
    /// Whether the run finished.
    pub status: ProfileStatus,
    /// Exit code of the training command, when it ran under the recorder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The distributed job this profile is one node of (`wattcast merge` joins the nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JobInfo>,
    /// What was trained.
    pub meta: RunMeta,
    /// How it was measured.
    pub calibration: Calibration,
    /// Per-GPU series (empty for summary-only profiles).
    #[serde(default)]
    pub devices: Vec<DeviceTrace>,
    /// Epoch marks (empty when unknown).
    #[serde(default)]
    pub epochs: Vec<EpochMark>,
    /// Totals.
    pub summary: Summary,
    /// Where it comes from.
    pub provenance: Provenance,
}

/// Which launcher started the job's processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Launcher {
    /// `torchrun` / `torch.distributed.run` (TORCHELASTIC_* variables).
    Torchrun,
    /// SLURM (`srun`; SLURM_* variables).
    Slurm,
}

/// One node's place in a distributed job: what `wattcast merge` checks before joining nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct JobInfo {
    /// The launcher.
    pub launcher: Launcher,
    /// The job's id (SLURM_JOB_ID, TORCHELASTIC_RUN_ID), the same on every node.
    pub id: String,
    /// This node's index in the job, from 0.
    pub node: u32,
    /// Nodes in the job, when the launcher says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<u32>,
    /// When this node started recording, ms since the Unix epoch.
    pub start_unix_ms: u64,
    /// The node's host name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// Many profiles from one source in one file (summary-only collections).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ProfileBundle {
    /// Format version (1).
    pub schema_version: u32,
    /// Bundle id.
    pub id: String,
    /// The profiles.
    pub profiles: Vec<Profile>,
}

impl Capabilities {
    /// The readings a traced device's columns hold (`energy_counter` as the source says).
    pub fn of(samples: &Samples, energy_counter: bool) -> Capabilities {
        Capabilities {
            energy_counter,
            power: true,
            utilisation: samples.utilisation_pct.is_some(),
            memory: samples.memory_used_mib.is_some(),
            temperature: samples.temperature_c.is_some(),
            sm_clock: samples.sm_clock_mhz.is_some(),
        }
    }
}

impl Summary {
    /// The totals of traced devices: energy = the devices' energies summed, duration from the earliest first
    /// sample to the latest last one, the mean epoch from the epoch marks (else from `completed_epochs` over
    /// the duration), the first device's mean utilisation.
    pub fn of(devices: &[DeviceTrace], epochs: &[EpochMark], completed_epochs: Option<u32>) -> Summary {
        let energy_j: f64 = devices.iter().map(|d| d.energy_j).sum();
        let t0 = devices.iter().filter_map(|d| d.samples.t_ms.first()).min().copied().unwrap_or(0);
        let t1 = devices.iter().filter_map(|d| d.samples.t_ms.last()).max().copied().unwrap_or(t0);
        let duration_s = t1.saturating_sub(t0) as f64 / 1000.0;
        let mean_epoch_s = match epochs.last() {
            Some(last) => Some(last.end_t_ms.saturating_sub(t0) as f64 / 1000.0 / epochs.len() as f64),
            None => completed_epochs.filter(|e| *e > 0).map(|e| duration_s / f64::from(e)),
        };
        let util = devices.first().and_then(|d| d.samples.utilisation_pct.as_ref());
        Summary {
            energy_j,
            duration_s,
            mean_power_w: if duration_s > 0.0 { energy_j / duration_s } else { 0.0 },
            mean_epoch_s,
            mean_utilisation_pct: util.map(|u| u.iter().sum::<f64>() / u.len().max(1) as f64),
        }
    }
}

impl Profile {
    /// A traced profile, assembled the one way every producer (the recorder, the nvidia-smi and paper
    /// importers) assembles it: the run's GPU and GPU count from the devices, completed epochs from the marks,
    /// capabilities from the first device's columns (the energy counter as `calibration` says), the summary
    /// by [`Summary::of`].
    pub fn from_traces(
        id: String,
        status: ProfileStatus,
        mut meta: RunMeta,
        mut calibration: Calibration,
        devices: Vec<DeviceTrace>,
        epochs: Vec<EpochMark>,
        provenance: Provenance,
    ) -> Profile {
        if let Some(first) = devices.first() {
            meta.gpu = GpuInfo { uuid: None, ..first.gpu.clone() };
            calibration.capabilities = Capabilities::of(&first.samples, calibration.capabilities.energy_counter);
        }
        meta.n_gpus = devices.len() as u32;
        if !epochs.is_empty() {
            meta.completed_epochs = Some(epochs.len() as u32);
        }
        let summary = Summary::of(&devices, &epochs, meta.completed_epochs);
        Profile {
            schema_version: PROFILE_SCHEMA_VERSION,
            id,
            status,
            exit_code: None,
            job: None,
            meta,
            calibration,
            devices,
            epochs,
            summary,
            provenance,
        }
    }

    /// Mean power of all devices over the steady epochs, W: Σ energy ÷ Σ time of every epoch after the first
    /// (model build, compilation, autotuning); `None` without at least two steady epochs that carry energy.
    pub fn steady_power_w(&self) -> Option<f64> {
        let steady = self.epochs.get(1..).filter(|e| e.len() >= 2)?;
        let (j, ms) = steady.iter().try_fold((0.0, 0u64), |(j, ms), e| {
            Some((j + e.energy_j?, ms + e.end_t_ms.saturating_sub(e.start_t_ms)))
        })?;
        (ms > 0).then(|| j / (ms as f64 / 1000.0))
    }

    /// The power of all devices summed at the first device's sample times (devices are sampled together).
    /// Only the samples every device has both a time and a power for: a profile whose columns differ in
    /// length (which [`validate`] reports as an error) still gives two series of one length.
    pub fn total_power(&self) -> Option<(Vec<u64>, Vec<f64>)> {
        let first = self.devices.first()?;
        let n = self.devices.iter().map(|d| d.samples.t_ms.len().min(d.samples.power_w.len())).min()?;
        let mut power = first.samples.power_w[..n].to_vec();
        for d in &self.devices[1..] {
            for (p, q) in power.iter_mut().zip(&d.samples.power_w) {
                *p += q;
            }
        }
        Some((first.samples.t_ms[..n].to_vec(), power))
    }
}

/// How bad a problem found by [`validate`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The profile cannot be used.
    Error,
    /// Usable, but something is off (an id the catalogue does not know).
    Warning,
}

/// A problem in a profile, with where it is (a JSON path).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// How bad.
    pub severity: Severity,
    /// Where (`devices[0].samples.t_ms[17]`).
    pub location: String,
    /// What is wrong, with the value.
    pub message: String,
}

/// Largest number of samples per device a profile may hold (10 Hz for about four weeks).
pub const MAX_SAMPLES_PER_DEVICE: usize = 25_000_000;

/// Checks a profile's sanity: time increases, power is finite and within [0, 2 × limit], columns have the
/// samples' length, epochs are ordered, the summary energy matches the samples within 1 %, and ids exist
/// in the catalogue (a warning otherwise). Every problem is reported, not just the first.
pub fn validate(p: &Profile, catalog: &crate::catalog::Catalog) -> Vec<Problem> {
    let mut out = Vec::new();
    if p.schema_version != PROFILE_SCHEMA_VERSION {
        error(
            &mut out,
            "schema_version".into(),
            format!("{} is not supported (this build reads {PROFILE_SCHEMA_VERSION})", p.schema_version),
        );
    }
    if p.status != ProfileStatus::SummaryOnly && p.devices.is_empty() {
        error(&mut out, "devices".into(), format!("a {:?} profile needs samples", p.status).to_ascii_lowercase());
    }
    let mut total = 0.0;
    for (d, dev) in p.devices.iter().enumerate() {
        let s = &dev.samples;
        let at = |what: &str| format!("devices[{d}].samples.{what}");
        if s.len() > MAX_SAMPLES_PER_DEVICE {
            error(
                &mut out,
                at("t_ms"),
                format!("{} samples is more than the {MAX_SAMPLES_PER_DEVICE} allowed", s.len()),
            );
            continue;
        }
        if s.power_w.len() != s.t_ms.len() {
            error(&mut out, at("power_w"), format!("{} values for {} times", s.power_w.len(), s.t_ms.len()));
            continue;
        }
        for (name, col) in [
            ("utilisation_pct", &s.utilisation_pct),
            ("memory_used_mib", &s.memory_used_mib),
            ("temperature_c", &s.temperature_c),
            ("sm_clock_mhz", &s.sm_clock_mhz),
            ("energy_counter_j", &s.energy_counter_j),
        ] {
            if let Some(c) = col {
                if c.len() != s.t_ms.len() {
                    error(&mut out, at(name), format!("{} values for {} times", c.len(), s.t_ms.len()));
                }
            }
        }
        if let Some(i) = s.t_ms.windows(2).position(|w| w[1] <= w[0]) {
            error(
                &mut out,
                at(&format!("t_ms[{}]", i + 1)),
                format!("time {} ms does not increase after {} ms", s.t_ms[i + 1], s.t_ms[i]),
            );
        }
        // The recorded power limit, else the catalogue GPU's TDP: a 1 MW sample is an error either way.
        let limit = dev.gpu.power_limit_w.or(p.meta.gpu.power_limit_w).or_else(|| {
            let id = dev.gpu.catalog_id.as_ref().or(p.meta.gpu.catalog_id.as_ref())?;
            catalog.gpu(id)?.tdp_w
        });
        let mut bad = 0;
        for (i, w) in s.power_w.iter().enumerate() {
            let ok = w.is_finite() && *w >= 0.0 && limit.is_none_or(|l| *w <= 2.0 * l);
            if !ok {
                bad += 1;
                if bad <= 5 {
                    let range = limit.map_or("≥ 0".to_string(), |l| {
                        format!("within [0, {}] (2 × the {l} W limit or TDP)", 2.0 * l)
                    });
                    error(&mut out, at(&format!("power_w[{i}]")), format!("{w} W is not {range}"));
                }
            }
        }
        if bad > 5 {
            error(&mut out, at("power_w"), format!("{bad} power values out of range in all"));
        }
        let integrated = s.integrated_energy_j();
        let energy = if p.calibration.energy_source == EnergySource::Counter { dev.energy_j } else { integrated };
        if p.calibration.energy_source != EnergySource::Counter
            && (dev.energy_j - integrated).abs() > 0.01 * integrated.max(1.0)
        {
            error(
                &mut out,
                format!("devices[{d}].energy_j"),
                format!("{} J differs from the samples' integral {integrated:.1} J by more than 1 %", dev.energy_j),
            );
        }
        total += energy;
        if let Some(id) = &dev.gpu.catalog_id {
            if catalog.gpu(id).is_none() {
                out.push(Problem {
                    severity: Severity::Warning,
                    location: format!("devices[{d}].gpu.catalog_id"),
                    message: format!("\"{id}\" is not in the GPU catalogue"),
                });
            }
        }
    }
    if !p.devices.is_empty() && (p.summary.energy_j - total).abs() > 0.01 * total.max(1.0) {
        error(
            &mut out,
            "summary.energy_j".into(),
            format!("{} J differs from the devices' {total:.1} J by more than 1 %", p.summary.energy_j),
        );
    }
    if !(p.summary.energy_j.is_finite() && p.summary.energy_j >= 0.0) {
        error(&mut out, "summary.energy_j".into(), format!("{} is not a finite energy ≥ 0", p.summary.energy_j));
    }
    if !(p.summary.duration_s.is_finite() && p.summary.duration_s >= 0.0) {
        error(&mut out, "summary.duration_s".into(), format!("{} is not a finite duration ≥ 0", p.summary.duration_s));
    }
    for (i, e) in p.epochs.iter().enumerate() {
        if e.end_t_ms < e.start_t_ms {
            error(
                &mut out,
                format!("epochs[{i}]"),
                format!("ends at {} ms before it starts at {} ms", e.end_t_ms, e.start_t_ms),
            );
        }
        if i > 0 && (e.start_t_ms < p.epochs[i - 1].end_t_ms || e.index <= p.epochs[i - 1].index) {
            error(&mut out, format!("epochs[{i}]"), format!("epoch {} is out of order", e.index));
        }
    }
    use crate::scenario::Mode;
    let mode = p.meta.mode.as_deref();
    if let Some(m) = mode.filter(|m| Mode::named(m).is_none()) {
        error(&mut out, "meta.mode".into(), format!("\"{m}\" is not pretrain, finetune or lora"));
    }
    if p.meta.lora_rank.is_some() && mode.and_then(Mode::named) != Some(Mode::Lora) {
        error(&mut out, "meta.lora_rank".into(), "applies to mode lora only".into());
    }
    if let Some(id) = &p.meta.arch_id {
        if catalog.arch(id).is_none() {
            out.push(Problem {
                severity: Severity::Warning,
                location: "meta.arch_id".into(),
                message: format!("\"{id}\" is not in the architecture catalogue"),
            });
        }
    }
    if p.meta.gpu.catalog_id.as_deref().is_some_and(|id| catalog.gpu(id).is_none()) {
        out.push(Problem {
            severity: Severity::Warning,
            location: "meta.gpu.catalog_id".into(),
            message: "not in the GPU catalogue".into(),
        });
    }
    out
}

fn error(out: &mut Vec<Problem>, location: String, message: String) {
    out.push(Problem { severity: Severity::Error, location, message });
}
