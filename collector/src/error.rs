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

impl FlagError {
    /// The message as the Python package words it: the keyword argument (`keyword argument batch`), not the
    /// CLI's flag (`--batch`); an environment variable as `environment variable LOCAL_RANK`.
    pub fn keyword_message(&self) -> String {
        let name = if is_env_var(self.flag) {
            format!("environment variable {}", self.flag)
        } else {
            format!("keyword argument {}", self.flag.replace('-', "_"))
        };
        format!("invalid value \"{}\" for {name}: {}", self.value, self.reason)
    }
}

/// Whether a name is an environment variable's (all capitals).
fn is_env_var(flag: &str) -> bool {
    flag.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// `--interval-ms` for a flag (`interval_ms` or `interval-ms`), `LOCAL_RANK` as it is for an environment variable.
fn display_name(flag: &str) -> String {
    if is_env_var(flag) {
        flag.to_string()
    } else {
        format!("--{}", flag.replace('_', "-"))
    }
}

#[cfg(test)]
mod tests {
    use super::FlagError;

    /// The CLI names its flag, the Python package the keyword argument, both an environment variable as it is.
    #[test]
    fn flag_keyword_and_variable_wording() {
        for (flag, cli, python) in [
            ("interval_ms", "for --interval-ms:", "for keyword argument interval_ms:"),
            ("idle-s", "for --idle-s:", "for keyword argument idle_s:"),
            ("batch", "for --batch:", "for keyword argument batch:"),
            ("LOCAL_RANK", "for LOCAL_RANK:", "for environment variable LOCAL_RANK:"),
        ] {
            let e = FlagError::new(flag, &"x y", "expected z");
            assert_eq!(e.to_string(), format!("invalid value \"x y\" {cli} expected z"));
            assert_eq!(e.keyword_message(), format!("invalid value \"x y\" {python} expected z"));
        }
    }
}
