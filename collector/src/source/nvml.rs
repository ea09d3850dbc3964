//! The live source: NVIDIA's NVML, loaded at run time (`dlopen` of libnvidia-ml.so.1) by nvml-wrapper.
//! Unsupported fields become capability flags and `None`, never 0; a missing driver is a clear error.

use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::Nvml;

use super::{DeviceInfo, PowerSource, Reading, SourceError};

/// NVML-backed source for the selected devices.
pub struct NvmlSource {
    nvml: Nvml,
    indices: Vec<u32>,
    devices: Vec<DeviceInfo>,
    driver: Option<String>,
}

fn nvml_err(what: &str) -> impl Fn(NvmlError) -> SourceError + '_ {
    move |e| SourceError::Nvml { what: what.to_string(), detail: e.to_string() }
}

/// Loads NVML, mapping a missing library to `SourceError::NoDriver`.
pub fn init() -> Result<Nvml, SourceError> {
    Nvml::init().map_err(|e| match e {
        NvmlError::LibloadingError(_) | NvmlError::DriverNotLoaded | NvmlError::LibraryNotFound => {
            SourceError::NoDriver { detail: e.to_string() }
        }
        other => SourceError::Nvml { what: "initialisation".into(), detail: other.to_string() },
    })
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
        }
        let driver = nvml.sys_driver_version().ok();
        Ok(NvmlSource { nvml, indices, devices, driver })
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
        let mut out = Vec::with_capacity(self.indices.len());
        for (pos, &i) in self.indices.iter().enumerate() {
            let d = self
                .nvml
                .device_by_index(i)
                .map_err(|e| SourceError::DeviceLost { index: pos, detail: e.to_string() })?;
            let power_mw = d.power_usage().map_err(|e| match e {
                NvmlError::GpuLost => SourceError::DeviceLost { index: pos, detail: e.to_string() },
                other => SourceError::Nvml { what: "power usage".into(), detail: other.to_string() },
            })?;
            let counter = if self.devices[pos].energy_counter {
                d.total_energy_consumption().ok().map(|mj| mj as f64 / 1000.0)
            } else {
                None
            };
            out.push(Reading {
                device: pos,
                t_ms: now_ms,
                power_w: f64::from(power_mw) / 1000.0,
                energy_counter_j: counter,
                utilisation_pct: d.utilization_rates().ok().map(|u| f64::from(u.gpu)),
                memory_used_mib: d.memory_info().ok().map(|m| m.used as f64 / 1_048_576.0),
                temperature_c: d.temperature(TemperatureSensor::Gpu).ok().map(f64::from),
                sm_clock_mhz: d.clock_info(Clock::SM).ok().map(f64::from),
            });
        }
        Ok(out)
    }

    fn describe(&self) -> String {
        format!("NVML (driver {})", self.driver.as_deref().unwrap_or("unknown"))
    }
}
