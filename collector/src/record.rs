//! The child-process side of `wattcast record`: spawns the training command, tees its output (epoch marks
//! from a regex), reads the marker file, forwards signals, and drives a [`Recorder`] on the wall clock
//! until the command exits. The recorder keeps the samples and writes the profile, whatever happens to the
//! command (a crash, a signal).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use estimator::profile::Profile;

use crate::recorder::{Finish, Recorder};

/// How to run the command around the recorder.
#[derive(Debug, Clone)]
pub struct Options {
    /// Idle calibration before the command, s (0 = skip).
    pub idle_s: f64,
    /// Epoch ends from the command's output.
    pub epoch_regex: Option<regex::Regex>,
    /// Epoch ends appended to this file (exported as `WATTCAST_MARKER`).
    pub marker_file: PathBuf,
}

/// What a recording ended with.
#[derive(Debug)]
pub struct Outcome {
    /// The exit code to return (the command's, or 128 + signal).
    pub exit_code: i32,
    /// The signal that killed the command, if one did.
    pub killed_by: Option<nix::sys::signal::Signal>,
    /// Where the profile was written.
    pub written_to: PathBuf,
    /// The profile.
    pub profile: Profile,
}

/// Signals received (SIGINT, SIGTERM), counted by the handlers.
pub struct Signals {
    int: Arc<AtomicUsize>,
    term: Arc<AtomicUsize>,
}

impl Signals {
    /// Installs counting handlers for SIGINT and SIGTERM.
    pub fn install() -> std::io::Result<Signals> {
        let int = Arc::new(AtomicUsize::new(0));
        let term = Arc::new(AtomicUsize::new(0));
        signal_hook::flag::register_usize(signal_hook::consts::SIGINT, int.clone(), 1)?;
        signal_hook::flag::register_usize(signal_hook::consts::SIGTERM, term.clone(), 1)?;
        // A file-size limit (`ulimit -f`) must fail the write (EFBIG, handled like a full disk), not kill the
        // recorder with SIGXFSZ and lose what it holds.
        signal_hook::flag::register(signal_hook::consts::SIGXFSZ, Arc::new(std::sync::atomic::AtomicBool::new(false)))?;
        Ok(Signals { int, term })
    }

    fn take(&self) -> Option<nix::sys::signal::Signal> {
        if self.int.swap(0, Ordering::SeqCst) > 0 {
            Some(nix::sys::signal::Signal::SIGINT)
        } else if self.term.swap(0, Ordering::SeqCst) > 0 {
            Some(nix::sys::signal::Signal::SIGTERM)
        } else {
            None
        }
    }
}

/// Lines of output matching the epoch regex, as they arrive.
fn tee(
    mut from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
    re: regex::Regex,
    tx: mpsc::Sender<Instant>,
) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        let mut line: Vec<u8> = Vec::new();
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            // Pass the bytes through unchanged, then look for complete lines (\n or \r: progress bars).
            let _ = to.write_all(&buf[..n]);
            let _ = to.flush();
            for &b in &buf[..n] {
                if b == b'\n' || b == b'\r' {
                    if re.is_match(&String::from_utf8_lossy(&line)) {
                        let _ = tx.send(Instant::now());
                    }
                    line.clear();
                } else if line.len() < 64 * 1024 {
                    line.push(b);
                }
            }
        }
        if !line.is_empty() && re.is_match(&String::from_utf8_lossy(&line)) {
            let _ = tx.send(Instant::now());
        }
    });
}

/// Spawns the command with the marker variable set, teeing its output when a regex is given.
fn spawn(cmd: &[String], opts: &Options) -> anyhow::Result<(Child, Option<mpsc::Receiver<Instant>>)> {
    let (program, args) = cmd.split_first().ok_or_else(|| anyhow::anyhow!("no command given after --"))?;
    let mut c = Command::new(program);
    c.args(args).env("WATTCAST_MARKER", &opts.marker_file);
    if opts.epoch_regex.is_some() {
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let mut child = c.spawn().map_err(|e| anyhow::anyhow!("cannot run \"{program}\": {e}"))?;
    let rx = match &opts.epoch_regex {
        None => None,
        Some(re) => {
            let (tx, rx) = mpsc::channel();
            if let Some(out) = child.stdout.take() {
                tee(out, std::io::stdout(), re.clone(), tx.clone());
            }
            if let Some(err) = child.stderr.take() {
                tee(err, std::io::stderr(), re.clone(), tx);
            }
            Some(rx)
        }
    };
    Ok((child, rx))
}

/// New lines appended to the marker file since `offset`.
fn marker_lines(path: &Path, offset: &mut u64) -> usize {
    let Ok(text) = std::fs::read(path) else { return 0 };
    if (text.len() as u64) < *offset {
        *offset = 0; // truncated: start over
    }
    let new = &text[*offset as usize..];
    let complete = new.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    *offset += complete as u64;
    new[..complete].split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count()
}

/// Records `cmd` with `recorder`. The profile is written even when the command fails or a signal arrives.
pub fn record(mut recorder: Recorder, cmd: &[String], opts: &Options, signals: &Signals) -> anyhow::Result<Outcome> {
    let interval = Duration::from_millis(recorder.options().interval_ms.max(1));
    // Idle calibration: the GPUs' power before the command starts.
    recorder.calibrate_idle(opts.idle_s);
    // The marker file starts empty.
    std::fs::write(&opts.marker_file, b"")
        .map_err(|e| anyhow::anyhow!("cannot create marker file {}: {e}", opts.marker_file.display()))?;
    let mut marker_offset = 0u64;

    let (mut child, regex_rx) = spawn(cmd, opts)?;
    let start = Instant::now();
    let exit_status;
    loop {
        let now_ms = start.elapsed().as_millis() as u64;
        recorder.tick(now_ms).print();
        for _ in 0..marker_lines(&opts.marker_file, &mut marker_offset) {
            recorder.epoch_end(now_ms);
        }
        if let Some(rx) = &regex_rx {
            for t in rx.try_iter() {
                recorder.epoch_end(t.saturating_duration_since(start).as_millis() as u64);
            }
        }
        if let Some(sig) = signals.take() {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::kill(pid, sig);
            eprintln!("[wattcast] {sig} received: forwarded to the command; the profile will be saved as interrupted");
            recorder.interrupt(format!("{sig} received"));
        }
        if let Some(status) = child.try_wait()? {
            exit_status = status;
            recorder.final_sample(start.elapsed().as_millis() as u64);
            break;
        }
        std::thread::sleep(interval);
    }
    // Marks written just before the command exited.
    for _ in 0..marker_lines(&opts.marker_file, &mut marker_offset) {
        recorder.epoch_end_at_last_sample();
    }
    let exit_code = exit_code_of(exit_status);
    let (written_to, profile) = recorder.finish(Finish::Complete, Some(exit_code))?;
    use std::os::unix::process::ExitStatusExt;
    let killed_by = exit_status.signal().and_then(|s| nix::sys::signal::Signal::try_from(s).ok());
    Ok(Outcome { exit_code, killed_by, written_to, profile })
}

/// The exit code a shell would report for a finished command: its own, or 128 + the signal that killed it.
pub fn exit_code_of(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.code().or_else(|| status.signal().map(|s| 128 + s)).unwrap_or(1)
}
