//! Entry point of the wasm binary.
fn main() {}
