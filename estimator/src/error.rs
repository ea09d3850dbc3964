//! Typed errors of the estimator. Messages are lowercase and quote the offending value.

use thiserror::Error;

/// A data file that cannot be used.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DataError {
    /// The text is not the expected JSON.
    #[error("{file}: {message}")]
    Json {
        /// File name.
        file: &'static str,
        /// What the parser said.
        message: String,
    },
    /// A schema version this build cannot read.
    #[error("{file}: schema_version {found} is not supported (this build reads {})", crate::catalog::SCHEMA_VERSION)]
    SchemaVersion {
        /// File name.
        file: &'static str,
        /// Version found.
        found: u32,
    },
    /// Files from different data versions.
    #[error("{file}: data_version \"{found}\" differs from gpus.json's \"{expected}\"")]
    VersionMismatch {
        /// File name.
        file: &'static str,
        /// Version found.
        found: String,
        /// Version of gpus.json.
        expected: String,
    },
    /// An entry that breaks an invariant.
    #[error("{file}: entry \"{id}\": {reason}")]
    Invalid {
        /// File name.
        file: &'static str,
        /// Entry id.
        id: String,
        /// What is wrong.
        reason: String,
    },
}

/// A share-link or query value that cannot be used. The page falls back to the default for that key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryError {
    /// A value that does not parse or is out of range.
    #[error("invalid value \"{value}\" for \"{key}\": {reason}")]
    InvalidValue {
        /// The query key.
        key: &'static str,
        /// The value as given.
        value: String,
        /// What was expected.
        reason: String,
    },
    /// An id that is not in the catalogue.
    #[error("unknown {what} \"{value}\" for \"{key}\"")]
    UnknownId {
        /// The query key.
        key: &'static str,
        /// `GPU`, `architecture` or `region`.
        what: &'static str,
        /// The id as given.
        value: String,
    },
    /// A link format this build does not understand.
    #[error("unsupported link version \"{value}\" for \"v\": this page reads v=1")]
    UnsupportedVersion {
        /// The version as given.
        value: String,
    },
}

impl QueryError {
    /// The query key the error is about.
    pub fn key(&self) -> &'static str {
        match self {
            QueryError::InvalidValue { key, .. } | QueryError::UnknownId { key, .. } => key,
            QueryError::UnsupportedVersion { .. } => "v",
        }
    }
}
