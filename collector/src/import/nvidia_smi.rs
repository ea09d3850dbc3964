//! Parser for `nvidia-smi --query-gpu=… --format=csv` logs, in both header styles found in the wild:
//! nvidia-smi's own (`power.draw [W]`) and renamed columns (`gpu_power_draw`). Values may carry
//! units (`119.17 W`, `0 %`, `23571 MiB`). Rows whose power cannot be read are skipped and reported.

use estimator::profile::Samples;

use super::ImportError;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Timestamp,
    Name,
    Index,
    Uuid,
    Utilisation,
    MemoryTotal,
    MemoryUsed,
    Power,
    PowerLimit,
    Temperature,
    SmClock,
    Other,
}

fn column_kind(header: &str) -> Col {
    let h = header.trim().to_ascii_lowercase();
    let h = h.split(" [").next().unwrap_or_default();
    match h {
        "timestamp" => Col::Timestamp,
        "name" | "gpu_name" => Col::Name,
        "index" | "gpu_index" => Col::Index,
        "uuid" | "gpu_uuid" => Col::Uuid,
        "utilization.gpu" | "gpu_usage" | "gpu_utilization" => Col::Utilisation,
        "memory.total" | "gpu_total_memory" => Col::MemoryTotal,
        "memory.used" | "gpu_memory_used" => Col::MemoryUsed,
        "power.draw" | "power.draw.instant" | "power.draw.average" | "gpu_power_draw" => Col::Power,
        "power.max_limit" | "power.limit" | "enforced.power.limit" | "gpu_max_power" => Col::PowerLimit,
        "temperature.gpu" | "gpu_temperature" => Col::Temperature,
        "clocks.sm" | "clocks.current.sm" | "gpu_sm_clock" => Col::SmClock,
        _ => Col::Other,
    }
}

/// One GPU's series from a log.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceLog {
    /// Index or UUID the rows were grouped by (`0` when the log has neither).
    pub key: String,
    /// Name reported.
    pub name: Option<String>,
    /// Power limit reported in the first row, W.
    pub power_limit_w: Option<f64>,
    /// Samples; `t_ms` counts from the first row of the whole log.
    pub samples: Samples,
}

/// A parsed log.
#[derive(Debug, Clone, PartialEq)]
pub struct SmiLog {
    /// Per-device series, in order of first appearance.
    pub devices: Vec<DeviceLog>,
    /// Wall-clock time of the first row, ms since the Unix epoch (UTC as written; nvidia-smi writes local time).
    pub start_unix_ms: i64,
    /// Rows that were skipped: (line, reason).
    pub skipped: Vec<(u64, String)>,
}

