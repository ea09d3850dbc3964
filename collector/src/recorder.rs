//! The recorder that a library can drive: it owns a `PowerSource` and the samples, and is advanced by its
//! caller's clock: `tick(now_ms)` samples once (and checkpoints, and makes the status line, when due),
//! `epoch_end(now_ms)` marks an epoch, `status()` tells the live figures and STEP projection, and
//! `finish(..)` writes the profile. `record.rs` drives it for a child process (the CLI); the Python
//! package drives it from a sampling thread. Nothing recorded is lost: every checkpoint is a valid
//! profile with status `interrupted`, replaced by the final one, and a final write that fails falls back
//! to the temporary folder.

use std::path::{Path, PathBuf};

use estimator::catalog::Catalog;
use estimator::format::human;
use estimator::methods::step::{forecast_end_ms, step_power, Basis, Stability, StableConfig, StableDetector};
use estimator::profile::{
    Calibration, Capabilities, DeviceTrace, EnergySource, EpochMark, GpuInfo, JobInfo, Profile, ProfileStatus,
    Provenance, RunMeta, Samples,
};
use thiserror::Error;

use crate::error::FlagError;
use crate::source::{PowerSource, Reading, SourceError};

/// How to record.
#[derive(Debug, Clone)]
pub struct RecorderOptions {
    /// Sampling interval, ms (the profile's nominal interval; the caller keeps the pace).
    pub interval_ms: u64,
    /// Checkpoint period, s.
    pub checkpoint_s: f64,
    /// Status-line period, s (0 = none).
    pub status_s: f64,
    /// Where the profile goes.
    pub output: PathBuf,
    /// Run metadata.
    pub meta: RunMeta,
    /// Driver version, for the profile.
    pub driver: Option<String>,
    /// The distributed job this node's recording belongs to, if any.
    pub job: Option<JobInfo>,
}

/// How a recording ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    /// The run finished.
    Complete,
    /// The run was cut short, and why (a signal, an exception, a lost GPU).
    Interrupted(String),
}

/// Why recording could not start or its profile could not be saved.
#[derive(Debug, Error)]
pub enum RecordError {
    /// The source has no GPU.
    #[error("no GPU to sample")]
    NoDevices,
    /// Neither the output nor the fallback could be written.
    #[error("the profile could not be written to {output} nor to {fallback} ({detail}); {kept}")]
    Lost {
        /// The output asked for.
        output: String,
        /// The fallback tried.
        fallback: String,
        /// The last error.
        detail: String,
        /// What is left (the last checkpoint).
        kept: String,
    },
    /// The output could not be written; the profile is in the fallback.
    #[error("the profile could not be written to {output}; it is in {fallback}")]
    Fallback {
        /// The output asked for.
        output: String,
        /// Where it is.
        fallback: PathBuf,
    },
}

/// What a tick produced for the caller to show.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tick {
    /// Messages (a skipped sample, a failed checkpoint), without the `[wattcast]` prefix.
    pub notices: Vec<String>,
    /// The status line, when one is due.
    pub status_line: Option<String>,
}

impl Tick {
    /// Shows the tick on stderr: each notice with the `[wattcast]` prefix, then the status line.
    pub fn print(&self) {
        for n in &self.notices {
            eprintln!("[wattcast] {n}");
        }
        if let Some(line) = &self.status_line {
            eprintln!("{line}");
        }
    }
}

/// What a live status waits for before it can project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// Power has not settled yet.
    StablePower,
    /// The run's planned epochs were not given.
    PlannedEpochs,
    /// No epoch has ended yet.
    FirstEpochMark,
    /// The stable stretch is too short for the run's length.
    LongerStretch,
}

impl Waiting {
    /// What it waits for, in words (`mon.status().waiting_for`).
    pub fn as_str(self) -> &'static str {
        match self {
            Waiting::StablePower => "stable power",
            Waiting::PlannedEpochs => "the planned epochs",
            Waiting::FirstEpochMark => "the first epoch mark",
            Waiting::LongerStretch => "a longer stable stretch",
        }
    }
}

/// The live figures of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveStatus {
    /// Time recorded, s (on the source's clock).
    pub elapsed_s: f64,
    /// Energy so far, J (all GPUs).
    pub energy_j: f64,
    /// Mean power so far, W.
    pub mean_power_w: f64,
    /// Epochs marked.
    pub epochs: u32,
    /// Since when the power has been stable, s; `None` while not stable.
    pub stable_since_s: Option<f64>,
    /// STEP's projection of the whole run, when the run's length is known and the power is stable.
    pub projection: Option<LiveProjection>,
    /// Why there is no projection, when there is none.
    pub waiting_for: Option<Waiting>,
}

