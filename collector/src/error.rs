//! The one "bad input" error of the CLI and the Python package: a flag, keyword or environment variable
//! with a value that cannot be used, named with its value and what was expected. `main` maps it to exit 2.

use thiserror::Error;

/// A flag (or keyword argument, or launcher variable) with a bad value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid value \"{value}\" for {}: {reason}", display_name(self.flag))]
pub struct FlagError {
    /// The flag's name without dashes (`gpus`), or an environment variable's (`LOCAL_RANK`).
    pub flag: &'static str,
    /// Its value.
    pub value: String,
    /// What was expected.
    pub reason: String,
}

impl FlagError {
    /// A flag with a bad value.
    pub fn new(flag: &'static str, value: &dyn std::fmt::Display, reason: &str) -> FlagError {
        FlagError { flag, value: value.to_string(), reason: reason.into() }
    }
}

/// `--gpus` for a flag, `LOCAL_RANK` as it is for an environment variable (all capitals).
fn display_name(flag: &str) -> String {
    if flag.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
        flag.to_string()
    } else {
        format!("--{flag}")
    }
}
