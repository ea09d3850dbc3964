//! The data the page runs on: the embedded catalogue and calibration, the handles the components compare by
//! address (the built-in calibration, or one refitted with a user's profile), and [`PageData`], which `App`
//! provides once through a context instead of passing them down through every component's properties.

use std::rc::Rc;

use estimator::Catalog;
use yew::prelude::*;

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

/// A value the page's states share, compared by address: the reducer makes a new one for every change
/// (`Rc::make_mut` copies it while the previous state still holds it), so the address changes exactly when the
/// value may have, and no render compares a whole profile field by field.
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Rc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// What every part of the page reads: the catalogue and the calibration in force.
#[derive(Clone, Copy, PartialEq)]
pub struct PageData {
    /// The catalogue.
    pub catalog: CatalogRef,
    /// The calibration in force (the built-in one, or one refitted with the user's profile).
    pub calibration: CalRef,
}

/// The page's data from `App`'s context: `None` outside it (nothing to draw then).
#[hook]
pub fn use_page_data() -> Option<PageData> {
    use_context::<PageData>()
}
