//! The data the page runs on: the embedded catalogue and calibration, and the handles the components
//! compare by address (the built-in calibration, or one refitted with a user's profile).

use estimator::Catalog;

/// A catalogue reference compared by address (the catalogue is one static value).
#[derive(Clone, Copy)]
pub struct CatalogRef(pub &'static Catalog);

impl PartialEq for CatalogRef {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl From<&'static Catalog> for CatalogRef {
    fn from(c: &'static Catalog) -> Self {
        CatalogRef(c)
    }
}

/// The calibration, compared by address (the built-in one, or one refitted with a user's profile).
#[derive(Clone, Copy, Debug)]
pub struct CalRef(pub &'static estimator::Calibration);

impl PartialEq for CalRef {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}