/// Reads a number from a cell such as `119.17 W`; `None` for `[N/A]`, `[Not Supported]` and empty cells.
pub fn number(cell: &str) -> Option<f64> {
    let v = cell.split_whitespace().next()?;
    v.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Parses `2023/03/08 13:11:36.142` or `2022-12-05 09:55:42.535` to ms since the Unix epoch.
pub fn timestamp_ms(cell: &str) -> Option<i64> {
    let cell = cell.trim();
    let (date, time) = cell.split_once([' ', 'T'])?;
    let mut d = date.split(['/', '-']).map(|s| s.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    // Years outside 1900–9999 are not a log's (and would overflow the arithmetic below).
    if d.next().is_some() || !(1900..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let mut t = time.split(':');
    let field = |s: &str| s.parse::<u16>().ok().map(i64::from);
    let (hh, mm, ss) = (field(t.next()?)?, field(t.next()?)?, t.next()?);
    let (s, frac) = ss.split_once('.').unwrap_or((ss, "0"));
    let s = field(s)?;
    let frac_ms = {
        let digits: String = frac.chars().take(3).collect();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n = digits.parse::<i64>().ok()?;
        n * 10_i64.pow(3 - digits.len() as u32)
    };
    if hh > 23 || mm > 59 || s > 60 {
        return None;
    }
    Some(((days_from_civil(y, m, day) * 24 + hh) * 60 + mm) * 60_000 + s * 1000 + frac_ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses a log's text.
pub fn parse(file: &str, text: &str) -> Result<SmiLog, ImportError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let err = |e: csv::Error| ImportError::Csv { file: file.to_string(), message: e.to_string() };
    let cols: Vec<Col> = reader.headers().map_err(err)?.iter().map(column_kind).collect();
    let find = |c: Col| cols.iter().position(|k| *k == c);
    let (Some(ti), Some(pi)) = (find(Col::Timestamp), find(Col::Power)) else {
        return Err(ImportError::MissingColumn { file: file.to_string(), column: "timestamp and power.draw".into() });
    };
    let key_col = find(Col::Index).or(find(Col::Uuid));
    let mut devices: Vec<DeviceLog> = Vec::new();
    let mut skipped = Vec::new();
    let mut start: Option<i64> = None;
    let mut last_t: Vec<i64> = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(err)?;
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |i: usize| rec.get(i).unwrap_or("");
        let Some(t) = timestamp_ms(cell(ti)) else {
            skipped.push((line, format!("unreadable timestamp \"{}\"", cell(ti))));
            continue;
        };
        let Some(p) = number(cell(pi)).filter(|p| *p >= 0.0) else {
            skipped.push((line, format!("unreadable power \"{}\"", cell(pi))));
            continue;
        };
        let start_ms = *start.get_or_insert(t);
        if t < start_ms {
            skipped.push((line, "timestamp before the first row".into()));
            continue;
        }
        let key = key_col.map_or_else(|| "0".to_string(), |i| cell(i).to_string());
        let di = match devices.iter().position(|d| d.key == key) {
            Some(i) => i,
            None => {
                devices.push(DeviceLog {
                    key,
                    name: find(Col::Name).map(|i| cell(i).to_string()).filter(|s| !s.is_empty()),
                    power_limit_w: find(Col::PowerLimit).and_then(|i| number(cell(i))),
                    samples: Samples {
                        utilisation_pct: find(Col::Utilisation).map(|_| Vec::new()),
                        memory_used_mib: find(Col::MemoryUsed).map(|_| Vec::new()),
                        temperature_c: find(Col::Temperature).map(|_| Vec::new()),
                        sm_clock_mhz: find(Col::SmClock).map(|_| Vec::new()),
                        ..Samples::default()
                    },
                });
                last_t.push(i64::MIN);
                devices.len() - 1
            }
        };
        if t <= last_t[di] {
            skipped.push((line, "time does not increase".into()));
            continue;
        }
        last_t[di] = t;
        let d = &mut devices[di].samples;
        d.t_ms.push((t - start_ms) as u64);
        d.power_w.push(p);
        // A missing reading in an optional column repeats the previous one (or 0 at the start), so columns stay aligned.
        for (col, series) in [
            (Col::Utilisation, &mut d.utilisation_pct),
            (Col::MemoryUsed, &mut d.memory_used_mib),
            (Col::Temperature, &mut d.temperature_c),
            (Col::SmClock, &mut d.sm_clock_mhz),
        ] {
            if let (Some(i), Some(s)) = (find(col), series.as_mut()) {
                let v = number(cell(i)).or_else(|| s.last().copied()).unwrap_or(0.0);
                s.push(v);
            }
        }
    }
    if devices.is_empty() {
        return Err(ImportError::Csv { file: file.to_string(), message: "no readable samples".into() });
    }
    Ok(SmiLog { devices, start_unix_ms: start.unwrap_or_default(), skipped })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMI: &str = "timestamp, name, utilization.gpu [%], utilization.memory [%], memory.total [MiB], memory.used [MiB], power.draw [W], power.max_limit [W], temperature.gpu
2023/03/08 13:11:36.142, NVIDIA GeForce RTX 3090, 0 %, 0 %, 24268 MiB, 23571 MiB, 30.98 W, 350.00 W, 32
2023/03/08 13:11:37.144, NVIDIA GeForce RTX 3090, 0 %, 0 %, 24268 MiB, 23571 MiB, 56.01 W, 350.00 W, 34
2023/03/08 13:11:38.146, NVIDIA GeForce RTX 3090, [N/A], 0 %, 24268 MiB, 23571 MiB, [Unknown Error], 350.00 W, 34
2023/03/08 13:11:39.146, NVIDIA GeForce RTX 3090, 50 %, 0 %, 24268 MiB, 23571 MiB, 200 W, 350.00 W, 60
";
    const RENAMED: &str = "timestamp,gpu_name,gpu_usage,gpu_memory_usage,gpu_total_memory,gpu_memory_used,gpu_power_draw,gpu_max_power,gpu_temperature
2022-12-05 09:55:42.535,NVIDIA GeForce RTX 3090,0 %,0 %,24268 MiB,23573 MiB,119.17 W,350.00 W,55
2022-12-05 09:55:43.536,NVIDIA GeForce RTX 3090,10 %,0 %,24268 MiB,23573 MiB,118.97 W,350.00 W,55
";

    #[test]
    fn both_header_styles() {
        let a = parse("a.csv", SMI).unwrap();
        let d = &a.devices[0];
        assert_eq!(d.name.as_deref(), Some("NVIDIA GeForce RTX 3090"));
        assert_eq!(d.power_limit_w, Some(350.0));
        assert_eq!(d.samples.t_ms, vec![0, 1002, 3004]);
        assert_eq!(d.samples.power_w, vec![30.98, 56.01, 200.0]);
        assert_eq!(d.samples.utilisation_pct, Some(vec![0.0, 0.0, 50.0]));
        assert_eq!(a.skipped, vec![(4, "unreadable power \"[Unknown Error]\"".to_string())]);
        let b = parse("b.csv", RENAMED).unwrap();
        assert_eq!(b.devices[0].samples.t_ms, vec![0, 1001]);
        assert_eq!(b.devices[0].samples.temperature_c, Some(vec![55.0, 55.0]));
    }

    #[test]
    fn multi_gpu_rows_split_by_index() {
        let text = "timestamp, index, power.draw [W]\n2024/01/01 00:00:00.000, 0, 100 W\n2024/01/01 00:00:00.000, 1, 200 W\n2024/01/01 00:00:01.000, 0, 110 W\n2024/01/01 00:00:01.000, 1, 210 W\n";
        let log = parse("m.csv", text).unwrap();
        assert_eq!(log.devices.len(), 2);
        assert_eq!(log.devices[1].samples.power_w, vec![200.0, 210.0]);
        assert_eq!(log.devices[1].samples.t_ms, vec![0, 1000]);
    }

    #[test]
    fn timestamps() {
        // 2023-03-08 is day 19424 since 1970-01-01 (19424 × 86400 s = 1678233600 s).
        assert_eq!(timestamp_ms("2023/03/08 00:00:00.000"), Some(1_678_233_600_000));
        assert_eq!(timestamp_ms("2023-03-08 00:00:01.5"), Some(1_678_233_601_500));
        assert_eq!(timestamp_ms("2023-13-08 00:00:01"), None);
        assert_eq!(timestamp_ms("yesterday"), None);
    }

    /// fuzz target `nvidia_smi`, crash 75048dca: a date with an 11-digit year overflowed the millisecond
    /// arithmetic; negative hours and signed fractions were taken as times too.
    #[test]
    fn fuzz_out_of_range_timestamps_are_unreadable_rows() {
        for bad in [
            "99999999999/05/01 10:00:01.500",
            "2024/05/01 -1:00:00.000",
            "2024/05/01 10:-5:00",
            "2024/05/01 10:00:01.-50",
            "2024/05/01 10:00:01.",
            "0001/01/01 00:00:00",
        ] {
            assert_eq!(timestamp_ms(bad), None, "{bad}");
        }
        let log = parse(
            "f.csv",
            "timestamp, power.draw [W]\n99999999999/05/01 10:00:01.500, 70 W\n2024/05/01 10:00:02, 71 W\n",
        )
        .unwrap();
        assert_eq!(log.skipped.len(), 1, "the bad row is skipped and reported: {:?}", log.skipped);
        assert_eq!(log.devices[0].samples.power_w, [71.0]);
    }

    #[test]
    fn missing_columns_are_named() {
        let e = parse("x.csv", "time,watts\n1,2\n").unwrap_err().to_string();
        assert!(e.contains("x.csv") && e.contains("power.draw"), "{e}");
    }
}
