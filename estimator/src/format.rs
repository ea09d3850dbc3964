//! Numbers for people, both ways: formatting shared by the CLI table and the site, so both print the same
//! digits ([`human`]), and reading numbers as people type them ([`parse_human`]).

/// An interval for people: `low–high`, each end as [`human`] writes it.
pub fn human_range(low: f64, high: f64) -> String {
    format!("{}–{}", human(low), human(high))
}

/// Formats a number for people: three significant digits below 1000, whole numbers with thousands
/// separators from 1000 on. Non-finite values print as `—`.
pub fn human(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let ax = x.abs();
    if ax >= 999.5 {
        if ax >= 1e15 {
            return format!("{x:.2e}");
        }
        let n = x.round() as i64;
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        return if n < 0 { format!("-{out}") } else { out };
    }
    let magnitude = crate::fmath::log10(ax).floor() as i32;
    let mut decimals = (2 - magnitude).max(0) as usize;
    let mut s = format!("{x:.decimals$}");
    // Rounding can carry into a new digit (9.996 → "10.00"); drop one decimal then.
    if decimals > 0 && s.chars().filter(char::is_ascii_digit).skip_while(|c| *c == '0').count() > 3 {
        decimals -= 1;
        s = format!("{x:.decimals$}");
    }
    s
}

/// What a typed number counts, for the suffixes it may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typed {
    /// A count or a plain quantity: `k`/`K` thousand, `M` million, `B`/`G` billion, `T` trillion.
    Count,
    /// A duration in hours: `h` hours, `d` days, or a count suffix.
    Hours,
}

/// Reads a number as people write it: `90`, `1e8`, `100M`, `1.2B`, `100,000,000`, `100 000 000`,
/// `1_281_167`, and for hours `24h` or `2d`. Grouping separators (`,`, spaces, `_`) must split whole groups
/// of three digits, so `1,5` (a decimal comma) is refused rather than read as 15. `None` when it is not
/// such a number, or not finite.
pub fn parse_human(raw: &str, typed: Typed) -> Option<f64> {
    let s = raw.trim();
    let (body, scale_exp, factor) = split_suffix(s, typed)?;
    let body = ungroup(body.trim_end())?;
    if body.is_empty() || !body.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')) {
        return None;
    }
    // Shift the decimal exponent in text so the result is the correctly rounded value (1.2B is exactly
    // 1,200,000,000), then apply a non-decimal factor (days).
    let x: f64 = if scale_exp == 0 {
        parse_decimal(&body)?
    } else {
        if body.contains(['e', 'E']) {
            return None;
        }
        parse_decimal(&format!("{body}e{scale_exp}"))?
    };
    let x = x * factor;
    x.is_finite().then_some(x)
}

/// A decimal number in the grammar of `str::parse::<f64>` without `inf` and `nan` (`12`, `-1.5`, `.5`, `5.`,
/// `+3e-2`, `007`) as the correctly rounded `f64`; `None` when it is not one or does not fit an `f64`.
///
/// It rewrites the number in JSON's grammar and lets serde_json read it: the site then holds one correctly
/// rounded decimal parser, serde_json's (which reads uploaded profiles), instead of two; Rust's own would add
/// about 14 KB to the gzipped wasm.
pub fn parse_decimal(s: &str) -> Option<f64> {
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exponent) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (rest, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !digits(int) || !digits(frac) || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !digits(e) {
            return None;
        }
    }
    let int = int.trim_start_matches('0');
    let mut json = String::with_capacity(s.len() + 2);
    if negative {
        json.push('-');
    }
    json.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        json.push('.');
        json.push_str(frac);
    }
    if let Some(e) = exponent {
        json.push('e');
        json.push_str(e);
    }
    serde_json::from_str(&json).ok()
}

/// Splits a trailing suffix off: (number, decimal exponent, factor).
fn split_suffix(s: &str, typed: Typed) -> Option<(&str, i32, f64)> {
    let Some(last) = s.chars().last() else { return Some((s, 0, 1.0)) };
    let body = &s[..s.len() - last.len_utf8()];
    Some(match (last, typed) {
        ('k' | 'K', _) => (body, 3, 1.0),
        ('M', _) => (body, 6, 1.0),
        ('B' | 'G', _) => (body, 9, 1.0),
        ('T', _) => (body, 12, 1.0),
        ('h', Typed::Hours) => (body, 0, 1.0),
        ('d', Typed::Hours) => (body, 0, 24.0),
        (c, _) if c.is_ascii_digit() || c == '.' => (s, 0, 1.0),
        _ => return None,
    })
}

