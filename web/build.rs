//! Writes the page's embedded data, `OUT_DIR/data.bin`: the catalogue and calibration that `estimator`
//! compiles in (the committed `data/` files), as an [`estimator::snapshot::Snapshot`]. The page reads it with
//! postcard instead of parsing JSON (a smaller and faster wasm); the snapshot is read back here first, so a
//! data change that the format cannot carry fails the build instead of the page.

use std::{env, fs, path::Path};

use estimator::snapshot::Snapshot;
use estimator::{Calibration, Catalog};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let catalog = Catalog::embedded().unwrap_or_else(|e| panic!("the embedded catalogue: {e}"));
    let calibration = Calibration::embedded().unwrap_or_else(|e| panic!("the embedded calibration: {e}"));
    let snapshot = Snapshot::of(&catalog, &calibration).unwrap_or_else(|e| panic!("{e}"));
    let bytes = snapshot.to_bytes();
    let (read_catalog, read_calibration) = Snapshot::read(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        Snapshot::of(&read_catalog, &read_calibration).ok() == Some(snapshot),
        "the snapshot does not read back as written: a member of the embedded data has no postcard form"
    );
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    fs::write(Path::new(&out).join("data.bin"), bytes).expect("write OUT_DIR/data.bin");
}
