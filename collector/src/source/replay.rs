//! Replay of a recorded trace (an nvidia-smi CSV or a profile) as if it were live, `speed` times
//! faster: at recording time `now`, every trace sample up to `now × speed` is delivered with its own
//! timestamp, so a replayed recording holds exactly the trace's samples. Several traces are several GPUs.

use std::path::Path;

use estimator::profile::Samples;

use super::{DeviceInfo, PowerSource, Reading, SourceError};

/// One replayed GPU.
struct Track {
    samples: Samples,
    next: usize,
}

/// The replay source.
pub struct Replay {
    devices: Vec<DeviceInfo>,
    tracks: Vec<Track>,
    speed: f64,
    paths: Vec<String>,
}

impl Replay {
    /// Opens traces (each `.csv[.gz]` nvidia-smi log or profile `.json[.gz]`; a profile with several
    /// devices gives several GPUs).
    pub fn open(paths: &[std::path::PathBuf], speed: f64) -> Result<Replay, SourceError> {
        if !(speed.is_finite() && speed > 0.0) {
            return Err(SourceError::BadTrace {
                path: "--speed".into(),
                detail: format!("speed must be > 0, got {speed}"),
            });
        }
        let mut devices = Vec::new();
        let mut tracks = Vec::new();
        for path in paths {
            for (name, limit, samples) in load(path)? {
                if samples.is_empty() {
                    return Err(SourceError::BadTrace {
                        path: path.display().to_string(),
                        detail: "no samples".into(),
                    });
                }
                devices.push(DeviceInfo {
                    index: devices.len() as u32,
                    name,
                    uuid: None,
                    power_limit_w: limit,
                    power_limit_range_w: None,
                    energy_counter: samples.energy_counter_j.is_some(),
                });
                tracks.push(Track { samples, next: 0 });
            }
        }
        Ok(Replay { devices, tracks, speed, paths: paths.iter().map(|p| p.display().to_string()).collect() })
    }
}

fn load(path: &Path) -> Result<Vec<(String, Option<f64>, Samples)>, SourceError> {
    let bad = |detail: String| SourceError::BadTrace { path: path.display().to_string(), detail };
    let text = crate::profiles::read_text(path).map_err(|e| bad(format!("{e:#}")))?;
    let name = path.to_string_lossy();
    if name.ends_with(".json") || name.ends_with(".json.gz") {
        let profiles = crate::profiles::read_profiles(path).map_err(|e| bad(format!("{e:#}")))?;
        let p = profiles.into_iter().next().ok_or_else(|| bad("no profile".into()))?;
        if p.devices.is_empty() {
            return Err(bad("a summary-only profile has no samples to replay".into()));
        }
        Ok(p.devices
            .into_iter()
            .map(|d| (d.gpu.nvml_name.unwrap_or_else(|| "replayed GPU".into()), d.gpu.power_limit_w, d.samples))
            .collect())
    } else {
        let log = crate::import::nvidia_smi::parse(&name, &text).map_err(|e| bad(e.to_string()))?;
        Ok(log
            .devices
            .into_iter()
            .map(|d| (d.name.unwrap_or_else(|| "replayed GPU".into()), d.power_limit_w, d.samples))
            .collect())
    }
}

impl PowerSource for Replay {
    fn devices(&self) -> &[DeviceInfo] {
        &self.devices
    }

    fn source_time_ms(&self, now_ms: u64) -> u64 {
        (now_ms as f64 * self.speed) as u64
    }

    fn read(&mut self, now_ms: u64) -> Result<Vec<Reading>, SourceError> {
        let trace_now = self.source_time_ms(now_ms);
        let mut out = Vec::new();
        let mut ended = true;
        for (d, track) in self.tracks.iter_mut().enumerate() {
            let s = &track.samples;
            while track.next < s.len() && s.t_ms[track.next] <= trace_now {
                let i = track.next;
                let col = |c: &Option<Vec<f64>>| c.as_ref().and_then(|v| v.get(i).copied());
                out.push(Reading {
                    device: d,
                    t_ms: s.t_ms[i],
                    power_w: s.power_w[i],
                    energy_counter_j: col(&s.energy_counter_j),
                    utilisation_pct: col(&s.utilisation_pct),
                    memory_used_mib: col(&s.memory_used_mib),
                    temperature_c: col(&s.temperature_c),
                    sm_clock_mhz: col(&s.sm_clock_mhz),
                });
                track.next += 1;
            }
            ended &= track.next >= s.len();
        }
        if out.is_empty() && ended {
            return Err(SourceError::Ended);
        }
        Ok(out)
    }

    fn describe(&self) -> String {
        format!("replay of {} at {}× speed", self.paths.join(", "), self.speed)
    }
}