/// STEP's projection of the whole run's energy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveProjection {
    /// Projected energy, J.
    pub energy_j: f64,
    /// Interval, J.
    pub low_j: f64,
    /// Interval, J.
    pub high_j: f64,
    /// The planned epochs it projects to.
    pub epochs: u32,
    /// Which regime: settled, early, or latest (power changed within the last minute).
    pub basis: Basis,
}

impl LiveProjection {
    /// Whether it rests on a short regime (its interval is a held-out band, wider).
    pub fn early(&self) -> bool {
        self.basis != Basis::Settled
    }
}

/// Per-device columns being filled.
#[derive(Default)]
struct Series {
    samples: Samples,
    counter: Vec<Option<f64>>,
}

impl Series {
    fn push(&mut self, r: &Reading) {
        let s = &mut self.samples;
        let n = s.t_ms.len();
        s.t_ms.push(r.t_ms);
        s.power_w.push((r.power_w * 100.0).round() / 100.0);
        for (col, v) in [
            (&mut s.utilisation_pct, r.utilisation_pct),
            (&mut s.memory_used_mib, r.memory_used_mib),
            (&mut s.temperature_c, r.temperature_c),
            (&mut s.sm_clock_mhz, r.sm_clock_mhz),
        ] {
            if let Some(v) = v {
                // A column appears with its first reading; earlier samples of it repeat that reading.
                col.get_or_insert_with(|| vec![v; n]).push(v);
            } else if let Some(c) = col.as_mut() {
                let last = c.last().copied().unwrap_or(0.0);
                c.push(last);
            }
        }
        self.counter.push(r.energy_counter_j);
    }

    /// Energy over the run by the counter: its rise from its first to its last reading, plus the power
    /// integrated over the edges it does not cover (a live source reads the counter every few seconds, as one
    /// read can cost milliseconds of CPU). `None` if it was read fewer than twice or ever went backwards.
    fn counter_j(&self) -> Option<f64> {
        let first = self.counter.iter().position(Option::is_some)?;
        let last = self.counter.iter().rposition(Option::is_some)?;
        let read: Vec<f64> = self.counter[first..=last].iter().flatten().copied().collect();
        if last == first || read.windows(2).any(|w| w[1] < w[0]) {
            return None;
        }
        let (t, p) = (&self.samples.t_ms, &self.samples.power_w);
        let edges_j = estimator::profile::trapezoid_j(&t[..=first], &p[..=first])
            + estimator::profile::trapezoid_j(&t[last..], &p[last..]);
        Some(read[read.len() - 1] - read[0] + edges_j)
    }
}

/// The recorder. `Send`, so that a sampling thread can own it behind a mutex.
pub struct Recorder {
    src: Box<dyn PowerSource + Send>,
    opts: RecorderOptions,
    /// Catalogue ids of the devices, resolved once.
    catalog_ids: Vec<Option<String>>,
    series: Vec<Series>,
    total_t_ms: Vec<u64>,
    total_power_w: Vec<f64>,
    last_power: Vec<f64>,
    last_t: Vec<Option<u64>>,
    epoch_ends: Vec<u64>,
    problems: Vec<String>,
    detector: StableDetector,
    idle_sums_w: Vec<f64>,
    sampling: bool,
    interrupted: Option<String>,
    last_checkpoint_ms: u64,
    /// Time between checkpoints, ms: `checkpoint_s`, or longer once writing one takes long (see `checkpoint_gap_ms`).
    checkpoint_gap_ms: u64,
    last_status_ms: u64,
    /// The last checkpoint written to the output: (samples, ms recorded).
    checkpointed: Option<(usize, u64)>,
}

impl Recorder {
    /// A recorder over `src`; the clock starts at 0 for the caller's first `tick`.
    pub fn new(
        src: Box<dyn PowerSource + Send>,
        opts: RecorderOptions,
        catalog: &Catalog,
    ) -> Result<Recorder, RecordError> {
        let n = src.devices().len();
        if n == 0 {
            return Err(RecordError::NoDevices);
        }
        let catalog_ids =
            src.devices().iter().map(|d| catalog.gpu_by_nvml_name(&d.name).map(|g| g.id.clone())).collect();
        let opts_checkpoint_s = opts.checkpoint_s;
        Ok(Recorder {
            src,
            opts,
            catalog_ids,
            series: (0..n).map(|_| Series::default()).collect(),
            total_t_ms: Vec::new(),
            total_power_w: Vec::new(),
            last_power: vec![0.0; n],
            last_t: vec![None; n],
            epoch_ends: Vec::new(),
            problems: Vec::new(),
            detector: StableDetector::new(StableConfig::default()),
            idle_sums_w: Vec::new(),
            sampling: true,
            interrupted: None,
            last_checkpoint_ms: 0,
            checkpoint_gap_ms: checkpoint_gap_ms(opts_checkpoint_s, 0),
            last_status_ms: 0,
            checkpointed: None,
        })
    }

