//! The recorder: runs a training command, samples a `PowerSource` while it runs, marks epochs, prints a
//! live STEP projection, checkpoints the profile, and writes it atomically at the end, whatever happens
//! to the command (a crash, a signal). Nothing recorded is lost: every checkpoint is a valid profile
//! with status `interrupted`, replaced by the final one.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use estimator::catalog::Catalog;
use estimator::format::human;
use estimator::methods::step::{step_power, Stability, StableConfig, StableDetector};
use estimator::profile::{
    Calibration, Capabilities, DeviceTrace, EnergySource, EpochMark, GpuInfo, Profile, ProfileStatus, Provenance,
    RunMeta, Samples, Summary,
};

use crate::source::{PowerSource, Reading, SourceError};

/// How to record.
#[derive(Debug, Clone)]
pub struct Options {
    /// Sampling interval, ms.
    pub interval_ms: u64,
    /// Idle calibration before the command, s (0 = skip).
    pub idle_s: f64,
    /// Checkpoint period, s.
    pub checkpoint_s: f64,
    /// Status-line period, s (0 = quiet).
    pub status_s: f64,
    /// Epoch ends from the command's output.
    pub epoch_regex: Option<regex::Regex>,
    /// Epoch ends appended to this file (exported as `WATTCAST_MARKER`).
    pub marker_file: PathBuf,
    /// Where the profile goes.
    pub output: PathBuf,
    /// Run metadata.
    pub meta: RunMeta,
    /// Driver version, for the profile.
    pub driver: Option<String>,
}

/// What a recording ended with.
#[derive(Debug)]
pub struct Outcome {
    /// The exit code to return (the command's, or 128 + signal).
    pub exit_code: i32,
    /// The signal that killed the command, if one did.
    pub killed_by: Option<nix::sys::signal::Signal>,
    /// Where the profile was written.
    pub written_to: PathBuf,
    /// The profile.
    pub profile: Profile,
}

/// Signals received (SIGINT, SIGTERM), counted by the handlers.
pub struct Signals {
    int: Arc<AtomicUsize>,
    term: Arc<AtomicUsize>,
}

impl Signals {
    /// Installs counting handlers for SIGINT and SIGTERM.
    pub fn install() -> std::io::Result<Signals> {
        let int = Arc::new(AtomicUsize::new(0));
        let term = Arc::new(AtomicUsize::new(0));
        signal_hook::flag::register_usize(signal_hook::consts::SIGINT, int.clone(), 1)?;
        signal_hook::flag::register_usize(signal_hook::consts::SIGTERM, term.clone(), 1)?;
        // A file-size limit (`ulimit -f`) must fail the write (EFBIG, handled like a full disk), not kill the
        // recorder with SIGXFSZ and lose what it holds.
        signal_hook::flag::register(signal_hook::consts::SIGXFSZ, Arc::new(std::sync::atomic::AtomicBool::new(false)))?;
        Ok(Signals { int, term })
    }

    fn take(&self) -> Option<nix::sys::signal::Signal> {
        if self.int.swap(0, Ordering::SeqCst) > 0 {
            Some(nix::sys::signal::Signal::SIGINT)
        } else if self.term.swap(0, Ordering::SeqCst) > 0 {
            Some(nix::sys::signal::Signal::SIGTERM)
        } else {
            None
        }
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
}

/// Lines of output matching the epoch regex, as they arrive.
fn tee(
    mut from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
    re: regex::Regex,
    tx: mpsc::Sender<Instant>,
) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        let mut line: Vec<u8> = Vec::new();
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            // Pass the bytes through unchanged, then look for complete lines (\n or \r: progress bars).
            let _ = to.write_all(&buf[..n]);
            let _ = to.flush();
            for &b in &buf[..n] {
                if b == b'\n' || b == b'\r' {
                    if re.is_match(&String::from_utf8_lossy(&line)) {
                        let _ = tx.send(Instant::now());
                    }
                    line.clear();
                } else if line.len() < 64 * 1024 {
                    line.push(b);
                }
            }
        }
        if !line.is_empty() && re.is_match(&String::from_utf8_lossy(&line)) {
            let _ = tx.send(Instant::now());
        }
    });
}

