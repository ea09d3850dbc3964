//! STEP (Stable Training Epoch Projection, arXiv 2307.05520): detect online when power has settled,
//! then project the run's total energy from what was measured so far.
//!
//! The detector sees one sample at a time, as a recorder does, and closes a window every `window_ms`
//! (default 30 s) with its mean power. After each window it looks for the earliest window `s` such that
//! the mean power of `[s, now]` split in two halves agrees within ±`tol`, and the last window is within
//! ±`tol` of that mean too. Comparing halves rather than single windows lets the periodic swing of
//! epochs with validation passes average out, while a step in power (a frozen backbone unfreezing, a
//! new phase) separates the halves. The regime must also have lasted `min_windows` windows and, when
//! the run's total duration is known, `min_fraction` of it: a flat phase in the first minutes of a long
//! run is not trusted to last. Unlike the paper's matrix profile + fixed epoch 10, it needs no look-ahead
//! and no epoch count.
//!
//! Before such a regime exists, the projections fall back to an *early* regime ([`EARLY_CONFIG`]: 10 s
//! windows, 1 % of the run) and say so. Its interval is not the regime's own spread: power often rises after
//! the first tenth of a run (the first epoch reads the data from disk, later ones from the cache), so the
//! energy still to come is bounded by [`EARLY_REST_BAND`], measured on held-out runs. When power has just
//! changed (a new phase began less than 30 s ago), the last two 10-s windows that agree make a *latest*
//! regime ([`LATEST_CONFIG`]), with its own, wider held-out band ([`LATEST_REST_BAND`]). Only when even that is
//! missing does the detector say "not stable yet".

use serde::Serialize;

/// Detector settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StableConfig {
    /// Window length, ms.
    pub window_ms: u64,
    /// Relative band (0.05 = ±5 %).
    pub tol: f64,
    /// Windows a regime must span.
    pub min_windows: usize,
    /// Fraction of the total duration (when known) a regime must span.
    pub min_fraction: f64,
}

impl Default for StableConfig {
    fn default() -> Self {
        StableConfig { window_ms: 30_000, tol: 0.05, min_windows: 3, min_fraction: 0.10 }
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
        /// Start of the regime's second half, ms: projections use the power since then, which follows
        /// slow drifts (warming up) better than the whole regime's mean.
        recent_since_t_ms: u64,
        /// Mean power of the regime's complete windows, W.
        mean_power_w: f64,
        /// Relative difference between the regime's two halves (an error scale for projections).
        spread: f64,
    },
}

/// Online stable-point detector.
#[derive(Debug, Clone)]
pub struct StableDetector {
    cfg: StableConfig,
    total_ms: Option<u64>,
    win_start_ms: Option<u64>,
    win_energy_j: f64,
    win_ms: u64,
    last: Option<(u64, f64)>,
    /// Complete windows: start, length (s), energy (J); and prefix sums of length and energy.
    starts: Vec<u64>,
    prefix_s: Vec<f64>,
    prefix_j: Vec<f64>,
    state: Stability,
}

impl StableDetector {
    /// A detector with these settings.
    pub fn new(cfg: StableConfig) -> Self {
        StableDetector {
            cfg,
            total_ms: None,
            win_start_ms: None,
            win_energy_j: 0.0,
            win_ms: 0,
            last: None,
            starts: Vec::new(),
            prefix_s: vec![0.0],
            prefix_j: vec![0.0],
            state: Stability::NotStableYet,
        }
    }

    /// Tells the detector the run's expected total duration (enables `min_fraction`).
    pub fn with_total(mut self, total_ms: Option<u64>) -> Self {
        self.total_ms = total_ms;
        self
    }

    /// Feeds one sample (times must increase; others are ignored) and says where things stand.
    pub fn push(&mut self, t_ms: u64, power_w: f64) -> Stability {
        if !power_w.is_finite() {
            return self.state;
        }
        if let Some((lt, lp)) = self.last {
            if t_ms <= lt {
                return self.state;
            }
            let dt = t_ms - lt;
            self.win_energy_j += dt as f64 / 1000.0 * (lp + power_w) / 2.0;
            self.win_ms += dt;
        }
        self.last = Some((t_ms, power_w));
        let start = *self.win_start_ms.get_or_insert(t_ms);
        if t_ms - start >= self.cfg.window_ms && self.win_ms > 0 {
            self.starts.push(start);
            let n = self.prefix_s.len();
            self.prefix_s.push(self.prefix_s[n - 1] + self.win_ms as f64 / 1000.0);
            self.prefix_j.push(self.prefix_j[n - 1] + self.win_energy_j);
            self.win_start_ms = Some(t_ms);
            self.win_energy_j = 0.0;
            self.win_ms = 0;
            self.state = self.evaluate(t_ms);
        }
        self.state
    }

