//! Number formatting shared by the CLI table and the site, so both print the same digits.

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
}
