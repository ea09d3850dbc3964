//! What the fuzz targets share: the shipped catalogue and calibration, parsed once per process.

use std::sync::OnceLock;

use estimator::{Calibration, Catalog};

/// The embedded catalogue and calibration.
pub fn shipped() -> &'static (Catalog, Calibration) {
    static DATA: OnceLock<(Catalog, Calibration)> = OnceLock::new();
    DATA.get_or_init(|| (Catalog::embedded().unwrap(), Calibration::embedded().unwrap()))
}
