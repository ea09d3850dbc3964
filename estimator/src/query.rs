//! `ScenarioQuery`: the raw, unvalidated key/value form of a share link (the page URL's query string).
//!
//! It knows the keys of link format `v=1` and how to percent-decode and encode them; it knows nothing
//! about what the values mean. `crate::scenario` turns it into a validated `Scenario`.

/// The keys of link format v=1, in the order links are written.
pub const KEYS: [&str; 31] = [
    "v",
    "data",
    "arch",
    "params_m",
    "gflops",
    "gpu",
    "n_gpus",
    "batch",
    "input",
    "samples",
    "epochs",
    "precision",
    "hours",
    "usage",
    "mem_gb",
    "region",
    "pue",
    "price",
    "mode",
    "lora_rank",
    "seq",
    "efficiency",
    "mfu",
    "nodes",
    "gpus_per_node",
    "zero",
    "scope",
    "gpu_hour_price",
    "currency",
    "memory",
    "goodput",
];

/// Names people type for a key, from other tools and habits: (what was typed, the key).
const KEY_ALIASES: [(&str, &str); 8] = [
    ("tokens", "samples"),
    ("gpus", "n_gpus"),
    ("num_gpus", "n_gpus"),
    ("batch_size", "batch"),
    ("seq_len", "seq"),
    ("model", "arch"),
    ("num_nodes", "nodes"),
    ("zero_stage", "zero"),
];

/// The key an unknown one most likely meant: the same key up to case and punctuation (`N_GPUS`,
/// `gpus-per-node`), or a name other tools use for it (`tokens` for `samples`, `gpus` for `n_gpus`), compared as
/// the catalogue compares names ([`crate::catalog::normalise`]).
pub fn suggest_key(unknown: &str) -> Option<&'static str> {
    let typed = crate::catalog::normalise(unknown);
    KEYS.iter()
        .map(|k| (*k, *k))
        .chain(KEY_ALIASES)
        .find(|(name, _)| crate::catalog::normalise(name) == typed)
        .map(|(_, key)| key)
}

/// Longest query string accepted, in bytes; a longer one is refused before any parsing.
pub const MAX_QUERY_BYTES: usize = 4096;

/// A share link's query, split into known keys (raw strings) and notices about the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScenarioQuery {
    values: [Option<String>; KEYS.len()],
    /// Keys that are not part of the format, with their values, in order of appearance.
    pub unknown: Vec<(String, String)>,
    /// Keys given more than once (the last value wins).
    pub duplicates: Vec<String>,
    /// Set when the input was longer than `MAX_QUERY_BYTES` and was ignored.
    pub too_long: bool,
}

impl ScenarioQuery {
    /// Parses a query string, a full URL, or `?`-prefixed query. Never fails: what cannot be used
    /// is recorded in `unknown`, `duplicates` or `too_long`.
    pub fn parse(input: &str) -> Self {
        let mut q = ScenarioQuery::default();
        if input.len() > MAX_QUERY_BYTES {
            q.too_long = true;
            return q;
        }
        let query = match input.find('?') {
            Some(i) => &input[i + 1..],
            None if input.contains("://") => "",
            None => input,
        };
        let query = query.split('#').next().unwrap_or_default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (percent_decode(k), percent_decode(v));
            match key_index(&k) {
                Some(i) => {
                    if q.values[i].replace(v).is_some() && !q.duplicates.contains(&k) {
                        q.duplicates.push(k);
                    }
                }
                None => q.unknown.push((k, v)),
            }
        }
        q
    }

    /// The raw value of a key (`None` when absent or not a v=1 key).
    pub fn get(&self, key: &str) -> Option<&str> {
        key_index(key).and_then(|i| self.values[i].as_deref())
    }

    /// Sets (or, with `None` or an empty string, removes) a key. Unknown keys are ignored.
    pub fn set(&mut self, key: &str, value: Option<String>) {
        if let Some(i) = key_index(key) {
            self.values[i] = value.filter(|v| !v.is_empty());
        }
    }

    /// Builder form of [`ScenarioQuery::set`].
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.set(key, Some(value.into()));
        self
    }

    /// The query string, keys in `KEYS` order, values percent-encoded; unknown keys are dropped.
    pub fn to_query_string(&self) -> String {
        let mut out = String::new();
        for (key, value) in KEYS.iter().zip(&self.values) {
            if let Some(v) = value {
                if !out.is_empty() {
                    out.push('&');
                }
                out.push_str(key);
                out.push('=');
                percent_encode_into(v, &mut out);
            }
        }
        out
    }
}

fn key_index(key: &str) -> Option<usize> {
    KEYS.iter().position(|k| *k == key)
}

/// Decodes `%XX` escapes and `+` (space). Invalid escapes are kept as they are; invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Appends `s` with everything but unreserved characters and `,` `:` percent-encoded.
fn percent_encode_into(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' | b':' => out.push(b as char),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_url_query_and_fragment() {
        let q = ScenarioQuery::parse("https://x.org/app/?v=1&arch=tv-resnet50&gpu=a,b&foo=bar#top");
        assert_eq!(q.get("v"), Some("1"));
        assert_eq!(q.get("gpu"), Some("a,b"));
        assert_eq!(q.unknown, vec![("foo".to_string(), "bar".to_string())]);
        assert!(ScenarioQuery::parse("https://x.org/").get("v").is_none());
    }

    #[test]
    fn decoding_cases() {
        // (input, expected): derived by hand from RFC 3986 / the form-encoding rules.
        for (input, expected) in [
            ("a%20b", "a b"),
            ("a+b", "a b"),
            ("%41%42", "AB"),
            ("100%", "100%"),
            ("%zz", "%zz"),
            ("%4", "%4"),
            ("%C3%A9", "é"),
            ("%FF", "\u{FFFD}"),
        ] {
            assert_eq!(percent_decode(input), expected, "{input}");
        }
    }

    #[test]
    fn duplicates_and_overlong_input_are_reported() {
        let q = ScenarioQuery::parse("epochs=1&epochs=2");
        assert_eq!(q.get("epochs"), Some("2"));
        assert_eq!(q.duplicates, vec!["epochs".to_string()]);
        let long = format!("arch={}", "x".repeat(MAX_QUERY_BYTES));
        assert!(ScenarioQuery::parse(&long).too_long);
    }

    #[test]
    fn an_unknown_key_suggests_the_key_it_meant() {
        for (typed, meant) in [
            ("tokens", Some("samples")),
            ("N_GPUS", Some("n_gpus")),
            ("gpus-per-node", Some("gpus_per_node")),
            ("Seq_Len", Some("seq")),
            ("num_gpus", Some("n_gpus")),
            ("utm_source", None),
            ("", None),
        ] {
            assert_eq!(suggest_key(typed), meant, "{typed}");
        }
        // Every alias names a key of the format and is not one itself.
        for (alias, key) in KEY_ALIASES {
            assert!(KEYS.contains(&key) && !KEYS.contains(&alias), "{alias} → {key}");
        }
    }

    proptest! {
        #[test]
        fn encode_then_parse_is_identity(values in proptest::collection::vec(proptest::option::of(".{1,12}"), KEYS.len())) {
            let mut q = ScenarioQuery::default();
            for (k, v) in KEYS.iter().zip(values) {
                q.set(k, v);
            }
            let back = ScenarioQuery::parse(&q.to_query_string());
            prop_assert_eq!(back, q);
        }
    }
}
