//! `wattcast._native`: the Python package's door to the Rust recorder and estimator. `Recorder` opens the
//! power source (NVML, or a replayed trace) and samples it on a thread of its own, which never takes the
//! GIL; the Python side (`wattcast.Monitor`, the framework callbacks) only marks epochs, asks for the
//! status and stops it. The launcher rule (only local rank 0 of a node records) and the profile format are
//! the CLI's own (`collector::distributed`, `collector::recorder`). `estimate_json` is `wattcast estimate
//! --json`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use collector::commands::record::{hostname, open_source, unix_ms, OpenError};
use collector::distributed::Placement;
use collector::error::FlagError;
use collector::import::meta::{MetaError, MetaInput};
use collector::recorder::{check_periods, Finish, Recorder as Core, RecorderOptions};
use collector::source::SourceError;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

pyo3::create_exception!(
    _native,
    NoDriver,
    PyRuntimeError,
    "The NVIDIA driver library (libnvidia-ml.so.1) cannot be loaded: install the driver, or pass replay=[trace]."
);

/// Where a recorder is in its life.
enum Stage {
    /// Opened, not sampling yet.
    Ready(Box<Core>),
    /// Sampling on its thread.
    Running { core: Arc<Mutex<Core>>, stop: Arc<AtomicBool>, thread: JoinHandle<()>, t0: Instant },
    /// Stopped; the profile is written.
    Done,
    /// Not this process's to record (another local rank of the node records).
    Skipped,
}

/// A recording of this node's GPUs into a profile.
#[pyclass(module = "wattcast._native")]
struct Recorder {
    stage: Mutex<Stage>,
    interval: Duration,
    idle_s: f64,
    output: PathBuf,
    note: Option<String>,
}

