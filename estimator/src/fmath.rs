//! Transcendental functions that give the same bits on every platform.
//!
//! `f64::exp` and `f64::ln` call the platform's maths library (glibc natively, a Rust port in
//! wasm32), which may differ in the last bit. The estimator promises the CLI and the page the same
//! numbers, so every transcendental call in it goes through these pure-Rust versions instead.
//! (`+ − × ÷` and `sqrt` are exactly rounded by IEEE 754 everywhere.)

/// eˣ, identical on every platform.
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// Natural logarithm, identical on every platform.
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// Base-10 logarithm, identical on every platform.
pub fn log10(x: f64) -> f64 {
    libm::log10(x)
}