    /// The options it records with.
    pub fn options(&self) -> &RecorderOptions {
        &self.opts
    }

    /// The idle calibration before the run starts: reads the GPUs every interval for `idle_s` seconds (wall
    /// clock, blocking) and keeps their summed power. The run's clock still starts at the caller's first `tick`.
    pub fn calibrate_idle(&mut self, idle_s: f64) {
        let interval = std::time::Duration::from_millis(self.opts.interval_ms.max(1));
        let start = std::time::Instant::now();
        while start.elapsed().as_secs_f64() < idle_s {
            if let Ok(r) = self.src.read(start.elapsed().as_millis() as u64) {
                self.idle_sums_w.push(r.iter().map(|x| x.power_w).sum());
            }
            std::thread::sleep(interval);
        }
    }

    /// Samples once at `now_ms` (the caller's clock, ms since the run started), checkpoints and makes the
    /// status line when they are due.
    pub fn tick(&mut self, now_ms: u64) -> Tick {
        let mut out = Tick::default();
        if self.sampling {
            match self.src.read(now_ms) {
                Ok(r) => self.push(&r),
                Err(SourceError::Ended) => self.sampling = false,
                Err(e @ SourceError::DeviceLost { .. }) => {
                    out.notices.push(format!("{e}; sampling stopped, the run keeps going"));
                    self.problems.push(format!("sampling stopped at {now_ms} ms: {e}"));
                    self.interrupted.get_or_insert_with(|| e.to_string());
                    self.sampling = false;
                }
                Err(e) => {
                    if self.problems.len() < 20 {
                        self.problems.push(format!("{now_ms} ms: {e} (sample skipped)"));
                    }
                    out.notices.push(format!("{e}; sample skipped"));
                }
            }
        }
        if now_ms.saturating_sub(self.last_checkpoint_ms) >= self.checkpoint_gap_ms {
            self.last_checkpoint_ms = now_ms;
            let started = std::time::Instant::now();
            let written = self.checkpoint();
            self.checkpoint_gap_ms = checkpoint_gap_ms(self.opts.checkpoint_s, started.elapsed().as_millis() as u64);
            if let Err(e) = written {
                out.notices.push(format!(
                    "cannot write the checkpoint to {}: {e:#}; still recording",
                    self.opts.output.display()
                ));
            }
        }
        if self.opts.status_s > 0.0 && now_ms.saturating_sub(self.last_status_ms) as f64 >= self.opts.status_s * 1000.0
        {
            self.last_status_ms = now_ms;
            out.status_line = Some(self.status_line());
        }
        out
    }

    /// Marks an epoch's end at `now_ms`: stamped on the source's clock (a replay's runs faster), never after
    /// the last sample.
    pub fn epoch_end(&mut self, now_ms: u64) {
        let last_sample = self.total_t_ms.last().copied().unwrap_or(0);
        self.epoch_ends.push(self.src.source_time_ms(now_ms).min(last_sample));
        self.epoch_ends.sort_unstable();
    }

    /// Marks an epoch's end at the last sample (marks seen only after the run ended).
    pub fn epoch_end_at_last_sample(&mut self) {
        self.epoch_ends.push(self.total_t_ms.last().copied().unwrap_or(0));
    }

    /// Notes that the run is being cut short (a signal arrived); the profile will say `interrupted`.
    pub fn interrupt(&mut self, why: impl Into<String>) {
        self.interrupted.get_or_insert_with(|| why.into());
    }

    /// One last sample with every field, the energy counter too, right after the run ended (skipped once
    /// sampling has stopped).
    pub fn final_sample(&mut self, now_ms: u64) {
        if self.sampling {
            if let Ok(r) = self.src.read_final(now_ms) {
                self.push(&r);
            }
        }
    }

    fn push(&mut self, readings: &[Reading]) {
        for r in readings {
            if r.device >= self.series.len() || !r.power_w.is_finite() || r.power_w < 0.0 {
                continue;
            }
            if self.last_t[r.device].is_some_and(|t| r.t_ms <= t) {
                if self.problems.iter().all(|p| !p.starts_with("clock")) {
                    self.problems.push(format!("clock went back at {} ms: out-of-order samples dropped", r.t_ms));
                }
                continue;
            }
            self.last_t[r.device] = Some(r.t_ms);
            self.series[r.device].push(r);
            self.last_power[r.device] = r.power_w;
            if r.device == 0 {
                let sum: f64 = self.last_power.iter().sum();
                self.total_t_ms.push(r.t_ms);
                self.total_power_w.push(sum);
                self.detector.push(r.t_ms, sum);
            }
        }
    }

