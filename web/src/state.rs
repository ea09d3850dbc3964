//! Page state: the raw share-link query the form edits, as a Yew `Reducible`.
//!
//! The state *is* the link: every input writes one key, and the URL is the query string. Everything
//! shown is derived from it by the estimator on each render, so the page and the link cannot drift.

use std::rc::Rc;

use estimator::catalog::Segment;
use estimator::rank::{Criterion, Filter};
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
    /// Ranking criterion.
    pub rank_by: Criterion,
    /// Ranking filter (vendor, segment).
    pub rank_filter: Filter,
    /// The export on show: (kind, text).
    pub export: Option<(String, String)>,
    /// The profile opened in the explorer (shared: the state is cloned on every action and render).
    pub profile: Option<crate::data::Shared<Opened>>,
    /// The power-limit curve picked (index into the calibration's curves); `None` = follow the compared GPUs.
    pub power_curve: Option<usize>,
    /// The built-in profiles listed: a GPU id (empty = the first compared GPU).
    pub browse_gpu: String,
    /// The calibration with the opened profile added, once the user asked for it (see `Action::UseProfile`).
    pub refit: Option<crate::data::CalRef>,
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
            rank_by: Criterion::Energy,
            rank_filter: Filter::default(),
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
    let (samples, epochs) = estimator::scenario::family_defaults(after);
    query.set("samples", Some(samples.to_string()));
    query.set("epochs", Some(epochs.to_string()));
    match after {
        SampleUnit::Token => query.set("input", None),
        SampleUnit::Image => {
            for key in ["seq", "lora_rank"] {
                query.set(key, None);
            }
            query.set("mode", Some("pretrain".into()));
        }
    }
}

/// A ranking control the user changed.
#[derive(Debug, Clone, PartialEq)]
pub enum RankControl {
    /// Rank by this criterion.
    By(Criterion),
    /// Only this vendor (`None`: all).
    Vendor(Option<String>),
    /// Only this segment (`None`: all).
    Segment(Option<Segment>),
}

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
    /// Change a ranking control.
    Rank(RankControl),
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
            Action::Rank(control) => {
                match control {
                    RankControl::By(c) => next.rank_by = c,
                    RankControl::Vendor(v) => next.rank_filter.vendor = v,
                    RankControl::Segment(s) => next.rank_filter.segment = s,
                }
                edited = false;
            }
            Action::Export(e) => {
                next.export = e;
                edited = false;
            }
            Action::OpenProfile(name, text) => {
                next.profile = Some(crate::data::Shared(Rc::new(open_profile(name, text))));
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
                if let Some(opened) = next.profile.as_mut().map(|shared| Rc::make_mut(&mut shared.0)) {
                    opened.used = Some(match (&opened.profile, crate::catalog(), crate::calibration()) {
                        (Ok(p), Ok(catalog), Ok(cal)) => cal.with_profile(p, catalog).map(|c| {
                            // One refitted calibration per opened profile, kept for the page's lifetime.
                            next.refit = Some(crate::data::CalRef(Box::leak(Box::new(c))));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn state(search: &str) -> Rc<State> {
        Rc::new(State::from_search(search, crate::catalog().unwrap()))
    }

    fn apply(s: Rc<State>, a: Action) -> Rc<State> {
        s.reduce((a, "test-version".into()))
    }

    /// A fresh page counts whole servers; a link keeps what it says.
    #[test]
    fn fresh_page_starts_on_server_scope_and_links_keep_theirs() {
        assert_eq!(state("").query.get("scope"), Some("server"));
        assert_eq!(state("?arch=tv-resnet50").query.get("scope"), None);
    }

    /// Toggling a GPU adds it at the end and removes it again; edits stamp the data version.
    #[test]
    fn toggling_gpus_and_setting_keys() {
        let s = apply(state("?gpu=nvidia-h100-sxm"), Action::ToggleGpu("nvidia-l4".into()));
        assert_eq!(s.query.get("gpu"), Some("nvidia-h100-sxm,nvidia-l4"));
        assert_eq!(s.query.get("data"), Some("test-version"));
        let s = apply(s, Action::ToggleGpu("nvidia-h100-sxm".into()));
        assert_eq!(s.query.get("gpu"), Some("nvidia-l4"));
        let s = apply(apply(s, Action::Set("mfu", "0.4".into())), Action::Set("efficiency", "tuned".into()));
        assert_eq!(
            (s.query.get("efficiency"), s.query.get("mfu")),
            (Some("tuned"), None),
            "a named efficiency drops mfu"
        );
    }

    /// Switching between an image model and a language model sets the other family's defaults.
    #[test]
    fn switching_family_sets_its_defaults() {
        let s = apply(
            state("?arch=tv-resnet50&input=160&samples=1281167&epochs=90"),
            Action::Set("arch", "llama-3.1-8b".into()),
        );
        assert_eq!(
            (s.query.get("samples"), s.query.get("epochs"), s.query.get("input")),
            (Some("100000000"), Some("1"), None)
        );
        let s = apply(apply(s, Action::Set("seq", "4096".into())), Action::Set("arch", "tv-vit-b-16".into()));
        assert_eq!(
            (s.query.get("samples"), s.query.get("seq"), s.query.get("mode")),
            (Some("1281167"), None, Some("pretrain"))
        );
        // Within a family nothing else changes.
        let s = apply(s, Action::Set("epochs", "7".into()));
        let s = apply(s, Action::Set("arch", "tv-resnet50".into()));
        assert_eq!(s.query.get("epochs"), Some("7"));
    }

    /// Ranking controls change the page, not the link.
    #[test]
    fn ranking_controls_are_not_in_the_link() {
        let before = state("?arch=tv-resnet50");
        let s = apply(before.clone(), Action::Rank(RankControl::By(Criterion::Cost)));
        let s = apply(s, Action::Rank(RankControl::Segment(Some(Segment::Consumer))));
        assert_eq!((s.rank_by, s.rank_filter.segment), (Criterion::Cost, Some(Segment::Consumer)));
        assert_eq!(s.query, before.query);
    }
}