    /// Mean power of windows `a..b`.
    fn mean(&self, a: usize, b: usize) -> f64 {
        let s = self.prefix_s[b] - self.prefix_s[a];
        if s > 0.0 {
            (self.prefix_j[b] - self.prefix_j[a]) / s
        } else {
            0.0
        }
    }

    fn evaluate(&self, now_ms: u64) -> Stability {
        let n = self.starts.len();
        let min_ms = self.total_ms.map_or(0.0, |t| t as f64 * self.cfg.min_fraction);
        let tol = self.cfg.tol;
        let close = |a: f64, b: f64| (a - b).abs() <= tol * b.abs().max(1e-9);
        // The recent level: the last `min_windows` windows, so one window of a swing does not break a regime.
        let last = self.mean(n.saturating_sub(self.cfg.min_windows), n);
        for s in 0..n {
            if n - s < self.cfg.min_windows || ((now_ms - self.starts[s]) as f64) < min_ms {
                break;
            }
            let mid = s + (n - s) / 2;
            let (h1, h2, all) = (self.mean(s, mid), self.mean(mid, n), self.mean(s, n));
            if close(h1, h2) && close(last, all) {
                return Stability::Stable {
                    since_t_ms: self.starts[s],
                    recent_since_t_ms: self.starts[mid],
                    mean_power_w: all,
                    spread: (h1 - h2).abs() / all,
                };
            }
        }
        Stability::NotStableYet
    }

    /// The current state without a new sample.
    pub fn state(&self) -> Stability {
        self.state
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
pub fn detect_series(cfg: StableConfig, t_ms: &[u64], power_w: &[f64], total_ms: Option<u64>) -> Vec<Stability> {
    let mut d = StableDetector::new(cfg).with_total(total_ms);
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
    /// Which regime it rests on.
    pub basis: Basis,
}

/// The regime a projection rests on, from the longest to the shortest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// A regime of at least `min_fraction` of the run: its own spread is the interval.
    Settled,
    /// An early regime ([`EARLY_CONFIG`]), [`EARLY_REST_BAND`].
    Early,
    /// The last two 10-s windows ([`LATEST_CONFIG`]), [`LATEST_REST_BAND`].
    Latest,
}

impl Basis {
    /// Its name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Settled => "settled",
            Basis::Early => "early",
            Basis::Latest => "latest",
        }
    }

    /// The held-out band of the energy still to come, for the short regimes.
    pub fn rest_band(self) -> Option<(f64, f64)> {
        match self {
            Basis::Settled => None,
            Basis::Early => Some(EARLY_REST_BAND),
            Basis::Latest => Some(LATEST_REST_BAND),
        }
    }
}

impl Projection {
    /// Whether it rests on a short regime (early or latest: its interval is a held-out band).
    pub fn early(&self) -> bool {
        self.basis != Basis::Settled
    }

    /// Observed energy + the projected rest, with the interval: the regime's spread (+ the floor) on the rest,
    /// or for an early regime the held-out band.
    fn of(observed: f64, rest: f64, spread: f64, basis: Basis, since: u64, mut warnings: Vec<String>) -> Projection {
        let (lo, hi) = match basis {
            Basis::Settled => (1.0 - spread - INTERVAL_FLOOR, 1.0 + spread + INTERVAL_FLOOR),
            Basis::Early => {
                warnings.push(EARLY_WARNING.to_string());
                EARLY_REST_BAND
            }
            Basis::Latest => {
                warnings.push(LATEST_WARNING.to_string());
                LATEST_REST_BAND
            }
        };
        Projection {
            energy_j: observed + rest,
            low_j: observed + rest * lo,
            high_j: observed + rest * hi,
            observed_j: observed,
            stable_since_t_ms: since,
            warnings,
            basis,
        }
    }
}

/// STEP power-based: measured energy so far + the stable regime's mean power × the time left.
///
/// `t_ms`/`power_w` are the samples observed so far; `total_ms` is the run's total duration (known or
/// forecast). `None` while power is not stable.
pub fn step_power(cfg: StableConfig, t_ms: &[u64], power_w: &[f64], total_ms: u64) -> Option<Projection> {
    let (since_t_ms, recent_since_t_ms, spread, basis) = regime(cfg, t_ms, power_w, Some(total_ms))?;
    let now = *t_ms.last()?;
    let observed = crate::profile::trapezoid_j(t_ms, power_w);
    let mean = regime_power(t_ms, power_w, recent_since_t_ms);
    let left_s = total_ms.saturating_sub(now) as f64 / 1000.0;
    Some(Projection::of(observed, mean * left_s, spread, basis, since_t_ms, Vec::new()))
}