    fn energy_j(&self) -> f64 {
        self.series.iter().map(|s| s.samples.integrated_energy_j()).sum()
    }

    /// The live figures: energy so far, mean power, stability and, when the run's length is known, STEP's
    /// projection with its interval.
    pub fn status(&self) -> LiveStatus {
        let energy_j = self.energy_j();
        let elapsed_s = match (self.total_t_ms.first(), self.total_t_ms.last()) {
            (Some(a), Some(b)) => (b - a) as f64 / 1000.0,
            _ => 0.0,
        };
        let planned = self.opts.meta.planned_epochs;
        let mut status = LiveStatus {
            elapsed_s,
            energy_j,
            mean_power_w: if elapsed_s > 0.0 { energy_j / elapsed_s } else { 0.0 },
            epochs: self.epoch_ends.len() as u32,
            stable_since_s: None,
            projection: None,
            waiting_for: None,
        };
        if let Stability::Stable { since_t_ms, .. } = self.detector.state() {
            status.stable_since_s = Some(since_t_ms as f64 / 1000.0);
        }
        // STEP decides for itself whether a regime is long enough: its early fallback (10 s windows) can project
        // before the live detector (30 s windows) calls the power stable.
        let total_ms = planned.and_then(|n| self.forecast_end_ms(n));
        match total_ms.and_then(|t| step_power(StableConfig::default(), &self.total_t_ms, &self.total_power_w, t)) {
            Some(p) => {
                status.projection = Some(LiveProjection {
                    energy_j: p.energy_j,
                    low_j: p.low_j,
                    high_j: p.high_j,
                    epochs: planned.unwrap_or(0),
                    basis: p.basis,
                })
            }
            None if status.stable_since_s.is_none() => status.waiting_for = Some(Waiting::StablePower),
            None if planned.is_none() => status.waiting_for = Some(Waiting::PlannedEpochs),
            None if self.epoch_ends.is_empty() => status.waiting_for = Some(Waiting::FirstEpochMark),
            None => status.waiting_for = Some(Waiting::LongerStretch),
        }
        status
    }

    /// When the run of `planned` epochs should end, ms ([`forecast_end_ms`]).
    fn forecast_end_ms(&self, planned: u32) -> Option<u64> {
        forecast_end_ms(self.total_t_ms.first().copied().unwrap_or(0), &self.epoch_ends, planned)
    }

    /// The status line: energy so far, mean power, stability and the projection.
    pub fn status_line(&self) -> String {
        let st = self.status();
        let mut s = format!(
            "[wattcast] {} · {} kJ · mean {} W",
            clock(st.elapsed_s),
            human(st.energy_j / 1000.0),
            human(st.mean_power_w)
        );
        if let Some(since) = st.stable_since_s {
            s.push_str(&format!(" · stable since {}", clock(since)));
        }
        match st.projection {
            Some(p) => s.push_str(&format!(
                " · projected {} kJ ({}–{}) for {} epochs{}",
                human(p.energy_j / 1000.0),
                human(p.low_j / 1000.0),
                human(p.high_j / 1000.0),
                p.epochs,
                match p.basis {
                    Basis::Settled => "",
                    Basis::Early => " (early: short regime, wide interval)",
                    Basis::Latest => " (provisional: power changed recently, wide interval)",
                }
            )),
            None => s.push_str(match st.waiting_for {
                Some(Waiting::StablePower) => " · not stable yet",
                Some(Waiting::PlannedEpochs) => " · give the planned epochs for a projection",
                Some(Waiting::FirstEpochMark) => " · projection after the first epoch mark",
                _ => " · not stable for long enough to project yet",
            }),
        }
        s
    }

    /// Writes the profile as it stands (status `interrupted`) to the output.
    fn checkpoint(&mut self) -> anyhow::Result<()> {
        let p = self.profile(ProfileStatus::Interrupted, None);
        crate::profiles::write(&self.opts.output, &p)?;
        self.checkpointed = Some((self.total_t_ms.len(), self.total_t_ms.last().copied().unwrap_or(0)));
        Ok(())
    }

