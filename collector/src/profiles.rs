//! Reading and writing profile files: `.json` or `.json.gz`, holding one `Profile` or a `ProfileBundle`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use estimator::profile::{Profile, ProfileBundle};

/// Largest profile file read, bytes (after decompression).
pub const MAX_PROFILE_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a file's text, gunzipping `.gz` files, refusing files over `MAX_PROFILE_BYTES`.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut text = String::new();
    let limited = |r: Box<dyn Read>| r.take(MAX_PROFILE_BYTES + 1);
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    limited(reader).read_to_string(&mut text).with_context(|| format!("cannot read {}", path.display()))?;
    if text.len() as u64 > MAX_PROFILE_BYTES {
        bail!("{} is larger than {} MiB", path.display(), MAX_PROFILE_BYTES / 1024 / 1024);
    }
    Ok(text)
}

/// The profiles in a file (one, or a bundle's).
pub fn read_profiles(path: &Path) -> anyhow::Result<Vec<Profile>> {
    let text = read_text(path)?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    if value.get("profiles").is_some() {
        let b: ProfileBundle =
            serde_json::from_value(value).with_context(|| format!("{}: not a profile bundle", path.display()))?;
        Ok(b.profiles)
    } else {
        let p: Profile = serde_json::from_value(value).with_context(|| format!("{}: not a profile", path.display()))?;
        Ok(vec![p])
    }
}

/// Every profile file under a folder, sorted by path.
pub fn profile_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("cannot list {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(".json") || path.to_string_lossy().ends_with(".json.gz") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Every profile under a folder.
pub fn load_all(dir: &Path) -> anyhow::Result<Vec<Profile>> {
    let mut all = Vec::new();
    for f in profile_files(dir)? {
        all.extend(read_profiles(&f)?);
    }
    Ok(all)
}

/// Writes a profile (or any data file) atomically, compact JSON, gzipped when the path ends in `.gz`.
pub fn write<T: serde::Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    write_atomic_bytes(path, &encode(path, value)?)
}

/// Serialises compactly; gzips (deterministically: no name, mtime 0) when the path ends in `.gz`.
pub fn encode<T: serde::Serialize>(path: &Path, value: &T) -> anyhow::Result<Vec<u8>> {
    let json = serde_json::to_vec(value)?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut enc = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
        enc.write_all(&json)?;
        Ok(enc.finish()?)
    } else {
        let mut json = json;
        json.push(b'\n');
        Ok(json)
    }
}

/// Writes a file atomically (temporary file, then rename), creating its folder.
pub fn write_atomic(path: &Path, contents: &str) -> anyhow::Result<()> {
    write_atomic_bytes(path, contents.as_bytes())
}

/// [`write_atomic`] for bytes.
pub fn write_atomic_bytes(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, contents).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))
}

/// Pretty JSON with a trailing newline: the layout of every committed data file.
pub fn to_pretty_json<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}
