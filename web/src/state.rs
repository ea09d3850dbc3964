//! Page state: the raw share-link query the form edits, as a Yew `Reducible`.
//!
//! The state *is* the link: every input writes one key, and the URL is the query string. Everything
//! shown is derived from it by the estimator on each render, so the page and the link cannot drift.

use std::rc::Rc;

use estimator::{Catalog, ScenarioQuery};
use yew::Reducible;

/// The page's state.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The link being edited (raw strings, possibly invalid).
    pub query: ScenarioQuery,
    /// Filter text of the GPU picker (not part of the link).
    pub gpu_filter: String,
    /// Result of the last copy-link attempt, for the status line.
    pub copy_status: Option<String>,
    /// Ranking criterion (`energy`, `time`, `co2e`, `cost`).
    pub rank_by: String,
    /// Ranking filter: vendor (empty = all).
    pub rank_vendor: String,
    /// Ranking filter: segment (empty = all).
    pub rank_segment: String,
    /// The export on show: (kind, text).
    pub export: Option<(String, String)>,
    /// The profile opened in the explorer (shared: the state is cloned on every action and render).
    pub profile: Option<Rc<Opened>>,
    /// The power-limit curve picked (index into the calibration's curves); `None` = follow the compared GPUs.
    pub power_curve: Option<usize>,
    /// The built-in profiles listed: a GPU id (empty = the first compared GPU).
    pub browse_gpu: String,
    /// The calibration with the opened profile added, once the user asked for it (see `Action::UseProfile`).
    pub refit: Option<crate::view::CalRef>,
}

/// A profile file opened in the explorer: read locally, never uploaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    /// File name.
    pub name: String,
    /// The profile, or why it could not be read.
    pub profile: Result<estimator::profile::Profile, String>,
    /// What `wattcast validate` would report.
    pub problems: Vec<estimator::profile::Problem>,
    /// Outcome of "use this profile".
    pub used: Option<Result<(), String>>,
}

/// Largest profile the page opens, bytes: larger files are refused before they are read.
pub const MAX_PROFILE_BYTES: f64 = 20.0 * 1024.0 * 1024.0;

impl State {
    /// The state for a page opened with `search` (the URL's query string, `?` included or not).
    /// Without a query, the default scenario's link.
    pub fn from_search(search: &str, catalog: &Catalog) -> State {
        let query = if search.trim_start_matches('?').is_empty() {
            // A fresh page counts whole servers (what a meter at the wall sees); a link without `scope`
            // keeps its old meaning, the GPUs alone, and the page writes `scope` into every link it makes.
            let mut s = estimator::Scenario::default_for(catalog);
            s.job.scope = estimator::scenario::Scope::Server;
            s.to_query(catalog.data_version())
        } else {
            ScenarioQuery::parse(search)
        };
        State {
            query,
            gpu_filter: String::new(),
            copy_status: None,
            rank_by: "energy".into(),
            rank_vendor: String::new(),
            rank_segment: String::new(),
            export: None,
            profile: None,
            power_curve: None,
            browse_gpu: String::new(),
            refit: None,
        }
    }
}

/// Switching between an image model and a language model sets the other family's defaults: ImageNet's
/// images and 90 epochs, or 100 M tokens for one epoch at the model's sequence length; the keys that do not
/// apply (input size, sequence, LoRA) are removed.
fn follow_family(query: &mut ScenarioQuery, new_arch: &str) {
    use estimator::catalog::SampleUnit;
    let Ok(catalog) = crate::catalog() else { return };
    let unit = |id: Option<&str>| id.and_then(|i| catalog.find_arch(i)).map(|a| a.sample_unit);
    let (before, after) = (unit(query.get("arch").or(Some(estimator::scenario::DEFAULT_ARCH))), unit(Some(new_arch)));
    let (Some(before), Some(after)) = (before, after) else { return };
    if before == after {
        return;
    }
    match after {
        SampleUnit::Token => {
            query.set("samples", Some(DEFAULT_LM_TOKENS.to_string()));
            query.set("epochs", Some("1".into()));
            query.set("input", None);
        }
        SampleUnit::Image => {
            query.set("samples", Some(estimator::scenario::DEFAULT_SAMPLES.to_string()));
            query.set("epochs", Some(estimator::scenario::DEFAULT_EPOCHS.to_string()));
            for key in ["seq", "lora_rank"] {
                query.set(key, None);
            }
            query.set("mode", Some("pretrain".into()));
        }
    }
}

/// Tokens per epoch a language model starts with on the page: a typical fine-tuning corpus.
pub const DEFAULT_LM_TOKENS: u64 = 100_000_000;

