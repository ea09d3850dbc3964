//! Share-link decoding: any text (a query or a whole URL) parses and resolves without panicking; what it
//! resolves to encodes to a link that decodes to the same scenario, and its estimates hold the invariants.
#![no_main]

use estimator::ScenarioQuery;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let (catalog, cal) = wattcast_fuzz::shipped();
    let text = String::from_utf8_lossy(bytes);
    let (resolved, report) = estimator::estimate(catalog, cal, &text);
    let again = estimator::resolve(&ScenarioQuery::parse(&report.query), catalog);
    assert_eq!(again.scenario, resolved.scenario, "link {:?} → {:?} does not round-trip", text, report.query);
    assert!(again.errors.is_empty(), "the canonical link {:?} has errors: {:?}", report.query, again.errors);
    let bad = report.invariant_violations();
    assert!(bad.is_empty(), "{text:?}: {bad:?}");
});
