//! STEP (Stable Training Epoch Projection, arXiv 2307.05520): detect online when power has settled,
//! then project the run's total energy from what was measured so far.
//!
//! The detector sees one sample at a time, as a recorder does. It groups samples into fixed windows
//! (default 30 s); a regime is a run of consecutive windows whose mean power stays within ±`tol` of the
//! regime's mean. Power is *stable since t* once the current regime has lasted `min_windows` windows;
//! a window that leaves the band ends the regime, and the detector says "not stable yet" again until a
//! new one has lasted long enough. Unlike the paper's matrix profile + fixed epoch 10, it needs no
//! look-ahead and no epoch count, so it runs while training is going.

use serde::Serialize;

/// Detector settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StableConfig {
    /// Window length, ms.
    pub window_ms: u64,
    /// Relative band around the regime mean (0.05 = ±5 %).
    pub tol: f64,
    /// Windows a regime must last before it counts as stable.
    pub min_windows: usize,
}

impl Default for StableConfig {
    fn default() -> Self {
        StableConfig { window_ms: 30_000, tol: 0.05, min_windows: 3 }
    }
}

/// What the detector says after a sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum Stability {
    /// No regime has lasted long enough.
    NotStableYet,
    /// Power has stayed in one band since `since_t_ms`.
    Stable {
        /// Start of the regime, ms.
        since_t_ms: u64,
        /// Mean power of the regime's complete windows, W.
        mean_power_w: f64,
        /// Largest deviation of a window mean from the regime mean, relative.
        spread: f64,
    },
}

/// Online stable-point detector.
#[derive(Debug, Clone)]
pub struct StableDetector {
    cfg: StableConfig,
    /// Current window: start, energy so far (J), duration so far (ms), last sample.
    win_start_ms: Option<u64>,
    win_energy_j: f64,
    win_ms: u64,
    last: Option<(u64, f64)>,
    /// Means of the complete windows of the current regime, and its start.
    regime: Vec<f64>,
    regime_start_ms: u64,
}

impl StableDetector {
    /// A detector with these settings.
    pub fn new(cfg: StableConfig) -> Self {
        StableDetector {
            cfg,
            win_start_ms: None,
            win_energy_j: 0.0,
            win_ms: 0,
            last: None,
            regime: Vec::new(),
            regime_start_ms: 0,
        }
    }

    /// Feeds one sample (times must increase; others are ignored) and says where things stand.
    pub fn push(&mut self, t_ms: u64, power_w: f64) -> Stability {
        if let Some((lt, lp)) = self.last {
            if t_ms <= lt || !power_w.is_finite() {
                return self.state();
            }
            let dt = t_ms - lt;
            self.win_energy_j += dt as f64 / 1000.0 * (lp + power_w) / 2.0;
            self.win_ms += dt;
        }
        self.last = Some((t_ms, power_w));
        let start = *self.win_start_ms.get_or_insert(t_ms);
        if t_ms - start >= self.cfg.window_ms && self.win_ms > 0 {
            let mean = self.win_energy_j / (self.win_ms as f64 / 1000.0);
            self.close_window(start, mean);
            self.win_start_ms = Some(t_ms);
            self.win_energy_j = 0.0;
            self.win_ms = 0;
        }
        self.state()
    }

    fn close_window(&mut self, start_ms: u64, mean: f64) {
        let regime_mean = mean_of(&self.regime);
        let inside = self.regime.is_empty() || (mean - regime_mean).abs() <= self.cfg.tol * regime_mean.abs().max(1e-9);
        if inside {
            if self.regime.is_empty() {
                self.regime_start_ms = start_ms;
            }
            self.regime.push(mean);
        } else {
            self.regime = vec![mean];
            self.regime_start_ms = start_ms;
        }
    }

    /// The current state without a new sample.
    pub fn state(&self) -> Stability {
        if self.regime.len() < self.cfg.min_windows {
            return Stability::NotStableYet;
        }
        let m = mean_of(&self.regime);
        let spread = self.regime.iter().map(|w| ((w - m) / m).abs()).fold(0.0, f64::max);
        Stability::Stable { since_t_ms: self.regime_start_ms, mean_power_w: m, spread }
    }
}

