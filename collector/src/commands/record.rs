//! `wattcast record`: validates the flags, opens the power source, and hands over to `crate::record`.

use std::process::ExitCode;

use anyhow::Context;
use estimator::Catalog;

use crate::cli::RecordArgs;
use crate::distributed::Placement;
use crate::error::FlagError;
use crate::record::{record, Options, Signals};
use crate::recorder::{check_periods, Recorder, RecorderOptions};
use crate::source::{PowerSource, SourceError};

fn flag(flag: &'static str, value: &dyn std::fmt::Display, reason: &str) -> anyhow::Error {
    FlagError::new(flag, value, reason).into()
}

/// The GPUs `--gpus` names: `0,2`, or `all` (`None`).
pub fn parse_gpus(arg: &str) -> Result<Option<Vec<u32>>, FlagError> {
    if arg.trim() == "all" {
        return Ok(None);
    }
    arg.split(',')
        .map(|x| {
            x.trim()
                .parse::<u32>()
                .map_err(|_| FlagError::new("gpus", &arg, "expected a comma-separated list of GPU indices, or all"))
        })
        .collect::<Result<Vec<u32>, FlagError>>()
        .map(Some)
}

/// Runs the command.
pub fn run(args: &RecordArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::embedded()?;
    check_periods(("idle-s", args.idle_s), ("checkpoint-s", args.checkpoint_s), ("status-s", args.status_s))?;
    let epoch_regex = match &args.epoch_regex {
        None => None,
        Some(r) => Some(regex::Regex::new(r).map_err(|e| flag("epoch-regex", r, &e.to_string()))?),
    };
    let meta = crate::import::meta::resolve(&(&args.meta).into(), &catalog, crate::profiles::read_text)?;
    let placement = Placement::from_env(|k| std::env::var(k).ok())?;
    if !placement.records() {
        // Started once per rank: the node's local rank 0 records; this one only runs the command.
        eprintln!("[wattcast] {}", placement.skip_reason());
        return passthrough(&args.command);
    }
    let marker_file = args
        .marker_file
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("wattcast-marker-{}", std::process::id())));
    let (idle_s, note) = crate::recorder::idle_calibration_s(args.idle_s, !args.replay.is_empty());
    if let Some(note) = note {
        eprintln!("[wattcast] {note}");
    }
    let opened = match open_source(args.gpus.as_deref(), &placement, &args.replay, args.speed) {
        Ok(x) => x,
        Err(OpenError::Source(e @ SourceError::NoDriver { .. })) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(OpenError::Flag(e)) => return Err(e.into()),
        Err(OpenError::Source(e)) => return Err(e.into()),
    };
    let output = placement.output(&args.output);
    let recorder = Recorder::new(
        opened.source,
        RecorderOptions {
            interval_ms: args.interval_ms,
            checkpoint_s: args.checkpoint_s,
            status_s: args.status_s,
            job: placement.job(unix_ms(), hostname()),
            output,
            meta,
            driver: opened.driver,
        },
        &catalog,
    )?;
    let opts = Options { idle_s, epoch_regex, marker_file: marker_file.clone() };
    let signals = Signals::install().context("cannot install signal handlers")?;
    let outcome = record(recorder, &args.command, &opts, &signals)?;
    if args.marker_file.is_none() {
        let _ = std::fs::remove_file(&marker_file);
    }
    let p = &outcome.profile;
    eprintln!(
        "[wattcast] wrote {} ({:?}): {} GPU(s), {} samples, {:.1} kJ over {:.0} s ({}), {} epochs marked; command exit code {}{}",
        outcome.written_to.display(),
        p.status,
        p.devices.len(),
        p.devices.iter().map(|d| d.samples.len()).sum::<usize>(),
        p.summary.energy_j / 1000.0,
        p.summary.duration_s,
        match p.calibration.counter_vs_integrated_pct {
            Some(d) => format!("energy counter; integrated power differs by {d:+.2} %"),
            None => format!("{:?}", p.calibration.energy_source).to_lowercase(),
        },
        p.epochs.len(),
        outcome.exit_code,
        outcome.killed_by.map_or(String::new(), |sig| format!(" (killed by {sig})"))
    );
    Ok(ExitCode::from(outcome.exit_code.clamp(0, 255) as u8))
}

/// Runs the command without recording (a rank other than its node's local rank 0), returning its exit code.
fn passthrough(cmd: &[String]) -> anyhow::Result<ExitCode> {
    let (program, rest) = cmd.split_first().ok_or_else(|| anyhow::anyhow!("no command given after --"))?;
    let status = std::process::Command::new(program)
        .args(rest)
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run \"{program}\": {e}"))?;
    Ok(ExitCode::from(crate::record::exit_code_of(status).clamp(0, 255) as u8))
}

/// Milliseconds since the Unix epoch, now.
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// This host's name (`/etc/hostname`, else HOSTNAME), for a node's profile.
pub fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// An opened power source and the driver version it reports.
pub struct Opened {
    /// The source.
    pub source: Box<dyn PowerSource + Send>,
    /// The NVIDIA driver's version (live sources).
    pub driver: Option<String>,
}

/// Why no source could be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// A bad `gpus` or `replay` value.
    #[error(transparent)]
    Flag(#[from] FlagError),
    /// The source itself failed (no driver, a GPU index that is not there).
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// Opens what to sample: the replayed traces when given, else NVML on the GPUs `--gpus` names, else those
/// the node's ranks see (the launcher's rule in [`Placement::gpus`]). The CLI and the Python package both
/// open their source here.
pub fn open_source(
    gpus: Option<&str>,
    placement: &Placement,
    replay: &[std::path::PathBuf],
    speed: f64,
) -> Result<Opened, OpenError> {
    // A bad `gpus` is refused even when a replay makes it moot.
    let asked = gpus.map(parse_gpus).transpose()?;
    if !replay.is_empty() {
        let r = crate::source::replay::Replay::open(replay, speed).map_err(|e| {
            FlagError::new(
                "replay",
                &replay.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(","),
                &e.to_string(),
            )
        })?;
        return Ok(Opened { source: Box::new(r), driver: None });
    }
    let cuda = std::env::var("CUDA_VISIBLE_DEVICES").ok();
    let select = match asked {
        Some(g) => g,
        None => placement.gpus(cuda.as_deref()),
    };
    open_nvml(select.as_deref())
}

#[cfg(feature = "nvml")]
fn open_nvml(select: Option<&[u32]>) -> Result<Opened, OpenError> {
    let src = crate::source::nvml::NvmlSource::open(select)?;
    let driver = src.driver().map(str::to_string);
    Ok(Opened { source: Box::new(src), driver })
}

#[cfg(not(feature = "nvml"))]
fn open_nvml(_select: Option<&[u32]>) -> Result<Opened, OpenError> {
    Err(SourceError::NoDriver { detail: "this wattcast was built without the nvml feature".into() }.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_selection() {
        assert_eq!(parse_gpus("0,2").unwrap(), Some(vec![0, 2]));
        assert_eq!(parse_gpus("all").unwrap(), None);
        let single = Placement::single();
        assert_eq!(single.gpus(Some("1,3")), Some(vec![1, 3]));
        assert_eq!(single.gpus(Some("GPU-1234")), None, "UUIDs are not indices: sample all");
        assert_eq!(single.gpus(None), None);
        let e = parse_gpus("zero").unwrap_err().to_string();
        assert!(e.contains("\"zero\"") && e.contains("--gpus"), "{e}");
    }
}
