//! Where power readings come from: one trait, `PowerSource`, and its implementations: NVML (feature
//! `nvml`, on by default), replay of a recorded trace, and a scripted test double for fault injection.
//! The recorder sees only the trait.

#[cfg(feature = "nvml")]
pub mod nvml;
pub mod replay;
#[cfg(test)]
pub mod scripted;

use thiserror::Error;

/// A GPU as the source describes it. Capabilities are flags, never errors: a field the GPU does not
/// report is `None` / `false`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeviceInfo {
    /// Index on this host.
    pub index: u32,
    /// Name NVML reports.
    pub name: String,
    /// UUID, when reported.
    pub uuid: Option<String>,
    /// Power limit in force, W.
    pub power_limit_w: Option<f64>,
    /// Smallest and largest settable power limits, W.
    pub power_limit_range_w: Option<(f64, f64)>,
    /// Whether the total-energy counter is supported.
    pub energy_counter: bool,
}

/// One reading of one device.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Reading {
    /// Position of the device in `devices()`.
    pub device: usize,
    /// Time of the reading, ms since the recording started (source clock).
    pub t_ms: u64,
    /// Power draw, W.
    pub power_w: f64,
    /// Total-energy counter, J (since an arbitrary origin), when supported.
    pub energy_counter_j: Option<f64>,
    /// GPU utilisation, %.
    pub utilisation_pct: Option<f64>,
    /// Memory used, MiB.
    pub memory_used_mib: Option<f64>,
    /// Temperature, °C.
    pub temperature_c: Option<f64>,
    /// SM clock, MHz.
    pub sm_clock_mhz: Option<f64>,
}

/// Why a source could not read.
#[derive(Debug, Error)]
pub enum SourceError {
    /// The NVIDIA driver library cannot be loaded.
    #[error(
        "cannot load the NVIDIA driver library libnvidia-ml.so.1 ({detail}). Install the NVIDIA driver (Debian/Ubuntu: the \
nvidia-driver package, or libnvidia-ml1 / the driver's utils package), or run with --replay TRACE to replay a recorded trace"
    )]
    NoDriver {
        /// What the loader said.
        detail: String,
    },
    /// The driver answered with an error.
    #[error("NVML error on {what}: {detail}")]
    Nvml {
        /// What was being read.
        what: String,
        /// The driver's message.
        detail: String,
    },
    /// A device that was there is gone.
    #[error("GPU {index} is gone ({detail})")]
    DeviceLost {
        /// Device position.
        index: usize,
        /// What was seen.
        detail: String,
    },
    /// The source has nothing more to give (a replayed trace ended).
    #[error("the replayed trace has ended")]
    Ended,
    /// A trace that cannot be replayed.
    #[error("cannot replay {path}: {detail}")]
    BadTrace {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
}

/// A source of power readings.
pub trait PowerSource {
    /// The devices being sampled, in order.
    fn devices(&self) -> &[DeviceInfo];

    /// Readings available at `now_ms` since the recording started: one per device from a live source;
    /// every trace sample up to that time (times scaled by the replay speed) from a replay.
    fn read(&mut self, now_ms: u64) -> Result<Vec<Reading>, SourceError>;

    /// The run's last reading, with every field a live source reads less often (the energy counter above
    /// all: the counter's total must end where the run ends).
    fn read_final(&mut self, now_ms: u64) -> Result<Vec<Reading>, SourceError> {
        self.read(now_ms)
    }

    /// The source's clock at `now_ms` of recording time (the times its readings carry): the same for a
    /// live source, `now × speed` for a replay.
    fn source_time_ms(&self, now_ms: u64) -> u64 {
        now_ms
    }

    /// Short description for the profile's provenance.
    fn describe(&self) -> String;
}