/// Removes grouping separators (`,`, spaces, `_`) that split the integer part into groups of three.
fn ungroup(s: &str) -> Option<String> {
    let is_sep = |c: char| matches!(c, ',' | ' ' | '_' | '\u{a0}' | '\u{202f}');
    if !s.chars().any(is_sep) {
        return Some(s.to_string());
    }
    let (int, frac) = s.split_once('.').map_or((s, None), |(a, b)| (a, Some(b)));
    let sep = int.chars().find(|c| is_sep(*c))?;
    let groups: Vec<&str> = int.split(sep).collect();
    let digits = |g: &str| g.chars().all(|c| c.is_ascii_digit());
    let first_ok = (1..=3).contains(&groups[0].len()) && digits(groups[0]);
    if !first_ok
        || groups[1..].iter().any(|g| g.len() != 3 || !digits(g))
        || frac.is_some_and(|f| f.chars().any(is_sep))
    {
        return None;
    }
    let mut out = groups.concat();
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn cases() {
        for (x, expected) in [
            (0.0, "0"),
            (1.0, "1.00"),
            (12.345, "12.3"),
            (123.45, "123"),
            (999.4, "999"),
            (999.6, "1,000"),
            (1234.5, "1,235"),
            (-1234567.0, "-1,234,567"),
            (0.012345, "0.0123"),
            (9.996, "10.0"),
            (0.09996, "0.100"),
            (f64::NAN, "—"),
            (2.5e16, "2.50e16"),
        ] {
            assert_eq!(human(x), expected, "{x}");
        }
    }

    #[test]
    fn numbers_as_people_type_them() {
        use super::{parse_human, Typed};
        let count = |s: &str| parse_human(s, Typed::Count);
        for (typed, want) in [
            ("90", 90.0),
            ("1e8", 1e8),
            ("100M", 1e8),
            ("1.2B", 1.2e9),
            ("100,000,000", 1e8),
            ("100 000 000", 1e8),
            ("1_281_167", 1_281_167.0),
            (" 2.5k ", 2500.0),
            ("3 M", 3e6),
            ("1,234.5", 1234.5),
            ("2T", 2e12),
        ] {
            assert_eq!(count(typed), Some(want), "{typed:?}");
        }
        assert_eq!(parse_human("24h", Typed::Hours), Some(24.0));
        assert_eq!(parse_human("2d", Typed::Hours), Some(48.0));
        assert_eq!(parse_human("1.5", Typed::Hours), Some(1.5));
        for bad in
            ["", "ten", "1,5", "1,00,000", "12,3456", "1e8M", "inf", "NaN", "2d", "5m", "1..2", "1e999", "100,000.5,0"]
        {
            assert_eq!(count(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn decimals_read_as_rust_reads_them() {
        use super::parse_decimal;
        for (typed, want) in
            [("007", 7.0), (".5", 0.5), ("5.", 5.0), ("+3e-2", 0.03), ("-0.0", -0.0), ("1E3", 1e3), ("1e-999", 0.0)]
        {
            assert_eq!(parse_decimal(typed).map(f64::to_bits), Some(f64::to_bits(want)), "{typed:?}");
        }
        for bad in
            ["", ".", "+", "-", "e5", "1e", "1e+", "1.2.3", "1e5e5", "--1", "inf", "NaN", "0x10", " 1", "1 ", "1e999"]
        {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Every finite number Rust reads, read to the same bits; what Rust reads as infinite is `None`.
        #[test]
        fn decimals_match_str_parse(s in "[+-]?[0-9]{0,30}(\\.[0-9]{0,30})?([eE][+-]?[0-9]{1,3})?") {
            let ours = super::parse_decimal(&s);
            match s.parse::<f64>() {
                Ok(x) if x.is_finite() => proptest::prop_assert_eq!(ours.map(f64::to_bits), Some(x.to_bits()), "{:?}", s),
                _ => proptest::prop_assert_eq!(ours, None, "{:?}", s),
            }
        }
    }
}
