//! The live source: NVIDIA's NVML, loaded at run time (`dlopen` of libnvidia-ml.so.1) by nvml-wrapper.
//! Unsupported fields become capability flags and `None`, never 0; a missing driver is a clear error.
//!
//! What a reading costs: power is read every tick. The energy counter is read every 5 s and at the run's last
//! sample: on an H200 (driver 580) one read took 3.9 ms of CPU, 3.9 % of a core at 10 Hz, for nothing the trace
//! needs (the recorder adds the power over the edges the counter readings do not cover). Utilisation, memory,
//! temperature and SM clock change slowly (NVML's utilisation is itself an average over up to a second) and are
//! read once a second, the last value held between. The library is loaded once per process and the device
//! handles are looked up once, at `open`.

use std::sync::OnceLock;

use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::{Device, Nvml};

use super::{DeviceInfo, PowerSource, Reading, SourceError};

/// How often the slowly changing fields are read, ms.
pub const SLOW_FIELDS_EVERY_MS: u64 = 1000;
/// How often the energy counter is read, ms.
pub const COUNTER_EVERY_MS: u64 = 5000;

/// NVML-backed source for the selected devices.
pub struct NvmlSource {
    handles: Vec<Device<'static>>,
    devices: Vec<DeviceInfo>,
    driver: Option<String>,
    /// The slow fields of each device, and when they were read.
    slow: Vec<Option<(u64, SlowFields)>>,
    /// When each device's energy counter was last read.
    counter_at_ms: Vec<Option<u64>>,
}

/// The fields read once a second.
#[derive(Clone, Copy)]
struct SlowFields {
    utilisation_pct: Option<f64>,
    memory_used_mib: Option<f64>,
    temperature_c: Option<f64>,
    sm_clock_mhz: Option<f64>,
}

impl SlowFields {
    fn read(d: &Device<'_>) -> SlowFields {
        SlowFields {
            utilisation_pct: d.utilization_rates().ok().map(|u| f64::from(u.gpu)),
            memory_used_mib: d.memory_info().ok().map(|m| m.used as f64 / 1_048_576.0),
            temperature_c: d.temperature(TemperatureSensor::Gpu).ok().map(f64::from),
            sm_clock_mhz: d.clock_info(Clock::SM).ok().map(f64::from),
        }
    }
}

fn nvml_err(what: &str) -> impl Fn(NvmlError) -> SourceError + '_ {
    move |e| SourceError::Nvml { what: what.to_string(), detail: e.to_string() }
}

/// The process's NVML, loaded on first use (a library may record several runs in one process).
static NVML: OnceLock<Nvml> = OnceLock::new();

/// Loads NVML once per process, mapping a missing library to `SourceError::NoDriver`.
pub fn init() -> Result<&'static Nvml, SourceError> {
    if let Some(nvml) = NVML.get() {
        return Ok(nvml);
    }
    let nvml = Nvml::init().map_err(|e| match e {
        NvmlError::LibloadingError(_) | NvmlError::DriverNotLoaded | NvmlError::LibraryNotFound => {
            SourceError::NoDriver { detail: e.to_string() }
        }
        other => SourceError::Nvml { what: "initialisation".into(), detail: other.to_string() },
    })?;
    Ok(NVML.get_or_init(|| nvml))
}

impl NvmlSource {
    /// Opens the devices with these indices (`None` = all).
    pub fn open(select: Option<&[u32]>) -> Result<NvmlSource, SourceError> {
        let nvml = init()?;
        let count = nvml.device_count().map_err(nvml_err("device count"))?;
        let indices: Vec<u32> = match select {
            Some(s) => s.to_vec(),
            None => (0..count).collect(),
        };
        let mut devices = Vec::new();
        let mut handles = Vec::new();
        for &i in &indices {
            if i >= count {
                return Err(SourceError::DeviceLost {
                    index: i as usize,
                    detail: format!("only {count} GPUs are present"),
                });
            }
            let d = nvml.device_by_index(i).map_err(nvml_err("device handle"))?;
            let limits = d.power_management_limit_constraints().ok();
            devices.push(DeviceInfo {
                index: i,
                name: d.name().map_err(nvml_err("name"))?,
                uuid: d.uuid().ok(),
                power_limit_w: d.enforced_power_limit().ok().map(|mw| f64::from(mw) / 1000.0),
                power_limit_range_w: limits.map(|l| (f64::from(l.min_limit) / 1000.0, f64::from(l.max_limit) / 1000.0)),
                energy_counter: d.total_energy_consumption().is_ok(),
            });
            handles.push(d);
        }
        let driver = nvml.sys_driver_version().ok();
        let (slow, counter_at_ms) = (vec![None; handles.len()], vec![None; handles.len()]);
        Ok(NvmlSource { handles, devices, driver, slow, counter_at_ms })
    }

    /// The driver version.
    pub fn driver(&self) -> Option<&str> {
        self.driver.as_deref()
    }
}

impl PowerSource for NvmlSource {
    fn devices(&self) -> &[DeviceInfo] {
        &self.devices
    }

    fn read(&mut self, now_ms: u64) -> Result<Vec<Reading>, SourceError> {
        let mut out = Vec::with_capacity(self.handles.len());
        for (pos, d) in self.handles.iter().enumerate() {
            let power_mw = d.power_usage().map_err(|e| match e {
                NvmlError::GpuLost => SourceError::DeviceLost { index: pos, detail: e.to_string() },
                other => SourceError::Nvml { what: "power usage".into(), detail: other.to_string() },
            })?;
            let due = |at: Option<u64>, every_ms: u64| at.is_none_or(|at| now_ms.saturating_sub(at) >= every_ms);
            let counter = if self.devices[pos].energy_counter && due(self.counter_at_ms[pos], COUNTER_EVERY_MS) {
                self.counter_at_ms[pos] = Some(now_ms);
                d.total_energy_consumption().ok().map(|mj| mj as f64 / 1000.0)
            } else {
                None
            };
            let slow = match self.slow[pos] {
                Some((at_ms, fields)) if !due(Some(at_ms), SLOW_FIELDS_EVERY_MS) => fields,
                _ => {
                    let fields = SlowFields::read(d);
                    self.slow[pos] = Some((now_ms, fields));
                    fields
                }
            };
            out.push(Reading {
                device: pos,
                t_ms: now_ms,
                power_w: f64::from(power_mw) / 1000.0,
                energy_counter_j: counter,
                utilisation_pct: slow.utilisation_pct,
                memory_used_mib: slow.memory_used_mib,
                temperature_c: slow.temperature_c,
                sm_clock_mhz: slow.sm_clock_mhz,
            });
        }
        Ok(out)
    }

    fn read_final(&mut self, now_ms: u64) -> Result<Vec<Reading>, SourceError> {
        self.counter_at_ms.iter_mut().for_each(|at| *at = None);
        self.slow.iter_mut().for_each(|at| *at = None);
        self.read(now_ms)
    }

    fn describe(&self) -> String {
        format!("NVML (driver {})", self.driver.as_deref().unwrap_or("unknown"))
    }
}