/// A bad keyword value, worded with the keyword's name (`keyword argument batch`), not the CLI's flag.
fn bad(e: &FlagError) -> PyErr {
    PyValueError::new_err(e.keyword_message())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A sampling thread that panicked leaves the data as it was: keep using it rather than lose it.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[pymethods]
impl Recorder {
    #[new]
    #[pyo3(signature = (output, *, meta=None, arch=None, batch=None, samples=None, epochs=None, input=None, seq=None,
        precision=None, framework=None, mode=None, lora_rank=None, gpus=None, interval_ms=100, idle_s=0.0, checkpoint_s=30.0, status_s=0.0,
        replay=Vec::new(), speed=1.0))]
    // PyO3 hands over the keyword arguments as owned values, one per Monitor keyword.
    #[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)]
    fn new(
        output: PathBuf,
        meta: Option<PathBuf>,
        arch: Option<String>,
        batch: Option<u32>,
        samples: Option<u64>,
        epochs: Option<u32>,
        input: Option<u32>,
        seq: Option<u32>,
        precision: Option<String>,
        framework: Option<String>,
        mode: Option<String>,
        lora_rank: Option<u32>,
        gpus: Option<String>,
        interval_ms: u64,
        idle_s: f64,
        checkpoint_s: f64,
        status_s: f64,
        replay: Vec<PathBuf>,
        speed: f64,
    ) -> PyResult<Recorder> {
        if !(10..=60_000).contains(&interval_ms) {
            return Err(bad(&FlagError::new("interval_ms", &interval_ms, "expected 10 to 60000 ms")));
        }
        check_periods(("idle_s", idle_s), ("checkpoint_s", checkpoint_s), ("status_s", status_s))
            .map_err(|e| bad(&e))?;
        let catalog = estimator::Catalog::embedded().map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let input_meta =
            MetaInput { meta, arch, batch, samples, epochs, input, seq, precision, framework, mode, lora_rank };
        let meta = collector::import::meta::resolve(&input_meta, &catalog, collector::profiles::read_text)
            .map_err(|e: MetaError| PyValueError::new_err(e.keyword_message()))?;
        let placement = Placement::from_env(|k| std::env::var(k).ok()).map_err(|e| bad(&e))?;
        let output_path = placement.output(&output);
        if !placement.records() {
            return Ok(Recorder {
                stage: Mutex::new(Stage::Skipped),
                interval: Duration::from_millis(interval_ms),
                idle_s,
                output: output_path,
                note: Some(placement.skip_reason()),
            });
        }
        let opened = open_source(gpus.as_deref(), &placement, &replay, speed).map_err(|e| match e {
            OpenError::Source(e @ SourceError::NoDriver { .. }) => NoDriver::new_err(e.to_string()),
            OpenError::Flag(f) => bad(&f),
            OpenError::Source(e) => PyRuntimeError::new_err(e.to_string()),
        })?;
        let opts = RecorderOptions {
            interval_ms,
            checkpoint_s,
            status_s,
            output: output_path.clone(),
            meta,
            driver: opened.driver,
            job: placement.job(unix_ms(), hostname()),
        };
        let core = Core::new(opened.source, opts, &catalog).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let (idle_s, note) = collector::recorder::idle_calibration_s(idle_s, !replay.is_empty());
        Ok(Recorder {
            stage: Mutex::new(Stage::Ready(Box::new(core))),
            interval: Duration::from_millis(interval_ms),
            idle_s,
            output: output_path,
            note: note.map(str::to_string),
        })
    }

    /// Whether this process records (False on a node's other local ranks).
    #[getter]
    fn recording(&self) -> bool {
        !matches!(*lock(&self.stage), Stage::Skipped)
    }

    /// Where the profile goes (`run.node1.json` on node 1 of a job of several nodes).
    #[getter]
    fn output(&self) -> PathBuf {
        self.output.clone()
    }

    /// A note for the user: why this process does not record, or that an idle calibration is skipped.
    #[getter]
    fn note(&self) -> Option<String> {
        self.note.clone()
    }

    /// Starts sampling on a thread of its own (after the idle calibration, if any).
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        let mut stage = lock(&self.stage);
        let mut core = match std::mem::replace(&mut *stage, Stage::Done) {
            Stage::Ready(core) => core,
            Stage::Skipped => {
                *stage = Stage::Skipped;
                return Ok(());
            }
            other => {
                *stage = other;
                return Err(PyRuntimeError::new_err("this recorder was already started"));
            }
        };
        let (interval, idle_s) = (self.interval, self.idle_s);
        py.detach(|| core.calibrate_idle(idle_s));
        let core = Arc::new(Mutex::new(*core));
        let stop = Arc::new(AtomicBool::new(false));
        let t0 = Instant::now();
        let thread = {
            let (core, stop) = (core.clone(), stop.clone());
            std::thread::Builder::new()
                .name("wattcast-sampler".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let tick = lock(&core).tick(t0.elapsed().as_millis() as u64);
                        tick.print();
                        std::thread::sleep(interval);
                    }
                })
                .map_err(|e| PyOSError::new_err(format!("cannot start the sampling thread: {e}")))?
        };
        *stage = Stage::Running { core, stop, thread, t0 };
        Ok(())
    }

    /// Marks the end of an epoch (or of a logging window) now. The GIL is released while it waits for the
    /// sampling thread's tick (a read, or a checkpoint being written).
    fn epoch_end(&self, py: Python<'_>) -> PyResult<()> {
        let now = Instant::now();
        py.detach(|| match &*lock(&self.stage) {
            Stage::Running { core, t0, .. } => {
                lock(core).epoch_end(now.duration_since(*t0).as_millis() as u64);
                Ok(())
            }
            Stage::Skipped => Ok(()),
            Stage::Ready(_) => Err("epoch_end() before start()"),
            Stage::Done => Err("epoch_end() after stop()"),
        })
        .map_err(PyRuntimeError::new_err)
    }

    /// The live figures as a dict (None where this process does not record, or before start).
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let st = py.detach(|| match &*lock(&self.stage) {
            Stage::Running { core, .. } => Some(lock(core).status()),
            _ => None,
        });
        let Some(st) = st else { return Ok(None) };
        let d = PyDict::new(py);
        d.set_item("elapsed_s", st.elapsed_s)?;
        d.set_item("energy_j", st.energy_j)?;
        d.set_item("mean_power_w", st.mean_power_w)?;
        d.set_item("epochs", st.epochs)?;
        d.set_item("stable_since_s", st.stable_since_s)?;
        d.set_item("waiting_for", st.waiting_for.map(|w| w.as_str()))?;
        match st.projection {
            Some(p) => {
                let q = PyDict::new(py);
                q.set_item("energy_j", p.energy_j)?;
                q.set_item("low_j", p.low_j)?;
                q.set_item("high_j", p.high_j)?;
                q.set_item("epochs", p.epochs)?;
                q.set_item("early", p.early())?;
                q.set_item("basis", p.basis.as_str())?;
                d.set_item("projection", q)?;
            }
            None => d.set_item("projection", py.None())?,
        }
        Ok(Some(d))
    }

    /// Stops sampling and writes the profile: `complete`, or `interrupted` with the reason given. Returns a
    /// summary dict (None where this process does not record).
    #[pyo3(signature = (interrupted=None))]
    fn stop<'py>(&self, py: Python<'py>, interrupted: Option<String>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let mut stage = lock(&self.stage);
        let core = match std::mem::replace(&mut *stage, Stage::Done) {
            Stage::Running { core, stop, thread, t0 } => {
                stop.store(true, Ordering::Relaxed);
                py.detach(|| {
                    let _ = thread.join();
                });
                let mut core = Arc::try_unwrap(core)
                    .map_err(|_| PyRuntimeError::new_err("the sampling thread still holds the recorder"))?
                    .into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                core.final_sample(t0.elapsed().as_millis() as u64);
                core
            }
            Stage::Ready(core) => *core,
            Stage::Skipped => {
                *stage = Stage::Skipped;
                return Ok(None);
            }
            Stage::Done => return Err(PyRuntimeError::new_err("this recorder was already stopped")),
        };
        let how = interrupted.map_or(Finish::Complete, Finish::Interrupted);
        let (path, p) = py.detach(|| core.finish(how, None)).map_err(|e| PyOSError::new_err(e.to_string()))?;
        let d = PyDict::new(py);
        d.set_item("output", path)?;
        d.set_item("status", format!("{:?}", p.status).to_lowercase())?;
        d.set_item("gpus", p.devices.len())?;
        d.set_item("samples", p.devices.iter().map(|d| d.samples.len()).sum::<usize>())?;
        d.set_item("energy_j", p.summary.energy_j)?;
        d.set_item("duration_s", p.summary.duration_s)?;
        d.set_item("mean_power_w", p.summary.mean_power_w)?;
        d.set_item("epochs", p.epochs.len())?;
        Ok(Some(d))
    }
}

/// `wattcast estimate --json` for a query string or share link: the report as JSON text. A link with
/// invalid values raises ValueError naming each.
#[pyfunction]
fn estimate_json(py: Python<'_>, query: &str) -> PyResult<String> {
    py.detach(|| {
        let catalog = estimator::Catalog::embedded().map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let cal = estimator::Calibration::embedded().map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let (_, report) = estimator::estimate(&catalog, &cal, query);
        if !report.errors.is_empty() {
            let all: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
            return Err(PyValueError::new_err(all.join("; ")));
        }
        serde_json::to_string(&report).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Recorder>()?;
    m.add_function(wrap_pyfunction!(estimate_json, m)?)?;
    m.add("NoDriver", m.py().get_type::<NoDriver>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
