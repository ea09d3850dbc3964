//! A scripted `PowerSource` for tests: fixed readings, with faults injected at chosen reads
//! (an NVML error, a device that disappears, a clock that jumps back). It records every call.

use super::{DeviceInfo, PowerSource, Reading, SourceError};

/// What happens at one read.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Every device reads this power.
    Power(f64),
    /// An NVML error.
    Error,
    /// Device 0 is gone.
    Lost,
    /// The reading is stamped this many ms earlier than asked (a clock jump).
    ClockBack(u64, f64),
    /// Every device reads this power and this energy counter, J.
    Counted(f64, f64),
}

/// The test double.
#[derive(Debug, Clone)]
pub struct Scripted {
    devices: Vec<DeviceInfo>,
    steps: Vec<Step>,
    next: usize,
    /// Times `read` was called with.
    pub calls: Vec<u64>,
}

impl Scripted {
    /// `n` fake GPUs playing `steps` (the last one repeats).
    pub fn new(n: usize, steps: Vec<Step>) -> Self {
        let devices = (0..n)
            .map(|i| DeviceInfo {
                index: i as u32,
                name: "NVIDIA H100 80GB HBM3".into(),
                uuid: Some(format!("GPU-test-{i}")),
                power_limit_w: Some(700.0),
                power_limit_range_w: Some((200.0, 700.0)),
                energy_counter: false,
            })
            .collect();
        Scripted { devices, steps, next: 0, calls: Vec::new() }
    }
}

impl PowerSource for Scripted {
    fn devices(&self) -> &[DeviceInfo] {
        &self.devices
    }

    fn read(&mut self, now_ms: u64) -> Result<Vec<Reading>, SourceError> {
        self.calls.push(now_ms);
        let step = self.steps.get(self.next).or(self.steps.last()).cloned().unwrap_or(Step::Power(0.0));
        self.next += 1;
        let (t, power, counter) = match step {
            Step::Power(p) => (now_ms, p, None),
            Step::Counted(p, c) => (now_ms, p, Some(c)),
            Step::Error => {
                return Err(SourceError::Nvml { what: "power usage".into(), detail: "Unknown Error".into() })
            }
            Step::Lost => return Err(SourceError::DeviceLost { index: 0, detail: "GPU is lost".into() }),
            Step::ClockBack(back, p) => (now_ms.saturating_sub(back), p, None),
        };
        Ok((0..self.devices.len())
            .map(|d| Reading { device: d, t_ms: t, power_w: power, energy_counter_j: counter, ..Reading::default() })
            .collect())
    }

    fn describe(&self) -> String {
        "scripted test source".into()
    }
}