    /// Ends the recording and writes the profile: to the output, else to a file in the temporary folder
    /// (named by the error). Returns where it went and the profile.
    pub fn finish(mut self, how: Finish, exit_code: Option<i32>) -> Result<(PathBuf, Profile), RecordError> {
        if let Finish::Interrupted(why) = how {
            self.interrupt(why);
        }
        let status = if self.interrupted.is_some() { ProfileStatus::Interrupted } else { ProfileStatus::Complete };
        if let Some(why) = self.interrupted.clone() {
            self.problems.push(format!("interrupted: {why}"));
        }
        let profile = self.profile(status, exit_code);
        let output = &self.opts.output;
        match crate::profiles::write(output, &profile) {
            Ok(()) => Ok((output.clone(), profile)),
            Err(e) => {
                let fallback = std::env::temp_dir().join(format!("wattcast-{}.json", std::process::id()));
                eprintln!("[wattcast] cannot write {}: {e:#}", output.display());
                if let Err(e2) = crate::profiles::write(&fallback, &profile) {
                    let kept = match self.checkpointed {
                        Some((n, ms)) => format!(
                            "the last checkpoint, {n} samples up to {:.1} s, is in {}",
                            ms as f64 / 1000.0,
                            output.display()
                        ),
                        None => "no checkpoint could be written either".to_string(),
                    };
                    return Err(RecordError::Lost {
                        output: output.display().to_string(),
                        fallback: fallback.display().to_string(),
                        detail: format!("{e2:#}"),
                        kept,
                    });
                }
                eprintln!("[wattcast] the profile was saved to {} instead", fallback.display());
                Err(RecordError::Fallback { output: output.display().to_string(), fallback })
            }
        }
    }

    /// The profile as it stands.
    pub fn profile(&self, status: ProfileStatus, exit: Option<i32>) -> Profile {
        let infos = self.src.devices();
        let counters: Vec<Option<f64>> = self.series.iter().map(Series::counter_j).collect();
        let counter_ok = counters.iter().all(Option::is_some);
        let counter_total: f64 = counters.iter().flatten().sum();
        let integrated_each: Vec<f64> = self.series.iter().map(|s| s.samples.integrated_energy_j()).collect();
        let integrated: f64 = integrated_each.iter().sum();
        let use_counter = counter_ok && counter_total > 0.0;
        let mut devices = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            let mut samples = s.samples.clone();
            // The per-sample column only where the counter was read with every sample (a replayed trace).
            let every: Option<Vec<f64>> = s.counter.iter().copied().collect();
            if let (Some(every), true) = (every, counters[i].is_some()) {
                let first = every.first().copied().unwrap_or(0.0);
                samples.energy_counter_j =
                    Some(every.iter().map(|c| ((c - first) * 1000.0).round() / 1000.0).collect());
            }
            let info = infos.get(i);
            let energy_j = if use_counter { counters[i].unwrap_or(0.0) } else { integrated_each[i] };
            devices.push(DeviceTrace {
                index: info.map_or(i as u32, |d| d.index),
                host: self.opts.job.as_ref().and_then(|j| j.host.clone()),
                gpu: GpuInfo {
                    catalog_id: self.catalog_ids.get(i).cloned().flatten(),
                    nvml_name: info.map(|d| d.name.clone()),
                    uuid: info.and_then(|d| d.uuid.clone()),
                    driver: self.opts.driver.clone(),
                    power_limit_w: info.and_then(|d| d.power_limit_w),
                },
                energy_j,
                samples,
            });
        }
        let t0 = self.total_t_ms.first().copied().unwrap_or(0);
        let energy_to = |t: u64| {
            self.series
                .iter()
                .map(|s| {
                    let k = s.samples.t_ms.partition_point(|x| *x <= t);
                    estimator::profile::trapezoid_j(&s.samples.t_ms[..k], &s.samples.power_w[..k])
                })
                .sum::<f64>()
        };
        let mut epochs = Vec::new();
        let (mut start, mut energy_at_start) = (t0, energy_to(t0));
        for (i, &end) in self.epoch_ends.iter().enumerate() {
            let energy_at_end = energy_to(end);
            epochs.push(EpochMark {
                index: i as u32,
                start_t_ms: start,
                end_t_ms: end,
                energy_j: Some(((energy_at_end - energy_at_start) * 10.0).round() / 10.0),
            });
            (start, energy_at_start) = (end, energy_at_end);
        }
        let mut detail = vec![format!("source: {}", self.src.describe())];
        detail.extend(self.problems.iter().cloned());
        let energy_counter = infos.iter().all(|d| d.energy_counter) && !infos.is_empty();
        let calibration = Calibration {
            idle_power_w: (!self.idle_sums_w.is_empty())
                .then(|| self.idle_sums_w.iter().sum::<f64>() / self.idle_sums_w.len() as f64),
            interval_ms: Some(self.opts.interval_ms as f64),
            energy_source: if use_counter { EnergySource::Counter } else { EnergySource::Integrated },
            counter_vs_integrated_pct: (use_counter && integrated > 0.0)
                .then(|| (counter_total - integrated) / integrated * 100.0),
            capabilities: Capabilities { energy_counter, ..Capabilities::default() },
        };
        let mut p = Profile::from_traces(
            profile_id(&self.opts.output),
            status,
            self.opts.meta.clone(),
            calibration,
            devices,
            epochs,
            Provenance {
                source: format!("recorded with wattcast {}", env!("CARGO_PKG_VERSION")),
                licence: "CC-BY-4.0".into(),
                citation: "contributed measurement".into(),
                detail: Some(detail.join("; ")),
            },
        );
        p.exit_code = exit;
        p.job = self.opts.job.clone();
        p
    }
}