fn mean_of(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// Runs the detector over a whole series and returns its state after each sample.
pub fn detect_series(cfg: StableConfig, t_ms: &[u64], power_w: &[f64]) -> Vec<Stability> {
    let mut d = StableDetector::new(cfg);
    t_ms.iter().zip(power_w).map(|(t, p)| d.push(*t, *p)).collect()
}

/// A STEP projection of a run's total energy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projection {
    /// Projected total energy, J.
    pub energy_j: f64,
    /// Interval, J.
    pub low_j: f64,
    /// Interval, J.
    pub high_j: f64,
    /// Energy measured so far, J.
    pub observed_j: f64,
    /// Start of the stable regime used, ms.
    pub stable_since_t_ms: u64,
    /// Notes (e.g. epoch lengths taken from the run's mean).
    pub warnings: Vec<String>,
}

/// STEP power-based: measured energy so far + the stable regime's mean power × the time left.
///
/// `t_ms`/`power_w` are the samples observed so far; `total_ms` is the run's total duration (known or
/// forecast). `None` while power is not stable.
pub fn step_power(cfg: StableConfig, t_ms: &[u64], power_w: &[f64], total_ms: u64) -> Option<Projection> {
    let Stability::Stable { since_t_ms, .. } = *detect_series(cfg, t_ms, power_w).last()? else { return None };
    let now = *t_ms.last()?;
    let observed = crate::profile::trapezoid_j(t_ms, power_w);
    let (mean, spread) = regime_power(t_ms, power_w, since_t_ms, cfg.window_ms);
    let left_s = total_ms.saturating_sub(now) as f64 / 1000.0;
    let energy = observed + mean * left_s;
    Some(Projection {
        energy_j: energy,
        low_j: observed + mean * (1.0 - spread) * left_s,
        high_j: observed + mean * (1.0 + spread) * left_s,
        observed_j: observed,
        stable_since_t_ms: since_t_ms,
        warnings: Vec::new(),
    })
}

/// Time-weighted mean power over `[since, end]`, and the largest relative deviation of a window's mean.
fn regime_power(t_ms: &[u64], power_w: &[f64], since_ms: u64, window_ms: u64) -> (f64, f64) {
    let i = t_ms.partition_point(|t| *t < since_ms);
    let (t, p) = (&t_ms[i..], &power_w[i..]);
    let dur_s = (t.last().copied().unwrap_or(since_ms) - t.first().copied().unwrap_or(since_ms)) as f64 / 1000.0;
    let mean = if dur_s > 0.0 { crate::profile::trapezoid_j(t, p) / dur_s } else { p.first().copied().unwrap_or(0.0) };
    let mut spread: f64 = 0.0;
    let mut start = 0;
    while start + 1 < t.len() {
        let end = t.partition_point(|x| *x < t[start] + window_ms).max(start + 1).min(t.len() - 1);
        let w_s = (t[end] - t[start]) as f64 / 1000.0;
        if w_s > 0.0 {
            let m = crate::profile::trapezoid_j(&t[start..=end], &p[start..=end]) / w_s;
            spread = spread.max(((m - mean) / mean).abs());
        }
        start = end;
    }
    (mean, spread)
}