/// When a run of `planned` epochs should end, ms, from its start and the epoch ends so far: the last end + the
/// epochs left × the median length of the epochs after the first. The first holds the warm-up (model build,
/// autotuning, a cold data cache): on an H200 it took 8.9 s where the others took 7.2 s, and averaging it in put
/// the forecast 4 % long after five epochs. With one epoch, its length is all there is. `None` before the first.
pub fn forecast_end_ms(start_ms: u64, epoch_ends_ms: &[u64], planned: u32) -> Option<u64> {
    let last = *epoch_ends_ms.last()?;
    let starts = std::iter::once(start_ms).chain(epoch_ends_ms.iter().copied());
    let lengths: Vec<f64> = epoch_ends_ms.iter().zip(starts).map(|(e, s)| e.saturating_sub(s) as f64).collect();
    let steady = if lengths.len() > 1 { lengths[1..].to_vec() } else { lengths };
    let per = crate::fit::median(steady)?;
    let left = planned.saturating_sub(epoch_ends_ms.len() as u32);
    Some(last + (per * f64::from(left)) as u64)
}

/// Half-width added to every STEP interval (relative): sampling and measurement error.
pub const INTERVAL_FLOOR: f64 = 0.01;

/// The detector for early projections, when no regime of `min_fraction` of the run exists yet.
pub const EARLY_CONFIG: StableConfig =
    StableConfig { window_ms: 10_000, tol: 0.05, min_windows: 3, min_fraction: 0.01 };

/// The energy still to come ÷ an early projection of it, from the SEAA traces projected early after 10 % (271
/// of 309 runs; recomputed from `data/profiles` by `early_rest_band` in a test): their 10th and 90th percentiles
/// are 0.999 and 1.219, because every SEAA run draws more power after a frozen-backbone phase. Nothing says other
/// runs change in that direction (an evaluation phase or a shrinking batch lowers the power), so the band is made
/// symmetric in log space: as far below 1 as the data reach above it. The interval of an early projection is
/// observed + projected rest × this band. Held out by architecture (the band of the other four applied to the
/// fifth), see STEP's `observe-10` rows of `wattcast eval` for its coverage.
pub const EARLY_REST_BAND: (f64, f64) = (0.82, 1.219);

/// The band `EARLY_REST_BAND` is: the 10th and 90th percentiles of (true rest ÷ projected rest), widened to be
/// symmetric in log space around 1 (the lower bound at most 1 ÷ the upper, the upper at least 1 ÷ the lower),
/// 3 decimals.
pub fn early_rest_band(ratios: &[f64]) -> Option<(f64, f64)> {
    let mut r: Vec<f64> = ratios.iter().copied().filter(|x| x.is_finite() && *x > 0.0).collect();
    if r.len() < 10 {
        return None;
    }
    crate::order::sort_by(&mut r, f64::total_cmp);
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    let (q10, q90) = (crate::fit::quantile(&r, 0.1), crate::fit::quantile(&r, 0.9));
    Some((round(q10.min(1.0 / q90)), round(q90.max(1.0 / q10))))
}

/// The last state of the detector with `cfg`, else of the early detector, else of the latest: (regime start,
/// its second half's start, spread, basis). The shorter regimes stand in only when the run's total duration is
/// known and `cfg` asks for a share of it.
fn regime(cfg: StableConfig, t_ms: &[u64], power_w: &[f64], total_ms: Option<u64>) -> Option<(u64, u64, f64, Basis)> {
    let fallbacks = total_ms.is_some() && cfg.min_fraction > EARLY_CONFIG.min_fraction;
    let tiers = [(cfg, Basis::Settled), (EARLY_CONFIG, Basis::Early), (LATEST_CONFIG, Basis::Latest)];
    tiers.into_iter().take(if fallbacks { 3 } else { 1 }).find_map(|(c, basis)| {
        match detect_series(c, t_ms, power_w, total_ms).last().copied()? {
            Stability::Stable { since_t_ms, recent_since_t_ms, spread, .. } => {
                Some((since_t_ms, recent_since_t_ms, spread, basis))
            }
            Stability::NotStableYet => None,
        }
    })
}