/// Spawns the command with the marker variable set, teeing its output when a regex is given.
fn spawn(cmd: &[String], opts: &Options) -> anyhow::Result<(Child, Option<mpsc::Receiver<Instant>>)> {
    let (program, args) = cmd.split_first().ok_or_else(|| anyhow::anyhow!("no command given after --"))?;
    let mut c = Command::new(program);
    c.args(args).env("WATTCAST_MARKER", &opts.marker_file);
    if opts.epoch_regex.is_some() {
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let mut child = c.spawn().map_err(|e| anyhow::anyhow!("cannot run \"{program}\": {e}"))?;
    let rx = match &opts.epoch_regex {
        None => None,
        Some(re) => {
            let (tx, rx) = mpsc::channel();
            if let Some(out) = child.stdout.take() {
                tee(out, std::io::stdout(), re.clone(), tx.clone());
            }
            if let Some(err) = child.stderr.take() {
                tee(err, std::io::stderr(), re.clone(), tx);
            }
            Some(rx)
        }
    };
    Ok((child, rx))
}

/// New lines appended to the marker file since `offset`.
fn marker_lines(path: &Path, offset: &mut u64) -> usize {
    let Ok(text) = std::fs::read(path) else { return 0 };
    if (text.len() as u64) < *offset {
        *offset = 0; // truncated: start over
    }
    let new = &text[*offset as usize..];
    let complete = new.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    *offset += complete as u64;
    new[..complete].split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count()
}

/// The state of a recording, enough to build a profile at any moment.
struct State {
    series: Vec<Series>,
    total: (Vec<u64>, Vec<f64>),
    last_power: Vec<f64>,
    epoch_ends: Vec<u64>,
    problems: Vec<String>,
    detector: StableDetector,
    last_t: Vec<Option<u64>>,
}

impl State {
    fn new(n: usize) -> State {
        State {
            series: (0..n).map(|_| Series::default()).collect(),
            total: (Vec::new(), Vec::new()),
            last_power: vec![0.0; n],
            epoch_ends: Vec::new(),
            problems: Vec::new(),
            detector: StableDetector::new(StableConfig::default()),
            last_t: vec![None; n],
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
                self.total.0.push(r.t_ms);
                self.total.1.push(sum);
                self.detector.push(r.t_ms, sum);
            }
        }
    }

    fn energy_j(&self) -> f64 {
        self.series.iter().map(|s| s.samples.integrated_energy_j()).sum()
    }
}