/// Checks the recording periods, named as the caller names them (`--checkpoint-s`, `checkpoint_s`): each a
/// number of seconds ≥ 0, checkpoints at most once a second.
pub fn check_periods(
    idle: (&'static str, f64),
    checkpoint: (&'static str, f64),
    status: (&'static str, f64),
) -> Result<(), FlagError> {
    for (name, v) in [idle, checkpoint, status] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(FlagError::new(name, &v, "expected a number of seconds ≥ 0"));
        }
    }
    if checkpoint.1 < 1.0 {
        return Err(FlagError::new(
            checkpoint.0,
            &checkpoint.1,
            "checkpoints more often than every second would slow the run",
        ));
    }
    Ok(())
}

/// The idle calibration to run before recording, seconds: none while replaying (a trace holds its own idle
/// samples), with the note that says so when one was asked for. The CLI and the Python package both follow it.
pub fn idle_calibration_s(idle_s: f64, replaying: bool) -> (f64, Option<&'static str>) {
    match (replaying, idle_s > 0.0) {
        (true, true) => (0.0, Some("replaying: no idle calibration (the trace holds its own idle samples)")),
        (true, false) => (0.0, None),
        (false, _) => (idle_s, None),
    }
}

/// Time to the next checkpoint, ms: `checkpoint_s`, or 100 × how long the last one took to write, whichever is
/// longer, so that checkpoints never take more than 1 % of the run (a day at 10 Hz on 8 GPUs is hundreds of MB of
/// JSON: rewritten every 30 s it would take a core's worth of seconds each time).
pub fn checkpoint_gap_ms(checkpoint_s: f64, last_write_ms: u64) -> u64 {
    ((checkpoint_s * 1000.0) as u64).max(last_write_ms.saturating_mul(100))
}

/// A profile's id from its file name (`run.node1.json.gz` → `run.node1`).
pub fn profile_id(output: &Path) -> String {
    output
        .file_name()
        .map_or("profile".into(), |n| n.to_string_lossy().trim_end_matches(".gz").trim_end_matches(".json").to_string())
}

/// `hh:mm:ss`.
fn clock(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::scripted::{Scripted, Step};

    fn recorder(steps: Vec<Step>, name: &str, checkpoint_s: f64) -> Recorder {
        let dir = std::env::temp_dir().join(format!("wattcast-unit-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let opts = RecorderOptions {
            interval_ms: 100,
            checkpoint_s,
            status_s: 0.0,
            output: dir.join("p.json"),
            meta: RunMeta { n_gpus: 1, planned_epochs: Some(4), ..RunMeta::default() },
            driver: None,
            job: None,
        };
        Recorder::new(Box::new(Scripted::new(2, steps)), opts, &Catalog::embedded().unwrap()).unwrap()
    }

    /// Ticks at 0, 100, … ms, `n` times.
    fn run(r: &mut Recorder, from: u64, n: u64) -> Vec<Tick> {
        (0..n).map(|i| r.tick(from + i * 100)).collect()
    }

    #[test]
    fn nvml_errors_mid_run_skip_samples_and_are_noted() {
        let mut r = recorder(vec![Step::Power(100.0), Step::Power(100.0), Step::Error, Step::Power(100.0)], "e", 60.0);
        let ticks = run(&mut r, 0, 6);
        assert_eq!(ticks[2].notices.len(), 1, "{ticks:?}");
        assert!(ticks[2].notices[0].contains("sample skipped"));
        let (_, p) = r.finish(Finish::Complete, Some(0)).unwrap();
        assert_eq!(p.status, ProfileStatus::Complete);
        assert!(p.provenance.detail.as_deref().unwrap().contains("Unknown Error"));
        assert_eq!(p.devices.len(), 2);
        assert_eq!(p.devices[0].samples.len(), 5, "six reads, one failed");
        assert_eq!(p.devices[0].gpu.catalog_id.as_deref(), Some("nvidia-h100-sxm"));
        // Two GPUs at 100 W from 0 to 500 ms (the failed read at 200 ms is bridged).
        assert!((p.summary.energy_j - 100.0).abs() < 1e-9, "{}", p.summary.energy_j);
    }

    #[test]
    fn a_sparsely_read_energy_counter_gives_the_total_with_the_edges_integrated() {
        use Step::{Counted as C, Power as P};
        // Two GPUs at 100 W, ticks every 100 ms from 0 to 1000 ms. Expected energy per GPU and source.
        let cases: [(&str, Vec<Step>, f64, EnergySource); 4] = [
            // The counter read at 200 and 700 ms rose 100 J; the edges (0–200, 700–1000 ms at 100 W) add 50 J.
            (
                "sparse",
                vec![
                    P(100.0),
                    P(100.0),
                    C(100.0, 1000.0),
                    P(100.0),
                    P(100.0),
                    P(100.0),
                    P(100.0),
                    C(100.0, 1100.0),
                    P(100.0),
                ],
                150.0,
                EnergySource::Counter,
            ),
            // Read with every sample: its rise alone.
            ("every", (0..11).map(|i| C(100.0, 500.0 + 30.0 * f64::from(i))).collect(), 300.0, EnergySource::Counter),
            // Read once: no rise to take; the power is integrated.
            ("once", vec![C(100.0, 1000.0), P(100.0)], 100.0, EnergySource::Integrated),
            // A counter that goes back (a reset) is not trusted.
            ("reset", vec![C(100.0, 1000.0), P(100.0), C(100.0, 10.0), P(100.0)], 100.0, EnergySource::Integrated),
        ];
        for (name, steps, per_gpu_j, source) in cases {
            let mut r = recorder(steps, &format!("c-{name}"), 60.0);
            run(&mut r, 0, 11);
            let (_, p) = r.finish(Finish::Complete, Some(0)).unwrap();
            assert_eq!(p.calibration.energy_source, source, "{name}");
            assert!((p.summary.energy_j - 2.0 * per_gpu_j).abs() < 1e-6, "{name}: {}", p.summary.energy_j);
            // The per-sample counter column only when every sample has a reading.
            assert_eq!(p.devices[0].samples.energy_counter_j.is_some(), name == "every", "{name}");
            let problems = estimator::profile::validate(&p, &Catalog::embedded().unwrap());
            assert!(problems.iter().all(|i| i.severity != estimator::profile::Severity::Error), "{name}: {problems:?}");
        }
    }

    #[test]
    fn a_device_that_disappears_stops_sampling_and_keeps_what_was_recorded() {
        let mut r = recorder(vec![Step::Power(200.0), Step::Power(200.0), Step::Power(200.0), Step::Lost], "l", 60.0);
        run(&mut r, 0, 8);
        let (_, p) = r.finish(Finish::Complete, Some(0)).unwrap();
        assert_eq!(p.status, ProfileStatus::Interrupted);
        assert_eq!(p.devices[0].samples.len(), 3);
        assert!(p.provenance.detail.as_deref().unwrap().contains("GPU 0 is gone"));
        assert_eq!(p.exit_code, Some(0), "the run itself finished normally");
    }

    #[test]
    fn a_clock_that_jumps_back_drops_the_out_of_order_samples() {
        let steps = vec![
            Step::Power(50.0),
            Step::Power(50.0),
            Step::Power(50.0),
            Step::ClockBack(10_000, 50.0),
            Step::Power(50.0),
        ];
        let mut r = recorder(steps, "c", 60.0);
        run(&mut r, 0, 5);
        let (_, p) = r.finish(Finish::Complete, None).unwrap();
        assert!(p.devices[0].samples.t_ms.windows(2).all(|w| w[0] < w[1]));
        assert!(p.provenance.detail.as_deref().unwrap().contains("clock went back"));
        assert!(estimator::profile::validate(&p, &Catalog::embedded().unwrap()).is_empty());
    }

    #[test]
    fn checkpoints_follow_the_callers_clock_and_are_interrupted_profiles() {
        let mut r = recorder(vec![Step::Power(100.0)], "k", 1.0);
        let out = r.options().output.clone();
        run(&mut r, 0, 10); // up to 0.9 s: no checkpoint yet
        assert!(!out.exists());
        run(&mut r, 1000, 1); // 1.0 s: the first
        let first = crate::profiles::read_profiles(&out).unwrap().remove(0);
        assert_eq!(first.status, ProfileStatus::Interrupted);
        assert_eq!(first.devices[0].samples.len(), 11);
        run(&mut r, 1100, 10); // up to 2.0 s: the second
        let second = crate::profiles::read_profiles(&out).unwrap().remove(0);
        assert_eq!(second.devices[0].samples.len(), 21);
        let (path, p) = r.finish(Finish::Interrupted("KeyboardInterrupt".into()), None).unwrap();
        assert_eq!(path, out);
        assert_eq!(p.status, ProfileStatus::Interrupted);
        assert!(p.provenance.detail.unwrap().contains("interrupted: KeyboardInterrupt"));
    }

    #[test]
    fn a_replay_skips_the_idle_calibration_and_says_so_when_one_was_asked_for() {
        assert_eq!(idle_calibration_s(5.0, false), (5.0, None));
        assert_eq!(idle_calibration_s(0.0, true), (0.0, None));
        let (s, note) = idle_calibration_s(5.0, true);
        assert_eq!(s, 0.0);
        assert!(note.is_some_and(|n| n.contains("no idle calibration")));
    }

    #[test]
    fn checkpoints_slow_down_when_writing_them_takes_long() {
        for (checkpoint_s, write_ms, gap_ms) in
            [(30.0, 0, 30_000), (30.0, 200, 30_000), (30.0, 2_000, 200_000), (1.0, 15, 1_500)]
        {
            assert_eq!(checkpoint_gap_ms(checkpoint_s, write_ms), gap_ms, "{checkpoint_s} s, {write_ms} ms");
        }
    }

    #[test]
    fn epoch_marks_give_the_live_projection() {
        let mut r = recorder(vec![Step::Power(150.0)], "p", 600.0);
        for epoch in 0..2u64 {
            run(&mut r, epoch * 60_000, 600);
            r.epoch_end(epoch * 60_000 + 59_900);
        }
        let st = r.status();
        assert_eq!(st.epochs, 2);
        assert!(st.stable_since_s.is_some(), "{st:?}");
        let p = st.projection.expect("two epochs of flat power project");
        // 4 planned epochs of 59.9 s at 300 W.
        let expected = 300.0 * 59.9 * 4.0;
        assert!((p.energy_j - expected).abs() / expected < 0.01, "{p:?}");
        assert!(p.low_j <= p.energy_j && p.energy_j <= p.high_j);
        assert!(r.status_line().contains("projected"), "{}", r.status_line());
        let (_, prof) = r.finish(Finish::Complete, Some(0)).unwrap();
        assert_eq!(prof.epochs.len(), 2);
        assert_eq!(prof.meta.completed_epochs, Some(2));
    }

    /// The forecast end leaves out the first epoch's warm-up: 100 s, then epochs of 60 s, 10 planned.
    #[test]
    fn the_first_epochs_warm_up_does_not_stretch_the_forecast() {
        let mut r = recorder(vec![Step::Power(150.0)], "warm", 600.0);
        r.opts.meta.planned_epochs = Some(10);
        run(&mut r, 0, 2_801);
        for end_s in [100, 160, 220, 280] {
            r.epoch_end(end_s * 1000);
        }
        // 280 s + 6 × 60 s = 640 s, not 10 × the mean 70 s = 700 s.
        assert_eq!(r.forecast_end_ms(10), Some(640_000));
        let (st, p) = (r.status(), r.status().projection.expect("flat power projects"));
        assert!((p.energy_j / st.energy_j - 640.0 / 280.0).abs() < 0.02, "{p:?} after {} J", st.energy_j);
        // One epoch: its own length.
        let mut r = recorder(vec![Step::Power(150.0)], "one", 600.0);
        run(&mut r, 0, 501);
        r.epoch_end(50_000);
        assert_eq!(r.forecast_end_ms(4), Some(200_000));
    }

    /// STEP's early projection shows as soon as STEP can make it (three 10 s windows), before the live
    /// detector's three 30 s windows call the power stable.
    #[test]
    fn an_early_projection_shows_before_the_live_detector_is_stable() {
        let mut r = recorder(vec![Step::Power(150.0)], "early", 600.0);
        r.opts.meta.planned_epochs = Some(100); // 100 epochs of 10 s: 35 s is 3.5 % of the run
        let mut st = r.status();
        assert_eq!(st.waiting_for, Some(Waiting::StablePower), "{st:?}");
        for epoch in 0..4u64 {
            run(&mut r, epoch * 10_000, 100);
            if epoch < 3 {
                r.epoch_end(epoch * 10_000 + 9_900);
            }
            st = r.status();
        }
        assert!(st.stable_since_s.is_none(), "the live detector needs 90 s: {st:?}");
        let p = st.projection.expect("the early regime projects");
        assert!(p.early(), "{p:?}");
        // 100 planned epochs of 9.9 s at 300 W lie inside the interval.
        assert!(p.low_j <= 300.0 * 9.9 * 100.0 * 1.05 && p.high_j >= 300.0 * 9.9 * 100.0 * 0.95, "{p:?}");
        let line = r.status_line();
        assert!(line.contains("projected") && line.contains("early") && !line.contains("not stable"), "{line}");
    }
}
