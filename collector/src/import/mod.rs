//! Importers: turn public source tables into the project's own data files.
//!
//! Each importer is a pure function from the source text to a typed catalogue; `wattcast import`
//! reads the files and writes the JSON. Maintainer commands: a user's clone needs none of this.

pub mod bench;
pub mod catalog;
pub mod llm_tables;
pub mod meta;
pub mod nvidia_smi;
pub mod paper;
pub mod regions;
pub mod timm;

use std::str::FromStr;

use thiserror::Error;

/// A source table that cannot be imported.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The CSV itself is malformed.
    #[error("{file}: {message}")]
    Csv {
        /// Source file name.
        file: String,
        /// What the CSV reader said.
        message: String,
    },
    /// A required column is missing.
    #[error("{file}: missing column \"{column}\"")]
    MissingColumn {
        /// Source file name.
        file: String,
        /// Column name.
        column: String,
    },
    /// A cell that cannot be used.
    #[error("{0}")]
    Cell(Box<CellProblem>),
}

/// Where a bad cell is and what is wrong with it.
#[derive(Debug, Error)]
#[error("{file} line {line} (\"{row_id}\"): invalid {column} \"{value}\": {reason}")]
pub struct CellProblem {
    /// Source file name.
    pub file: String,
    /// 1-based line number.
    pub line: u64,
    /// The row's first cell, to find it.
    pub row_id: String,
    /// Column name.
    pub column: String,
    /// The cell text.
    pub value: String,
    /// What was expected.
    pub reason: String,
}

/// A CSV table with named columns.
pub struct Table {
    file: String,
    headers: Vec<String>,
    records: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    /// Parses CSV whose first line is the header.
    pub fn parse(file: &str, text: &str) -> Result<Table, ImportError> {
        Self::parse_skipping(file, text, 0)
    }

    /// Parses CSV after skipping `skip` leading lines (some tables carry a line of notes above the header).
    pub fn parse_skipping(file: &str, text: &str, skip: usize) -> Result<Table, ImportError> {
        let text = text.trim_start_matches('\u{feff}');
        let mut offset = 0;
        for _ in 0..skip {
            offset += text[offset..].find('\n').map_or(text.len() - offset, |i| i + 1);
        }
        let err = |e: csv::Error| ImportError::Csv { file: file.to_string(), message: e.to_string() };
        let body = &text.as_bytes()[offset..];
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
        let headers = reader.headers().map_err(err)?.iter().map(|h| h.trim().to_string()).collect();
        let mut records = Vec::new();
        // Line numbers from the bytes: with CRLF endings the reader puts a record's start on the `\n` of the
        // line before, so its own line count is one short.
        let (mut scanned, mut newlines) = (0usize, 0u64);
        for rec in reader.records() {
            let rec = rec.map_err(err)?;
            let start = rec.position().map_or(scanned, |p| usize::try_from(p.byte()).unwrap_or(scanned));
            let mut start = start.clamp(scanned, body.len());
            while start < body.len() && matches!(body[start], b'\r' | b'\n') {
                start += 1;
            }
            newlines += body[scanned..start].iter().filter(|&&b| b == b'\n').count() as u64;
            scanned = start;
            let line = newlines + 1 + skip as u64;
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            records.push((line, rec));
        }
        Ok(Table { file: file.to_string(), headers, records })
    }

    /// Fails, naming the file and the first missing column, unless every one of `columns` is in the header.
    pub fn require_columns(&self, columns: &[&str]) -> Result<(), ImportError> {
        match columns.iter().find(|c| !self.headers.iter().any(|h| h == *c)) {
            Some(c) => Err(ImportError::MissingColumn { file: self.file.clone(), column: (*c).to_string() }),
            None => Ok(()),
        }
    }

    /// The data rows.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.records.iter().map(move |(line, rec)| Row { table: self, line: *line, rec })
    }
}

/// One row of a [`Table`].
pub struct Row<'t> {
    table: &'t Table,
    line: u64,
    rec: &'t csv::StringRecord,
}

impl<'t> Row<'t> {
    fn cell(&self, column: &str) -> Result<&'t str, ImportError> {
        let i =
            self.table.headers.iter().position(|h| h == column).ok_or_else(|| ImportError::MissingColumn {
                file: self.table.file.clone(),
                column: column.to_string(),
            })?;
        Ok(self.rec.get(i).unwrap_or("").trim())
    }

    /// An error about a cell of this row.
    pub fn invalid(&self, column: &str, value: &str, reason: &str) -> ImportError {
        ImportError::Cell(Box::new(CellProblem {
            file: self.table.file.clone(),
            line: self.line,
            row_id: self.rec.get(0).unwrap_or("").to_string(),
            column: column.to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        }))
    }

    /// A required, non-empty text cell.
    pub fn text(&self, column: &str) -> Result<&'t str, ImportError> {
        let v = self.cell(column)?;
        if v.is_empty() {
            return Err(self.invalid(column, v, "required"));
        }
        Ok(v)
    }

    /// An optional text cell (`None` when empty).
    pub fn opt_text(&self, column: &str) -> Option<&'t str> {
        self.cell(column).ok().filter(|v| !v.is_empty())
    }

    /// An optional number (`None` when empty).
    pub fn opt_num<T: FromStr>(&self, column: &str) -> Result<Option<T>, ImportError> {
        match self.opt_text(column) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| self.invalid(column, v, "expected a number")),
        }
    }

    /// A required positive whole number that fits a `u32` (a count: layers, tokens per sequence, GPUs).
    pub fn count(&self, column: &str) -> Result<u32, ImportError> {
        let raw = self.cell(column)?;
        raw.parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| self.invalid(column, raw, "expected a positive whole number"))
    }

    /// A required positive, finite number ([`Self::positive`] with empty refused).
    pub fn required_positive(&self, column: &str) -> Result<f64, ImportError> {
        self.positive(column)?.ok_or_else(|| self.invalid(column, "", "required"))
    }

    /// An optional positive, finite number: empty is unknown, and 0 is refused (unknown is not zero).
    pub fn positive(&self, column: &str) -> Result<Option<f64>, ImportError> {
        match self.opt_num::<f64>(column)? {
            Some(x) if !(x.is_finite() && x > 0.0) => Err(self.invalid(
                column,
                self.cell(column)?,
                "expected a positive number (leave the cell empty when unknown)",
            )),
            other => Ok(other),
        }
    }
}