/// Builds the profile from the state.
fn build(
    state: &State,
    opts: &Options,
    src: &dyn PowerSource,
    catalog: &Catalog,
    status: ProfileStatus,
    exit: Option<i32>,
    idle: Option<f64>,
) -> Profile {
    let infos = src.devices();
    let mut devices = Vec::new();
    let mut counter_total = 0.0;
    let mut counter_ok = !state.series.is_empty();
    for (i, s) in state.series.iter().enumerate() {
        let integrated = s.samples.integrated_energy_j();
        let counter = match (s.counter.first().copied().flatten(), s.counter.last().copied().flatten()) {
            (Some(a), Some(b)) if s.counter.iter().all(Option::is_some) && b >= a => Some(b - a),
            _ => None,
        };
        counter_ok &= counter.is_some();
        counter_total += counter.unwrap_or(0.0);
        let mut samples = s.samples.clone();
        if let (Some(first), true) = (s.counter.first().copied().flatten(), counter.is_some()) {
            samples.energy_counter_j =
                Some(s.counter.iter().map(|c| c.map_or(0.0, |c| ((c - first) * 1000.0).round() / 1000.0)).collect());
        }
        let info = infos.get(i);
        let name = info.map(|d| d.name.clone());
        devices.push(DeviceTrace {
            index: info.map_or(i as u32, |d| d.index),
            host: None,
            gpu: GpuInfo {
                catalog_id: name.as_deref().and_then(|n| catalog.gpu_by_nvml_name(n)).map(|g| g.id.clone()),
                nvml_name: name,
                uuid: info.and_then(|d| d.uuid.clone()),
                driver: opts.driver.clone(),
                power_limit_w: info.and_then(|d| d.power_limit_w),
            },
            energy_j: counter.unwrap_or(integrated),
            samples,
        });
    }
    let integrated: f64 = state.energy_j();
    let (energy_j, source, diff) = if counter_ok && counter_total > 0.0 {
        (
            counter_total,
            EnergySource::Counter,
            (integrated > 0.0).then(|| (counter_total - integrated) / integrated * 100.0),
        )
    } else {
        (integrated, EnergySource::Integrated, None)
    };
    let t0 = state.total.0.first().copied().unwrap_or(0);
    let t1 = state.series.iter().filter_map(|s| s.samples.t_ms.last()).max().copied().unwrap_or(t0);
    let duration_s = (t1 - t0) as f64 / 1000.0;
    let energy_to = |t: u64| {
        state
            .series
            .iter()
            .map(|s| {
                let k = s.samples.t_ms.partition_point(|x| *x <= t);
                estimator::profile::trapezoid_j(&s.samples.t_ms[..k], &s.samples.power_w[..k])
            })
            .sum::<f64>()
    };
    let mut epochs = Vec::new();
    let mut start = t0;
    for (i, &end) in state.epoch_ends.iter().enumerate() {
        epochs.push(EpochMark {
            index: i as u32,
            start_t_ms: start,
            end_t_ms: end,
            energy_j: Some(((energy_to(end) - energy_to(start)) * 10.0).round() / 10.0),
        });
        start = end;
    }
    let first = state.series.first().map(|s| &s.samples);
    let mut meta = opts.meta.clone();
    meta.gpu = devices.first().map(|d| GpuInfo { uuid: None, ..d.gpu.clone() }).unwrap_or_default();
    meta.n_gpus = devices.len() as u32;
    if !epochs.is_empty() {
        meta.completed_epochs = Some(epochs.len() as u32);
    }
    let util = first.and_then(|s| s.utilisation_pct.as_ref()).map(|u| u.iter().sum::<f64>() / u.len().max(1) as f64);
    let mut detail = vec![format!("source: {}", src.describe())];
    detail.extend(state.problems.iter().cloned());
    Profile {
        schema_version: 1,
        id: opts.output.file_name().map_or("profile".into(), |n| {
            n.to_string_lossy().trim_end_matches(".gz").trim_end_matches(".json").to_string()
        }),
        status,
        exit_code: exit,
        meta,
        calibration: Calibration {
            idle_power_w: idle,
            interval_ms: Some(opts.interval_ms as f64),
            energy_source: source,
            counter_vs_integrated_pct: diff,
            capabilities: Capabilities {
                energy_counter: infos.iter().all(|d| d.energy_counter) && !infos.is_empty(),
                power: true,
                utilisation: first.is_some_and(|s| s.utilisation_pct.is_some()),
                memory: first.is_some_and(|s| s.memory_used_mib.is_some()),
                temperature: first.is_some_and(|s| s.temperature_c.is_some()),
                sm_clock: first.is_some_and(|s| s.sm_clock_mhz.is_some()),
            },
        },
        devices,
        summary: Summary {
            energy_j,
            duration_s,
            mean_power_w: if duration_s > 0.0 { energy_j / duration_s } else { 0.0 },
            mean_epoch_s: (!epochs.is_empty())
                .then(|| (epochs.last().map_or(0, |e| e.end_t_ms) - t0) as f64 / 1000.0 / epochs.len() as f64),
            mean_utilisation_pct: util,
        },
        epochs,
        provenance: Provenance {
            source: format!("recorded with wattcast {}", env!("CARGO_PKG_VERSION")),
            licence: "CC-BY-4.0".into(),
            citation: "contributed measurement".into(),
            detail: Some(detail.join("; ")),
        },
    }
}

