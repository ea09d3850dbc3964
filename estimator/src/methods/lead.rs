//! Which estimate each GPU leads with: among the methods scored on runs like the scenario, the one whose
//! held-out error is lowest for its kind of case (GPU and workload each measured or not), with a sentence
//! saying why. The page, the CLI and the ranking lead with the row this marks (`headline: true`).

use super::{Estimate, MethodId};
use crate::backbone::Case;
use crate::calibration::{Calibration, Evaluated, Protocol, Split};

/// The methods that may lead, in the order that breaks ties: the time × power model, then PRE where it was
/// fitted on runs like the scenario (`PreInputs::within_fit`).
const CANDIDATES: [MethodId; 3] = [MethodId::Headline, MethodId::PrePower, MethodId::PreEpoch];

/// A method's held-out MAPE (%) and runs for a case, with the duration predicted or given.
fn held_out(cal: &Calibration, method: MethodId, case: Case, predicted_duration: bool) -> Option<(f64, usize)> {
    let protocol = Protocol { split: Split::Holdout(case.holdout()), predicted_duration };
    let r = cal.summary.accuracy_of(Evaluated::Method(method), protocol)?;
    Some((r.mape_pct?, r.n_runs))
}

/// Marks one GPU's leading row (`headline: true` on exactly one of `rows`, the time × power model's when
/// nothing else qualifies) and puts the reason first in its evidence. `case` is the scenario's case on
/// this GPU (`None` without a time × power model); `pre_within_fit` whether PRE may compete.
pub fn mark(rows: &mut [Estimate], case: Option<Case>, pre_within_fit: bool, cal: &Calibration) {
    let at = |rows: &[Estimate], m: MethodId| rows.iter().position(|r| r.method == m);
    let Some(tp) = at(rows, MethodId::Headline) else { return };
    for r in rows.iter_mut() {
        r.headline = false;
    }
    let predicted = rows[tp].duration_estimated;
    let scored: Vec<(usize, f64, usize)> = case
        .map(|c| {
            CANDIDATES
                .iter()
                .filter(|m| **m == MethodId::Headline || pre_within_fit)
                .filter_map(|m| at(rows, *m))
                .filter(|&i| rows[i].energy_kwh.is_some())
                .filter_map(|i| held_out(cal, rows[i].method, c, predicted).map(|(e, n)| (i, e, n)))
                .collect()
        })
        .unwrap_or_default();
    let lead = scored.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    let i = lead.map_or(tp, |l| l.0);
    rows[i].headline = true;
    let (Some(&(_, mape, n)), Some(case)) = (lead, case) else { return };
    let others: Vec<String> =
        scored.iter().filter(|s| s.0 != i).map(|s| format!("{:.0} % for {}", s.1, rows[s.0].method.label())).collect();
    let label = rows[i].method.label();
    let why = if others.is_empty() {
        // Its energy error on the profile runs (small, input-bound models) says little about this case; the
        // evidence that follows gives its power and throughput errors.
        let why_alone = if pre_within_fit {
            "PRE has no estimate or no held-out error for this case"
        } else {
            "PRE was fitted on image models and GPUs within a range this scenario leaves"
        };
        format!("{label} leads as the only method scored on runs like this one ({why_alone})")
    } else {
        format!(
            "{label} leads with the lowest held-out error for this case ({}): MAPE {mape:.0} % on {n} runs, against {}",
            super::headline::case_phrase(case),
            others.join(" and ")
        )
    };
    rows[i].evidence = Some(match rows[i].evidence.take() {
        Some(e) => format!("{why}; {e}"),
        None => why,
    });
}