/// What the user did.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Set one link key (an empty value removes it).
    Set(&'static str, String),
    /// Add or remove a GPU from the comparison.
    ToggleGpu(String),
    /// Change the GPU picker's filter.
    FilterGpus(String),
    /// Report the outcome of a copy.
    Copied(String),
    /// Change a ranking control: `by`, `vendor` or `segment`.
    Rank(&'static str, String),
    /// Show an export (kind, text); `None` hides it.
    Export(Option<(String, String)>),
    /// A profile file was read: (file name, text), or (file name, why it was not read).
    OpenProfile(String, Result<String, String>),
    /// Add the opened profile to the calibration and refit.
    UseProfile,
    /// Show this power-limit curve.
    PowerCurve(usize),
    /// List the built-in profiles of this GPU.
    BrowseGpu(String),
}

impl Reducible for State {
    type Action = (Action, String);

    /// Applies an action; the `String` is the current data version, written into the link on edits.
    fn reduce(self: Rc<Self>, (action, data_version): Self::Action) -> Rc<Self> {
        let mut next = (*self).clone();
        let mut edited = true;
        match action {
            Action::Set(key, value) => {
                if key == "arch" {
                    follow_family(&mut next.query, &value);
                }
                // Choosing typical or tuned drops a stated utilisation, which would override it.
                if key == "efficiency" {
                    next.query.set("mfu", None);
                }
                next.query.set(key, Some(value))
            }
            Action::ToggleGpu(id) => {
                let mut ids: Vec<String> = next
                    .query
                    .get("gpu")
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                match ids.iter().position(|g| *g == id) {
                    Some(i) => {
                        ids.remove(i);
                    }
                    None => ids.push(id),
                }
                next.query.set("gpu", Some(ids.join(",")));
            }
            Action::FilterGpus(text) => {
                next.gpu_filter = text;
                edited = false;
            }
            Action::Copied(status) => {
                next.copy_status = Some(status);
                edited = false;
            }
            Action::Rank(what, value) => {
                match what {
                    "by" => next.rank_by = value,
                    "vendor" => next.rank_vendor = value,
                    _ => next.rank_segment = value,
                }
                edited = false;
            }
            Action::Export(e) => {
                next.export = e;
                edited = false;
            }
            Action::OpenProfile(name, text) => {
                next.profile = Some(Rc::new(open_profile(name, text)));
                next.refit = None;
                edited = false;
            }
            Action::PowerCurve(i) => {
                next.power_curve = Some(i);
                edited = false;
            }
            Action::BrowseGpu(g) => {
                next.browse_gpu = g;
                edited = false;
            }
            Action::UseProfile => {
                if let Some(opened) = next.profile.as_mut().map(Rc::make_mut) {
                    opened.used = Some(match (&opened.profile, crate::catalog(), crate::calibration()) {
                        (Ok(p), Ok(catalog), Ok(cal)) => cal.with_profile(p, catalog).map(|c| {
                            // One refitted calibration per opened profile, kept for the page's lifetime.
                            next.refit = Some(crate::view::CalRef(Box::leak(Box::new(c))));
                        }),
                        (Err(e), _, _) => Err(e.clone()),
                        _ => Err("the built-in data could not be loaded".into()),
                    });
                }
                edited = false;
            }
        }
        if edited {
            // The link no longer carries what was reported about the opened one.
            next.query.unknown.clear();
            next.query.duplicates.clear();
            next.query.too_long = false;
            next.query.set("v", Some(estimator::scenario::LINK_VERSION.to_string()));
            next.query.set("data", Some(data_version));
            next.copy_status = None;
            next.export = None;
        }
        Rc::new(next)
    }
}

/// Parses and validates a profile's text.
fn open_profile(name: String, text: Result<String, String>) -> Opened {
    // Parsed straight into the typed profile (no intermediate `Value`: less code in the wasm, half the memory).
    let profile = text.and_then(|t| {
        serde_json::from_str::<estimator::profile::Profile>(&t).map_err(|e| {
            #[derive(serde::Deserialize)]
            struct Bundle {
                #[serde(rename = "profiles")]
                _profiles: serde::de::IgnoredAny,
            }
            if !e.is_data() {
                format!("not JSON: {e}")
            } else if serde_json::from_str::<Bundle>(&t).is_ok() {
                "this is a bundle of summary-only profiles; open a single profile".into()
            } else {
                format!("not a WattCast profile: {e}")
            }
        })
    });
    let problems = match (&profile, crate::catalog()) {
        (Ok(p), Ok(c)) => estimator::profile::validate(p, c),
        _ => Vec::new(),
    };
    Opened { name, profile, problems, used: None }
}