/// The status line: energy so far, mean power, stability and, when the run's length is known, the projection.
fn status_line(state: &State, planned_epochs: Option<u32>) -> String {
    let e = state.energy_j();
    // Source time (a replay runs faster than the wall clock).
    let secs = match (state.total.0.first(), state.total.0.last()) {
        (Some(a), Some(b)) => (b - a) as f64 / 1000.0,
        _ => 0.0,
    };
    let mut s = format!(
        "[wattcast] {} · {} kJ · mean {} W",
        clock(secs),
        human(e / 1000.0),
        human(if secs > 0.0 { e / secs } else { 0.0 })
    );
    match state.detector.state() {
        Stability::NotStableYet => s.push_str(" · not stable yet"),
        Stability::Stable { since_t_ms, .. } => {
            s.push_str(&format!(" · stable since {}", clock(since_t_ms as f64 / 1000.0)));
            let total_ms = planned_epochs.zip(state.epoch_ends.last()).map(|(n, last)| {
                let t0 = state.total.0.first().copied().unwrap_or(0);
                let per = (last - t0) as f64 / state.epoch_ends.len() as f64;
                t0 + (per * f64::from(n)) as u64
            });
            match total_ms.and_then(|t| step_power(StableConfig::default(), &state.total.0, &state.total.1, t)) {
                Some(p) => s.push_str(&format!(
                    " · projected {} kJ ({}–{}) for {} epochs",
                    human(p.energy_j / 1000.0),
                    human(p.low_j / 1000.0),
                    human(p.high_j / 1000.0),
                    planned_epochs.unwrap_or(0)
                )),
                None if planned_epochs.is_none() => s.push_str(" · give --epochs for a projection"),
                None if state.epoch_ends.is_empty() => s.push_str(" · projection after the first epoch mark"),
                None => s.push_str(" · not stable for long enough to project yet"),
            }
        }
    }
    s
}