/// STEP epoch-based: energy of the complete epochs so far + the mean energy of the complete epochs
/// since the stable point × the epochs left. `epoch_ends_ms` are the ends of the epochs completed so
/// far (from marks, or every `mean epoch length` when the run has no marks; say so in `note`).
pub fn step_epoch(
    cfg: StableConfig,
    t_ms: &[u64],
    power_w: &[f64],
    epoch_ends_ms: &[u64],
    total_epochs: u32,
    note: Option<String>,
) -> Option<Projection> {
    let Stability::Stable { since_t_ms, .. } = *detect_series(cfg, t_ms, power_w).last()? else { return None };
    let energy_to = |end: u64| {
        let k = t_ms.partition_point(|t| *t <= end);
        crate::profile::trapezoid_j(&t_ms[..k], &power_w[..k])
    };
    let mut starts = vec![0u64];
    starts.extend(epoch_ends_ms.iter().copied());
    let energies: Vec<(u64, f64)> =
        epoch_ends_ms.iter().zip(&starts).map(|(end, start)| (*start, energy_to(*end) - energy_to(*start))).collect();
    let window: Vec<f64> = energies.iter().filter(|(s, _)| *s >= since_t_ms).map(|(_, e)| *e).collect();
    if window.is_empty() {
        return None;
    }
    let done = epoch_ends_ms.len() as u32;
    let observed = energy_to(*epoch_ends_ms.last()?);
    let mean = mean_of(&window);
    let spread = window.iter().map(|e| ((e - mean) / mean).abs()).fold(0.0, f64::max);
    let left = f64::from(total_epochs.saturating_sub(done));
    Some(Projection {
        energy_j: observed + mean * left,
        low_j: observed + mean * (1.0 - spread) * left,
        high_j: observed + mean * (1.0 + spread) * left,
        observed_j: observed,
        stable_since_t_ms: since_t_ms,
        warnings: note.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1 Hz series: `a` W for `n1` s, then `b` W for `n2` s.
    fn series(a: f64, n1: u64, b: f64, n2: u64) -> (Vec<u64>, Vec<f64>) {
        let t: Vec<u64> = (0..n1 + n2).map(|i| i * 1000).collect();
        let p = (0..n1 + n2).map(|i| if i < n1 { a } else { b }).collect();
        (t, p)
    }

    #[test]
    fn constant_power_becomes_stable_after_min_windows() {
        let (t, p) = series(200.0, 200, 200.0, 0);
        let states = detect_series(StableConfig::default(), &t, &p);
        // Windows close at 30, 60, 90 s: stable from the third close on, since t = 0.
        assert_eq!(states[89], Stability::NotStableYet);
        assert!(matches!(states[90], Stability::Stable { since_t_ms: 0, .. }), "{:?}", states[90]);
    }

    #[test]
    fn a_regime_change_resets_and_restarts() {
        let (t, p) = series(100.0, 120, 300.0, 200);
        let states = detect_series(StableConfig::default(), &t, &p);
        assert!(matches!(states[119], Stability::Stable { since_t_ms: 0, .. }));
        // The window holding the step leaves the band: not stable until three windows of 300 W have closed.
        assert_eq!(states[150], Stability::NotStableYet);
        let Stability::Stable { since_t_ms, mean_power_w, .. } = *states.last().unwrap() else { panic!() };
        assert!(since_t_ms >= 120_000 && (mean_power_w - 300.0).abs() < 1e-9);
    }

    #[test]
    fn step_power_projects_exactly_on_constant_power() {
        // 100 s at 100 W observed out of a 1000 s run: 100 W × 1000 s = 100 kJ, minus the trapezoid's
        // missing last second (the series ends at 99 s): observed 9.9 kJ + 100 W × 901 s = 100 kJ.
        let (t, p) = series(100.0, 100, 100.0, 0);
        let proj = step_power(StableConfig::default(), &t, &p, 1_000_000).unwrap();
        assert!((proj.energy_j - 100_000.0).abs() < 1e-6, "{}", proj.energy_j);
        assert!((proj.low_j - proj.high_j).abs() < 1e-6);
    }

    #[test]
    fn step_epoch_uses_epochs_after_the_stable_point() {
        // 10 s epochs at 100 W (1 kJ each); 12 of 50 epochs seen.
        let (t, p) = series(100.0, 121, 100.0, 0);
        let ends: Vec<u64> = (1..=12).map(|e| e * 10_000).collect();
        let proj = step_epoch(StableConfig::default(), &t, &p, &ends, 50, Some("note".into())).unwrap();
        assert!((proj.energy_j - 50_000.0).abs() < 1e-6, "{}", proj.energy_j);
        assert_eq!(proj.warnings, vec!["note".to_string()]);
    }

    #[test]
    fn not_stable_gives_none() {
        let (t, p) = series(100.0, 50, 100.0, 0);
        assert!(step_power(StableConfig::default(), &t, &p, 1_000_000).is_none());
    }
}
