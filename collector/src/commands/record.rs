//! `wattcast record`: validates the flags, opens the power source, and hands over to `crate::record`.

use std::process::ExitCode;

use anyhow::Context;
use estimator::Catalog;

use crate::cli::RecordArgs;
use crate::import::meta::MetaError;
use crate::record::{record, Options, Signals};
use crate::source::{PowerSource, SourceError};

fn flag(flag: &'static str, value: &dyn std::fmt::Display, reason: &str) -> anyhow::Error {
    MetaError::Flag { flag, value: value.to_string(), reason: reason.into() }.into()
}

/// Which GPUs to sample: `--gpus`, else CUDA_VISIBLE_DEVICES (numeric), else all.
pub fn select_gpus(arg: Option<&str>, cuda_visible: Option<&str>) -> anyhow::Result<Option<Vec<u32>>> {
    let parse = |s: &str, name: &'static str| -> anyhow::Result<Option<Vec<u32>>> {
        if s.trim() == "all" {
            return Ok(None);
        }
        s.split(',')
            .map(|x| {
                x.trim()
                    .parse::<u32>()
                    .map_err(|_| flag(name, &s, "expected a comma-separated list of GPU indices, or all"))
            })
            .collect::<anyhow::Result<Vec<u32>>>()
            .map(Some)
    };
    match (arg, cuda_visible) {
        (Some(a), _) => parse(a, "gpus"),
        // UUIDs or MIG ids in CUDA_VISIBLE_DEVICES are not indices: sample all GPUs then.
        (None, Some(v)) if !v.trim().is_empty() && v.split(',').all(|x| x.trim().parse::<u32>().is_ok()) => {
            parse(v, "gpus")
        }
        _ => Ok(None),
    }
}

/// Runs the command.
pub fn run(args: &RecordArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::embedded()?;
    for (name, v) in [("idle-s", args.idle_s), ("checkpoint-s", args.checkpoint_s), ("status-s", args.status_s)] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(flag(name, &v, "expected a number of seconds ≥ 0"));
        }
    }
    if args.checkpoint_s < 1.0 {
        return Err(flag(
            "checkpoint-s",
            &args.checkpoint_s,
            "checkpoints more often than every second would slow the run",
        ));
    }
    let epoch_regex = match &args.epoch_regex {
        None => None,
        Some(r) => Some(regex::Regex::new(r).map_err(|e| flag("epoch-regex", r, &e.to_string()))?),
    };
    let meta = crate::import::meta::resolve(&args.meta, &catalog, crate::profiles::read_text)?;
    let marker_file = args
        .marker_file
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("wattcast-marker-{}", std::process::id())));
    let mut idle_s = args.idle_s;
    let (mut source, driver): (Box<dyn PowerSource>, Option<String>) = if args.replay.is_empty() {
        match open_nvml(args.gpus.as_deref()) {
            Ok(x) => x,
            Err(e) => {
                if let Some(SourceError::NoDriver { .. }) = e.downcast_ref::<SourceError>() {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(2));
                }
                return Err(e);
            }
        }
    } else {
        if idle_s > 0.0 {
            eprintln!("[wattcast] replaying: no idle calibration (the trace holds its own idle samples)");
            idle_s = 0.0;
        }
        let r = crate::source::replay::Replay::open(&args.replay, args.speed).map_err(|e| {
            flag(
                "replay",
                &args.replay.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(","),
                &e.to_string(),
            )
        })?;
        (Box::new(r), None)
    };
    let opts = Options {
        interval_ms: args.interval_ms,
        idle_s,
        checkpoint_s: args.checkpoint_s,
        status_s: args.status_s,
        epoch_regex,
        marker_file: marker_file.clone(),
        output: args.output.clone(),
        meta,
        driver,
    };
    let signals = Signals::install().context("cannot install signal handlers")?;
    let outcome = record(source.as_mut(), &args.command, &opts, &catalog, &signals)?;
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

#[cfg(feature = "nvml")]
fn open_nvml(gpus: Option<&str>) -> anyhow::Result<(Box<dyn PowerSource>, Option<String>)> {
    let cuda = std::env::var("CUDA_VISIBLE_DEVICES").ok();
    let select = select_gpus(gpus, cuda.as_deref())?;
    let src = crate::source::nvml::NvmlSource::open(select.as_deref())?;
    let driver = src.driver().map(str::to_string);
    Ok((Box::new(src), driver))
}

#[cfg(not(feature = "nvml"))]
fn open_nvml(_gpus: Option<&str>) -> anyhow::Result<(Box<dyn PowerSource>, Option<String>)> {
    Err(SourceError::NoDriver { detail: "this wattcast was built without the nvml feature".into() }.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_selection() {
        assert_eq!(select_gpus(Some("0,2"), Some("1")).unwrap(), Some(vec![0, 2]));
        assert_eq!(select_gpus(Some("all"), Some("1")).unwrap(), None);
        assert_eq!(select_gpus(None, Some("1,3")).unwrap(), Some(vec![1, 3]));
        assert_eq!(select_gpus(None, Some("GPU-1234")).unwrap(), None);
        assert_eq!(select_gpus(None, None).unwrap(), None);
        let e = select_gpus(Some("zero"), None).unwrap_err().to_string();
        assert!(e.contains("\"zero\"") && e.contains("--gpus"), "{e}");
    }
}