fn clock(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Records `cmd` with `src`. The profile is written even when the command fails or a signal arrives.
pub fn record(
    src: &mut dyn PowerSource,
    cmd: &[String],
    opts: &Options,
    catalog: &Catalog,
    signals: &Signals,
) -> anyhow::Result<Outcome> {
    let n = src.devices().len();
    if n == 0 {
        anyhow::bail!("no GPU to sample");
    }
    let interval = Duration::from_millis(opts.interval_ms.max(1));
    // Idle calibration: the GPUs' power before the command starts.
    let mut idle = None;
    if opts.idle_s > 0.0 {
        let start = Instant::now();
        let mut sums = Vec::new();
        while start.elapsed().as_secs_f64() < opts.idle_s {
            if let Ok(r) = src.read(start.elapsed().as_millis() as u64) {
                sums.push(r.iter().map(|x| x.power_w).sum::<f64>());
            }
            std::thread::sleep(interval);
        }
        idle = (!sums.is_empty()).then(|| sums.iter().sum::<f64>() / sums.len() as f64);
    }
    // The marker file starts empty.
    std::fs::write(&opts.marker_file, b"")
        .map_err(|e| anyhow::anyhow!("cannot create marker file {}: {e}", opts.marker_file.display()))?;
    let mut marker_offset = 0u64;

    let (mut child, regex_rx) = spawn(cmd, opts)?;
    let start = Instant::now();
    let mut state = State::new(n);
    let mut sampling = true;
    let mut interrupted: Option<String> = None;
    let mut last_checkpoint = Instant::now();
    // The last checkpoint written to the output: (samples, ms recorded).
    let mut checkpointed: Option<(usize, u64)> = None;
    let mut last_status = Instant::now();
    let exit_status;
    loop {
        let now_ms = start.elapsed().as_millis() as u64;
        if sampling {
            match src.read(now_ms) {
                Ok(r) => state.push(&r),
                Err(SourceError::Ended) => sampling = false,
                Err(e @ SourceError::DeviceLost { .. }) => {
                    eprintln!("[wattcast] {e}; sampling stopped, the command keeps running");
                    state.problems.push(format!("sampling stopped at {now_ms} ms: {e}"));
                    interrupted.get_or_insert_with(|| e.to_string());
                    sampling = false;
                }
                Err(e) => {
                    if state.problems.len() < 20 {
                        state.problems.push(format!("{now_ms} ms: {e} (sample skipped)"));
                    }
                    eprintln!("[wattcast] {e}; sample skipped");
                }
            }
        }
        let marks = marker_lines(&opts.marker_file, &mut marker_offset);
        let mut ends: Vec<u64> = vec![now_ms; marks];
        if let Some(rx) = &regex_rx {
            ends.extend(rx.try_iter().map(|t| t.saturating_duration_since(start).as_millis() as u64));
        }
        // Epoch ends are stamped on the source's clock (a replay's is faster), and never after the last sample.
        let last_sample = state.total.0.last().copied().unwrap_or(0);
        for e in ends {
            state.epoch_ends.push(src.source_time_ms(e).min(last_sample));
        }
        state.epoch_ends.sort_unstable();
        if let Some(sig) = signals.take() {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::kill(pid, sig);
            eprintln!("[wattcast] {sig} received: forwarded to the command; the profile will be saved as interrupted");
            interrupted.get_or_insert_with(|| format!("{sig} received"));
        }
        if let Some(status) = child.try_wait()? {
            exit_status = status;
            if sampling {
                if let Ok(r) = src.read(start.elapsed().as_millis() as u64) {
                    state.push(&r);
                }
            }
            break;
        }
        if last_checkpoint.elapsed().as_secs_f64() >= opts.checkpoint_s {
            last_checkpoint = Instant::now();
            let p = build(&state, opts, src, catalog, ProfileStatus::Interrupted, None, idle);
            match crate::profiles::write(&opts.output, &p) {
                Ok(()) => checkpointed = Some((state.total.0.len(), state.total.0.last().copied().unwrap_or(0))),
                Err(e) => eprintln!(
                    "[wattcast] cannot write the checkpoint to {}: {e:#}; still recording",
                    opts.output.display()
                ),
            }
        }
        if opts.status_s > 0.0 && last_status.elapsed().as_secs_f64() >= opts.status_s {
            last_status = Instant::now();
            eprintln!("{}", status_line(&state, opts.meta.planned_epochs));
        }
        std::thread::sleep(interval);
    }
    // Marks written just before the command exited.
    for _ in 0..marker_lines(&opts.marker_file, &mut marker_offset) {
        state.epoch_ends.push(state.total.0.last().copied().unwrap_or(0));
    }
    use std::os::unix::process::ExitStatusExt;
    let exit_code = exit_status.code().or_else(|| exit_status.signal().map(|s| 128 + s)).unwrap_or(1);
    let status = if interrupted.is_some() { ProfileStatus::Interrupted } else { ProfileStatus::Complete };
    if let Some(why) = &interrupted {
        state.problems.push(format!("interrupted: {why}"));
    }
    let profile = build(&state, opts, src, catalog, status, Some(exit_code), idle);
    let written_to = match crate::profiles::write(&opts.output, &profile) {
        Ok(()) => opts.output.clone(),
        Err(e) => {
            let fallback = std::env::temp_dir().join(format!("wattcast-{}.json", std::process::id()));
            eprintln!("[wattcast] cannot write {}: {e:#}", opts.output.display());
            if let Err(e2) = crate::profiles::write(&fallback, &profile) {
                let kept = match checkpointed {
                    Some((n, ms)) => format!(
                        "the last checkpoint, {n} samples up to {:.1} s, is in {}",
                        ms as f64 / 1000.0,
                        opts.output.display()
                    ),
                    None => "no checkpoint could be written either".to_string(),
                };
                anyhow::bail!(
                    "the profile could not be written to {} nor to {} ({e2:#}); {kept}",
                    opts.output.display(),
                    fallback.display()
                );
            }
            eprintln!("[wattcast] the profile was saved to {} instead", fallback.display());
            anyhow::bail!(
                "the profile could not be written to {}; it is in {}",
                opts.output.display(),
                fallback.display()
            );
        }
    };
    let killed_by = exit_status.signal().and_then(|s| nix::sys::signal::Signal::try_from(s).ok());
    Ok(Outcome { exit_code, killed_by, written_to, profile })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::scripted::{Scripted, Step};

    fn opts(dir: &Path) -> Options {
        Options {
            interval_ms: 20,
            idle_s: 0.0,
            checkpoint_s: 0.1,
            status_s: 0.0,
            epoch_regex: None,
            marker_file: dir.join("marker"),
            output: dir.join("p.json"),
            meta: RunMeta { n_gpus: 1, ..RunMeta::default() },
            driver: None,
        }
    }

    fn run(steps: Vec<Step>, name: &str) -> (Outcome, Scripted) {
        let dir = std::env::temp_dir().join(format!("wattcast-unit-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut src = Scripted::new(2, steps);
        let catalog = Catalog::embedded().unwrap();
        let signals = Signals::install().unwrap();
        let cmd: Vec<String> = ["sleep", "0.4"].iter().map(|s| s.to_string()).collect();
        let out = record(&mut src, &cmd, &opts(&dir), &catalog, &signals).unwrap();
        (out, src)
    }

    #[test]
    fn nvml_errors_mid_run_skip_samples_and_are_noted() {
        let (out, src) = run(vec![Step::Power(100.0), Step::Power(100.0), Step::Error, Step::Power(100.0)], "error");
        let p = &out.profile;
        assert_eq!(p.status, ProfileStatus::Complete);
        assert!(p.provenance.detail.as_deref().unwrap().contains("Unknown Error"));
        assert_eq!(p.devices.len(), 2);
        // One read failed; the others were kept (the last read, right after the command exits, can share the
        // previous read's millisecond and is then dropped as not increasing).
        let n = p.devices[0].samples.len();
        assert!(n == src.calls.len() - 1 || n == src.calls.len() - 2, "{n} samples from {} reads", src.calls.len());
        assert_eq!(p.devices[0].gpu.catalog_id.as_deref(), Some("nvidia-h100-sxm"));
    }

    #[test]
    fn a_device_that_disappears_stops_sampling_and_keeps_what_was_recorded() {
        let (out, _) = run(vec![Step::Power(200.0), Step::Power(200.0), Step::Power(200.0), Step::Lost], "lost");
        let p = &out.profile;
        assert_eq!(p.status, ProfileStatus::Interrupted);
        assert_eq!(p.devices[0].samples.len(), 3);
        assert!(p.provenance.detail.as_deref().unwrap().contains("GPU 0 is gone"));
        assert_eq!(out.exit_code, 0, "the command itself finished normally");
    }

    #[test]
    fn a_clock_that_jumps_back_drops_the_out_of_order_samples() {
        let (out, _) = run(
            vec![
                Step::Power(50.0),
                Step::Power(50.0),
                Step::Power(50.0),
                Step::ClockBack(10_000, 50.0),
                Step::Power(50.0),
            ],
            "clock",
        );
        let p = &out.profile;
        assert!(p.devices[0].samples.t_ms.windows(2).all(|w| w[0] < w[1]));
        assert!(p.provenance.detail.as_deref().unwrap().contains("clock went back"));
        assert!(estimator::profile::validate(p, &Catalog::embedded().unwrap()).is_empty());
    }
}