/// The detector for the latest regime, when power changed too recently for an early one: the last two 10-s
/// windows within ±5 % of each other.
pub const LATEST_CONFIG: StableConfig =
    StableConfig { window_ms: 10_000, tol: 0.05, min_windows: 2, min_fraction: 0.0 };

/// The energy still to come ÷ a latest-regime projection of it, 10th and 90th percentiles made symmetric in log
/// space as [`EARLY_REST_BAND`] is, from the SEAA traces projected that way after 10 % (recomputed from
/// `data/profiles` by `early_rest_band` in a test): 22 of 309 runs, mostly those whose backbone had been unfrozen
/// within the last minute, so the new level holds for the rest. A few caught mid-change projected the whole run
/// up to 29 % low, beyond the band; `observe-10`'s coverage (held out by architecture) counts them.
pub const LATEST_REST_BAND: (f64, f64) = (0.835, 1.198);

/// What a latest-regime projection says about itself.
pub const LATEST_WARNING: &str =
    "provisional projection: power changed within the last minute; the interval is the held-out band of such projections";

/// What an early projection says about itself.
pub const EARLY_WARNING: &str = "early projection: the power has been steady only briefly; the energy still to come \
was 0–22 % above such projections for 80 % of held-out runs, and the interval says so";

/// Time-weighted mean power over `[since, end]`.
fn regime_power(t_ms: &[u64], power_w: &[f64], since_ms: u64) -> f64 {
    let i = t_ms.partition_point(|t| *t < since_ms);
    let (t, p) = (&t_ms[i..], &power_w[i..]);
    let dur_s = (t.last().copied().unwrap_or(since_ms) - t.first().copied().unwrap_or(since_ms)) as f64 / 1000.0;
    if dur_s > 0.0 {
        crate::profile::trapezoid_j(t, p) / dur_s
    } else {
        p.first().copied().unwrap_or(0.0)
    }
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
    total_ms: Option<u64>,
    note: Option<String>,
) -> Option<Projection> {
    let (since_t_ms, recent_since_t_ms, _, basis) = regime(cfg, t_ms, power_w, total_ms)?;
    let energy_to = |end: u64| {
        let k = t_ms.partition_point(|t| *t <= end);
        crate::profile::trapezoid_j(&t_ms[..k], &power_w[..k])
    };
    let mut starts = vec![0u64];
    starts.extend(epoch_ends_ms.iter().copied());
    let energies: Vec<(u64, f64)> =
        epoch_ends_ms.iter().zip(&starts).map(|(end, start)| (*start, energy_to(*end) - energy_to(*start))).collect();
    // The complete epochs of the regime's second half (or of the whole regime when that is too short).
    let recent: Vec<f64> = energies.iter().filter(|(s, _)| *s >= recent_since_t_ms).map(|(_, e)| *e).collect();
    let window = if recent.len() >= 2 {
        recent
    } else {
        energies.iter().filter(|(s, _)| *s >= since_t_ms).map(|(_, e)| *e).collect()
    };
    if window.is_empty() {
        return None;
    }
    let done = epoch_ends_ms.len() as u32;
    let observed = energy_to(*epoch_ends_ms.last()?);
    let mean = mean_of(&window);
    let half = window.len() / 2;
    let spread = if half > 0 { (mean_of(&window[..half]) - mean_of(&window[half..])).abs() / mean } else { 0.0 };
    let left = f64::from(total_epochs.saturating_sub(done));
    Some(Projection::of(observed, mean * left, spread, basis, since_t_ms, note.into_iter().collect()))
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
        let states = detect_series(StableConfig::default(), &t, &p, None);
        // Windows close at 30, 60, 90 s: stable from the third close on, since t = 0.
        assert_eq!(states[89], Stability::NotStableYet);
        assert!(matches!(states[90], Stability::Stable { since_t_ms: 0, .. }), "{:?}", states[90]);
    }

    #[test]
    fn a_regime_change_resets_and_restarts() {
        let (t, p) = series(100.0, 120, 300.0, 200);
        let states = detect_series(StableConfig::default(), &t, &p, None);
        assert!(matches!(states[119], Stability::Stable { since_t_ms: 0, .. }));
        // The window holding the step leaves the band: not stable until three windows of 300 W have closed.
        assert_eq!(states[150], Stability::NotStableYet);
        let Stability::Stable { since_t_ms, mean_power_w, .. } = *states.last().unwrap() else { panic!() };
        assert!(since_t_ms >= 120_000 && (mean_power_w - 300.0).abs() < 1e-9);
    }

    #[test]
    fn step_power_projects_exactly_on_constant_power() {
        // 100 s at 100 W observed out of a 600 s run (the series ends at 99 s): observed 9.9 kJ
        // + 100 W × 501 s = 60 kJ.
        let (t, p) = series(100.0, 100, 100.0, 0);
        let proj = step_power(StableConfig::default(), &t, &p, 600_000).unwrap();
        assert!((proj.energy_j - 60_000.0).abs() < 1e-6, "{}", proj.energy_j);
        // The interval is the 1 % floor of the part still to come (50.1 kJ).
        assert!((proj.high_j - proj.low_j - 2.0 * 0.01 * 50_100.0).abs() < 1e-6);
    }

    #[test]
    fn periodic_swings_average_out_and_short_flat_starts_are_not_trusted() {
        // 45 s epochs: 30 s at 200 W then 15 s at 140 W (a validation pass); 30 s windows alias it.
        let t: Vec<u64> = (0..900).map(|i| i * 1000).collect();
        let p: Vec<f64> = (0..900).map(|i| if i % 45 < 30 { 200.0 } else { 140.0 }).collect();
        assert!(matches!(detect_series(StableConfig::default(), &t, &p, None).last(), Some(Stability::Stable { .. })));
        // A flat first phase of 100 s in a 3000 s run is shorter than 12 % of the run: not trusted yet.
        let (t, p) = series(100.0, 100, 100.0, 0);
        assert_eq!(
            *detect_series(StableConfig::default(), &t, &p, Some(3_000_000)).last().unwrap(),
            Stability::NotStableYet
        );
    }

    #[test]
    fn step_epoch_uses_epochs_after_the_stable_point() {
        // 10 s epochs at 100 W (1 kJ each); 12 of 50 epochs seen.
        let (t, p) = series(100.0, 121, 100.0, 0);
        let ends: Vec<u64> = (1..=12).map(|e| e * 10_000).collect();
        let proj = step_epoch(StableConfig::default(), &t, &p, &ends, 50, None, Some("note".into())).unwrap();
        assert!((proj.energy_j - 50_000.0).abs() < 1e-6, "{}", proj.energy_j);
        assert_eq!(proj.warnings, vec!["note".to_string()]);
    }

    #[test]
    fn a_short_regime_gives_an_early_projection_with_the_held_out_band_and_none_before() {
        // 20 s of flat power: fewer than three early windows, not stable yet.
        let (t, p) = series(100.0, 20, 100.0, 0);
        assert!(step_power(StableConfig::default(), &t, &p, 1_000_000).is_none());
        // 50 s: shorter than 10 % of the 1,000 s run, but an early regime.
        let (t, p) = series(100.0, 51, 100.0, 0);
        let proj = step_power(StableConfig::default(), &t, &p, 1_000_000).unwrap();
        assert!(proj.basis == Basis::Early && proj.warnings.iter().any(|w| w.starts_with("early projection")));
        let rest = 100.0 * 950.0;
        assert!((proj.energy_j - (5_000.0 + rest)).abs() < 1e-6, "{proj:?}");
        assert!((proj.high_j - (5_000.0 + rest * EARLY_REST_BAND.1)).abs() < 1e-6, "{proj:?}");
        // Power doubled 25 s ago: no early regime (three windows) at the new level, the latest (two) projects it.
        let (t, p) = series(100.0, 80, 200.0, 26);
        let proj = step_power(StableConfig::default(), &t, &p, 1_000_000).unwrap();
        assert_eq!((proj.basis, proj.early()), (Basis::Latest, true), "{proj:?}");
        assert!(proj.warnings.iter().any(|w| w.starts_with("provisional projection")), "{proj:?}");
        let rest = 200.0 * (1000.0 - 105.0);
        assert!((proj.energy_j - proj.observed_j - rest).abs() < 1e-6, "{proj:?}");
        assert!((proj.low_j - (proj.observed_j + rest * LATEST_REST_BAND.0)).abs() < 1e-6, "{proj:?}");
        // Without a known total there is no share of it to wait for: only the settled detector answers.
        assert!(step_epoch(StableConfig::default(), &t, &p, &[50_000, 100_000], 20, None, None).is_none());
        // 200 s: a regime of 10 % of the run, the regime's own (narrow) interval.
        let (t, p) = series(100.0, 201, 100.0, 0);
        let proj = step_power(StableConfig::default(), &t, &p, 1_000_000).unwrap();
        assert!(!proj.early() && proj.high_j - proj.energy_j < 0.02 * proj.energy_j, "{proj:?}");
    }
}
