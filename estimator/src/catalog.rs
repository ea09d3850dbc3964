//! Catalogues of GPUs, architectures and regions: the types of `data/*.json` (schema version 1)
//! and the embedded copy the CLI and the site compute with.
//!
//! Invariant: a spec that no source gave is `None`, never `0`.

use serde::{Deserialize, Serialize};

use crate::error::DataError;

/// Version of the data-file formats this crate reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Where a table of facts came from, and under which licence it may be reused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    /// Short id that entries refer to (`source` fields).
    pub id: String,
    /// Human-readable name of the source.
    pub name: String,
    /// Where it can be read (URL or `github:owner/repo path @commit`).
    pub url: String,
    /// Licence of the source data (SPDX id where one exists).
    pub licence: String,
    /// Attribution text to show wherever the data is shown.
    pub attribution: String,
}

/// Header fields shared by every data file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DataHeader {
    /// Format version of the file (this crate reads 1).
    pub schema_version: u32,
    /// Version of the data set; share links carry it.
    pub data_version: String,
    /// The command that generated the file (never hand-edited).
    pub generated_by: String,
    /// Source tables the entries were derived from.
    pub sources: Vec<SourceRef>,
}

/// One accelerator (GPU, TPU chip).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Gpu {
    /// Lowercase slug, unique (`nvidia-h100-sxm`).
    pub id: String,
    /// Vendor as marketed (`NVIDIA`, `AMD`, `Google`).
    pub vendor: String,
    /// Product name as marketed.
    pub name: String,
    /// Micro-architecture or generation (`Hopper`, `CDNA3`, `TPU v4`).
    pub architecture: String,
    /// Form factor (`sxm5`, `pcie`, `consumer`, `oam`, ...).
    pub form_factor: String,
    /// Market segment derived from the form factor.
    pub segment: Segment,
    /// Year of launch, when a source gave it.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub release_year: Option<u16>,
    /// Vendor TDP / max board power, watts.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none", with = "crate::snapshot::decimal_option")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<f64>"))]
    pub tdp_w: Option<f64>,
    /// Peak FP32 non-tensor TFLOP/s.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none", with = "crate::snapshot::decimal_option")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<f64>"))]
    pub fp32_tflops: Option<f64>,
    /// Peak dense FP16 tensor TFLOP/s (FP32 accumulate on GeForce cards).
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none", with = "crate::snapshot::decimal_option")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<f64>"))]
    pub fp16_tensor_tflops: Option<f64>,
    /// Peak dense BF16 tensor TFLOP/s.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none", with = "crate::snapshot::decimal_option")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<f64>"))]
    pub bf16_tensor_tflops: Option<f64>,
    /// Peak dense TF32 tensor TFLOP/s.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none", with = "crate::snapshot::decimal_option")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<f64>"))]
    pub tf32_tensor_tflops: Option<f64>,
    /// Device memory, GB.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none", with = "crate::snapshot::decimal_option")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<f64>"))]
    pub memory_gb: Option<f64>,
    /// Peak device-memory bandwidth, GB/s.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none", with = "crate::snapshot::decimal_option")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<f64>"))]
    pub memory_bandwidth_gbs: Option<f64>,
    /// FP32 CUDA cores or stream processors.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub cores: Option<u32>,
    /// Every name NVML reports for the card, with and without the `NVIDIA ` prefix.
    #[serde(default)]
    pub nvml_names: Vec<String>,
    /// Where the figures were read.
    pub source: String,
    /// Conflicting figures, derivations and caveats.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub notes: Option<String>,
}

/// Market segment of an accelerator, for filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Segment {
    /// Datacenter cards and modules (SXM, OAM, PCIe server cards, TPU chips).
    Datacenter,
    /// Workstation cards.
    Workstation,
    /// Consumer (GeForce) cards.
    Consumer,
}

/// The GPU catalogue, `data/gpus.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GpuCatalog {
    /// File header.
    #[serde(flatten)]
    pub header: DataHeader,
    /// The accelerators.
    pub gpus: Vec<Gpu>,
}

/// What one training sample is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum SampleUnit {
    /// An image of `input_px` × `input_px` pixels.
    Image,
    /// A token (language models).
    Token,
}

/// One model architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    /// Slug, unique (`tv-resnet50`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Family (`cnn`, `vit`, `transformer-encoder`, `decoder-llm`, ...).
    pub family: String,
    /// Task (`image-classification`, ...).
    pub task: String,
    /// Parameters, millions.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none", with = "crate::snapshot::decimal_option")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<f64>"))]
    pub params_m: Option<f64>,
    /// Forward-pass GFLOPs per sample (1 multiply-add = 2 FLOPs) at the default input.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none", with = "crate::snapshot::decimal_option")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<f64>"))]
    pub forward_gflops: Option<f64>,
    /// What a sample is.
    pub sample_unit: SampleUnit,
    /// Default square input side in pixels (images only).
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub input_px: Option<u32>,
    /// Framework whose definition the figures describe.
    pub framework: String,
    /// Where the figures were read.
    pub source: String,
    /// Caveats and derivations.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub notes: Option<String>,
    /// The shape of a transformer (language models), from its configuration: what FLOPs per token at a
    /// sequence length, memory and LoRA adapters follow from ([`crate::methods::transformer`]).
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub transformer: Option<Transformer>,
    /// Activations of one forward pass per sample at `input_px`, millions (vision models): every layer's
    /// output, written and read back ([`Architecture::activations_per_gflop`]).
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none", with = "crate::snapshot::decimal_option")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<f64>"))]
    pub activations_m: Option<f64>,
}

/// The feed-forward block of a transformer layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Mlp {
    /// Two matrices, d × ffn and ffn × d (GPT-2, BERT, OPT, BLOOM, Falcon).
    Plain,
    /// Three matrices, gate and up d × ffn and down ffn × d (SwiGLU / GeGLU: Llama, Mistral, Qwen, Gemma, Phi-3).
    Gated,
}

/// A sparse mixture of experts: each token runs `active` of `total` feed-forward experts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Experts {
    /// Experts per layer.
    pub total: u32,
    /// Experts each token is routed to.
    pub active: u32,
}

/// A transformer's dimensions, as its configuration states them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Transformer {
    /// Transformer layers (blocks).
    pub layers: u32,
    /// Model width (hidden size).
    pub d_model: u32,
    /// Attention (query) heads.
    pub heads: u32,
    /// Key/value heads (fewer than `heads` with grouped- or multi-query attention).
    pub kv_heads: u32,
    /// Query/key width of one head.
    pub head_dim: u32,
    /// Feed-forward width (of one expert for a mixture of experts).
    pub ffn: u32,
    /// Feed-forward kind.
    pub mlp: Mlp,
    /// Vocabulary size.
    pub vocab: u32,
    /// Longest sequence the model was configured for, tokens.
    pub context: u32,
    /// Mixture of experts, when sparse.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub experts: Option<Experts>,
    /// Whether the output projection is the input embedding matrix (counted once in the parameters).
    pub tied_embeddings: bool,
    /// Parameters a token runs through, millions (equals `params_m` for a dense model).
    pub active_params_m: f64,
}

/// The architecture catalogue, `data/architectures.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ArchCatalog {
    /// File header.
    #[serde(flatten)]
    pub header: DataHeader,
    /// How `forward_gflops` counts.
    pub flops_convention: String,
    /// The architectures.
    pub architectures: Vec<Architecture>,
}

/// Kind of location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum RegionKind {
    /// The world average.
    World,
    /// A country's grid.
    Country,
    /// A cloud provider's region.
    Cloud,
}

/// A location with its grid carbon intensity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Id used in share links: ISO 3166 alpha-2 for countries, `WORLD`, `aws:us-east-1` for cloud regions.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind of location.
    pub kind: RegionKind,
    /// Cloud provider id (`aws`, `gcp`, `azure`) for cloud regions.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub provider: Option<String>,
    /// Grid carbon intensity, gCO2e/kWh.
    #[serde(with = "crate::snapshot::decimal")]
    #[cfg_attr(feature = "schema", schemars(with = "f64"))]
    pub intensity_g_per_kwh: f64,
    /// Year the intensity refers to, when the source states it.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub year: Option<u16>,
    /// Id of the source table (see `sources`).
    pub source: String,
    /// Where in that source, or what the figure covers.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub detail: Option<String>,
}

/// Default PUE for a kind of site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PueDefault {
    /// `aws`, `gcp`, `azure`, `on-premise`, `personal-computer`, ...
    pub id: String,
    /// Display name.
    pub name: String,
    /// Power usage effectiveness (≥ 1).
    pub pue: f64,
    /// Id of the source table.
    pub source: String,
    /// Where in that source.
    #[serde(default, skip_serializing_if = "crate::snapshot::omit_none")]
    pub detail: Option<String>,
}

/// The region catalogue, `data/regions.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RegionCatalog {
    /// File header.
    #[serde(flatten)]
    pub header: DataHeader,
    /// Default PUE per provider and site kind.
    pub pue_defaults: Vec<PueDefault>,
    /// The locations.
    pub regions: Vec<Region>,
}

/// All three catalogues, checked to share one data version.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    /// GPUs.
    pub gpus: GpuCatalog,
    /// Architectures.
    pub archs: ArchCatalog,
    /// Regions and PUE defaults.
    pub regions: RegionCatalog,
}

/// Parses one data file, checking its schema version before its shape.
fn parse_file<T: serde::de::DeserializeOwned>(file: &'static str, text: &str) -> Result<T, DataError> {
    #[derive(Deserialize)]
    struct Probe {
        schema_version: u32,
    }
    let json = |e: serde_json::Error| DataError::Json { file, message: e.to_string() };
    let probe: Probe = serde_json::from_str(text).map_err(json)?;
    if probe.schema_version != SCHEMA_VERSION {
        return Err(DataError::SchemaVersion { file, found: probe.schema_version });
    }
    serde_json::from_str(text).map_err(json)
}

impl Architecture {
    /// Forward GFLOPs per sample at a square input of `px` pixels: the catalogue figure scaled by input
    /// area for image models (convolution FLOPs grow with the number of pixels; approximate for ViTs).
    pub fn gflops_at(&self, px: Option<u32>) -> Option<f64> {
        let g = self.forward_gflops?;
        Some(match (self.sample_unit, self.input_px, px) {
            (SampleUnit::Image, Some(base), Some(px)) => {
                let r = f64::from(px) / f64::from(base);
                g * r * r
            }
            _ => g,
        })
    }

    /// Millions of activations per forward GFLOP: memory traffic per unit of work, which sets how near its
    /// peak a GPU runs a vision model (MobileNets and EfficientNets move many activations per FLOP and reach a
    /// few % of peak; VGG moves few). Both scale with the input's area, so the ratio holds at any input size.
    pub fn activations_per_gflop(&self) -> Option<f64> {
        Some(self.activations_m? / self.forward_gflops.filter(|g| *g > 0.0)?)
    }
}

/// Id prefixes of the framework- or paper-specific definitions, with how specific each is (ties in a
/// search go to the least specific: torchvision's and the models' own first).
const ARCH_ID_PREFIXES: [(&str, usize); 3] = [("tv-", 0), ("keras-", 1), ("paper-", 2)];

/// Lowercase letters and digits only: "ResNet-50 (v1.5)" → "resnet50v15".
pub(crate) fn normalise(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// How well a typed query matches an architecture: 4 equal to its id (with or without its framework
/// prefix), its name (with or without the bracketed part) or that part, 3 the start of one, 2 inside one, 1 every
/// word of the query somewhere in its id or name, 0 no match. Case and punctuation are ignored.
pub fn search_score(a: &Architecture, query: &str) -> u8 {
    let q = normalise(query);
    if q.is_empty() {
        return 0;
    }
    let bare_id = ARCH_ID_PREFIXES.iter().find_map(|(p, _)| a.id.strip_prefix(p)).unwrap_or(&a.id);
    let (bare_name, alias) = a.name.split_once('(').unwrap_or((&a.name, ""));
    let alias = normalise(alias);
    let mut texts = vec![normalise(&a.id), normalise(bare_id), normalise(&a.name), normalise(bare_name)];
    // The bracketed part of a name is an alias ("GPT-2 small (gpt2)", "GoogLeNet (Inception v1)").
    if !alias.is_empty() {
        texts.push(alias);
    }
    if texts.contains(&q) {
        4
    } else if texts.iter().any(|t| t.starts_with(&q)) {
        3
    } else if texts.iter().any(|t| t.contains(&q)) {
        2
    } else {
        let all = format!("{} {}", texts[0], texts[2]);
        let words: Vec<String> =
            query.split(|c: char| !c.is_ascii_alphanumeric()).map(normalise).filter(|w| !w.is_empty()).collect();
        u8::from(!words.is_empty() && words.iter().all(|w| all.contains(w.as_str())))
    }
}

/// The PUE default used for a country or the world average when the user gives none.
pub const DEFAULT_SITE: &str = "on-premise";

impl Catalog {
    /// Parses the three data files and checks their versions.
    pub fn from_json(gpus: &str, archs: &str, regions: &str) -> Result<Self, DataError> {
        let catalog = Catalog {
            gpus: parse_file("gpus.json", gpus)?,
            archs: parse_file("architectures.json", archs)?,
            regions: parse_file("regions.json", regions)?,
        };
        let expected = catalog.data_version();
        for (file, h) in [("architectures.json", &catalog.archs.header), ("regions.json", &catalog.regions.header)] {
            if h.data_version != expected {
                return Err(DataError::VersionMismatch {
                    file,
                    found: h.data_version.clone(),
                    expected: expected.to_string(),
                });
            }
        }
        catalog.check()?;
        Ok(catalog)
    }

    /// The catalogue compiled into this build (`data/*.json` at build time; the site reads its copy from a
    /// [`crate::snapshot::Snapshot`] instead).
    pub fn embedded() -> Result<Self, DataError> {
        Self::from_json(
            include_str!("../../data/gpus.json"),
            include_str!("../../data/architectures.json"),
            include_str!("../../data/regions.json"),
        )
    }

    /// The data version shared by the three files.
    pub fn data_version(&self) -> &str {
        &self.gpus.header.data_version
    }

    /// A GPU by id.
    pub fn gpu(&self, id: &str) -> Option<&Gpu> {
        self.gpus.gpus.iter().find(|g| g.id == id)
    }

    /// A GPU by the name NVML reports (exact, or ignoring case and the `NVIDIA ` prefix).
    pub fn gpu_by_nvml_name(&self, name: &str) -> Option<&Gpu> {
        let norm = |s: &str| {
            let s = s.trim();
            let s = s.strip_prefix("NVIDIA ").unwrap_or(s);
            s.to_ascii_lowercase()
        };
        let wanted = norm(name);
        self.gpus.gpus.iter().find(|g| g.nvml_names.iter().any(|n| norm(n) == wanted))
    }

    /// An architecture by id.
    pub fn arch(&self, id: &str) -> Option<&Architecture> {
        self.archs.architectures.iter().find(|a| a.id == id)
    }

    /// Architectures matching what a person typed ("resnet50", "llama 3 8b", "Meta Llama 3 8B", "bert"),
    /// best first: ids and names compared case- and punctuation-insensitively ([`search_score`]); ties go to
    /// the general definition (torchvision or the model's own) before the Keras and paper-specific ones,
    /// then to the shorter id.
    pub fn search_archs(&self, query: &str) -> Vec<&Architecture> {
        self.ranked_archs(query).into_iter().map(|(_, a)| a).collect()
    }

    /// GPUs whose id and name, taken together, hold every word of the query (case and punctuation ignored),
    /// by id: "H100" gives the three H100s, "amd instinct mi300x" the MI300X.
    pub fn search_gpus(&self, query: &str) -> Vec<&Gpu> {
        let words: Vec<String> =
            query.split(|c: char| !c.is_ascii_alphanumeric()).map(normalise).filter(|w| !w.is_empty()).collect();
        let mut hits: Vec<&Gpu> = self
            .gpus
            .gpus
            .iter()
            .filter(|g| {
                let text = format!("{} {}", normalise(&g.id), normalise(&g.name));
                !words.is_empty() && words.iter().all(|w| text.contains(w.as_str()))
            })
            .collect();
        crate::order::sort_by(&mut hits, |a, b| a.id.cmp(&b.id));
        hits
    }

    /// [`Catalog::search_archs`] with each match's score.
    fn ranked_archs(&self, query: &str) -> Vec<(u8, &Architecture)> {
        let specific = |a: &Architecture| ARCH_ID_PREFIXES.iter().find(|(p, _)| a.id.starts_with(p)).map_or(0, |p| p.1);
        let mut hits: Vec<(u8, &Architecture)> = self
            .archs
            .architectures
            .iter()
            .map(|a| (search_score(a, query), a))
            .filter(|(score, _)| *score > 0)
            .collect();
        crate::order::sort_by(&mut hits, |(sx, x), (sy, y)| {
            sy.cmp(sx).then(specific(x).cmp(&specific(y))).then(x.id.len().cmp(&y.id.len())).then(x.id.cmp(&y.id))
        });
        hits
    }

    /// The architecture a person meant: the exact id, else the best match of [`Catalog::search_archs`] when
    /// the query is part of an id or a name (a looser match is a suggestion, not an answer).
    pub fn find_arch(&self, query: &str) -> Option<&Architecture> {
        self.arch(query)
            .or_else(|| self.ranked_archs(query).into_iter().next().filter(|(score, _)| *score >= 2).map(|(_, a)| a))
    }

    /// A region by id (case-insensitive).
    pub fn region(&self, id: &str) -> Option<&Region> {
        self.regions.regions.iter().find(|r| r.id.eq_ignore_ascii_case(id))
    }

    /// The PUE default with this id.
    pub fn pue_default(&self, id: &str) -> Option<&PueDefault> {
        self.regions.pue_defaults.iter().find(|p| p.id == id)
    }

    /// The default PUE for a region: its provider's, else the on-premise default.
    pub fn default_pue_for(&self, region: &Region) -> Option<&PueDefault> {
        region.provider.as_deref().and_then(|p| self.pue_default(p)).or_else(|| self.pue_default(DEFAULT_SITE))
    }

    /// A source table by id, searched in every file's header.
    pub fn source(&self, id: &str) -> Option<&SourceRef> {
        [&self.gpus.header, &self.archs.header, &self.regions.header]
            .into_iter()
            .flat_map(|h| h.sources.iter())
            .find(|s| s.id == id)
    }

    /// Checks ids are unique, numbers are finite and positive, and references resolve.
    pub fn check(&self) -> Result<(), DataError> {
        fn unique<'a>(file: &'static str, ids: impl Iterator<Item = &'a str>) -> Result<(), DataError> {
            // Sorted rather than collected into a set: the site then needs no B-tree code to load its data.
            let mut ids: Vec<&str> = ids.collect();
            crate::order::sort(&mut ids);
            match ids.windows(2).find(|w| w[0] == w[1]) {
                Some(w) => Err(DataError::Invalid { file, id: w[0].to_string(), reason: "duplicate id".into() }),
                None => Ok(()),
            }
        }
        fn positive(file: &'static str, id: &str, field: &str, v: Option<f64>) -> Result<(), DataError> {
            match v {
                Some(x) if !(x.is_finite() && x > 0.0) => Err(DataError::Invalid {
                    file,
                    id: id.to_string(),
                    reason: format!("{field} must be a positive finite number, got {x}"),
                }),
                _ => Ok(()),
            }
        }
        unique("gpus.json", self.gpus.gpus.iter().map(|g| g.id.as_str()))?;
        unique("architectures.json", self.archs.architectures.iter().map(|a| a.id.as_str()))?;
        unique("regions.json", self.regions.regions.iter().map(|r| r.id.as_str()))?;
        for g in &self.gpus.gpus {
            for (field, v) in [
                ("tdp_w", g.tdp_w),
                ("fp32_tflops", g.fp32_tflops),
                ("fp16_tensor_tflops", g.fp16_tensor_tflops),
                ("bf16_tensor_tflops", g.bf16_tensor_tflops),
                ("tf32_tensor_tflops", g.tf32_tensor_tflops),
                ("memory_gb", g.memory_gb),
                ("memory_bandwidth_gbs", g.memory_bandwidth_gbs),
            ] {
                positive("gpus.json", &g.id, field, v)?;
            }
        }
        for a in &self.archs.architectures {
            positive("architectures.json", &a.id, "params_m", a.params_m)?;
            positive("architectures.json", &a.id, "forward_gflops", a.forward_gflops)?;
        }
        for r in &self.regions.regions {
            if !(r.intensity_g_per_kwh.is_finite() && r.intensity_g_per_kwh >= 0.0) {
                return Err(DataError::Invalid {
                    file: "regions.json",
                    id: r.id.clone(),
                    reason: format!("intensity_g_per_kwh must be ≥ 0, got {}", r.intensity_g_per_kwh),
                });
            }
            if self.source(&r.source).is_none() {
                return Err(DataError::Invalid {
                    file: "regions.json",
                    id: r.id.clone(),
                    reason: format!("unknown source \"{}\"", r.source),
                });
            }
        }
        for p in &self.regions.pue_defaults {
            if !(p.pue.is_finite() && p.pue >= 1.0) {
                return Err(DataError::Invalid {
                    file: "regions.json",
                    id: p.id.clone(),
                    reason: format!("pue must be ≥ 1, got {}", p.pue),
                });
            }
        }
        if self.pue_default(DEFAULT_SITE).is_none() {
            return Err(DataError::Invalid {
                file: "regions.json",
                id: DEFAULT_SITE.into(),
                reason: "the on-premise PUE default is missing".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalogue_loads_and_is_large_enough() {
        let c = Catalog::embedded().unwrap();
        assert!(c.gpus.gpus.len() >= 55, "{} gpus", c.gpus.gpus.len());
        assert!(c.archs.architectures.len() >= 70);
        assert!(c.regions.regions.len() >= 100);
    }

    /// What people type finds the model they mean; a near miss finds nothing rather than a wrong model.
    #[test]
    fn architecture_search_finds_what_people_type() {
        let c = Catalog::embedded().unwrap();
        for (typed, id) in [
            ("tv-resnet50", Some("tv-resnet50")),
            ("resnet50", Some("tv-resnet50")),
            ("ResNet-50", Some("tv-resnet50")),
            ("RESNET 18", Some("tv-resnet18")),
            ("llama 3 8b", Some("llama-3-8b")),
            ("Meta Llama 3 8B", Some("llama-3-8b")),
            ("llama-2-70B", Some("llama-2-70b")),
            ("bert", Some("bert-base-uncased")),
            ("gpt2", Some("gpt2-small")),
            ("vit b/16", Some("tv-vit-b-16")),
            ("efficientnet b0", Some("tv-efficientnet-b0")),
            ("inception v1", Some("tv-googlenet")),
            ("mistral", Some("mistral-7b-v0.1")),
            ("resnet9000", None),
            ("", None),
            ("!!!", None),
        ] {
            assert_eq!(c.find_arch(typed).map(|a| a.id.as_str()), id, "{typed:?}");
        }
        // "bert" ranks the BERT family first: the BERTs, then the models named after it.
        let mut bert: Vec<&str> = c.search_archs("bert").iter().take(5).map(|a| a.id.as_str()).collect();
        assert_eq!(bert[..2], ["bert-base-uncased", "bert-large-uncased"]);
        bert.sort();
        assert_eq!(
            bert,
            ["bert-base-uncased", "bert-large-uncased", "distilbert-base-uncased", "roberta-base", "roberta-large"]
        );
        // Every architecture is found by its own id and by its own name.
        for a in &c.archs.architectures {
            assert_eq!(c.find_arch(&a.id).map(|x| &x.id), Some(&a.id));
            assert!(c.search_archs(&a.name).iter().any(|x| x.id == a.id), "{}", a.name);
        }
    }

    #[test]
    fn nvml_names_match_with_and_without_prefix() {
        let c = Catalog::embedded().unwrap();
        for (name, id) in [
            ("NVIDIA GeForce RTX 3090", "nvidia-rtx-3090"),
            ("GeForce RTX 3090", "nvidia-rtx-3090"),
            ("NVIDIA H100 80GB HBM3", "nvidia-h100-sxm"),
            ("Tesla V100-SXM2-16GB", "nvidia-v100-sxm2-16gb"),
        ] {
            assert_eq!(c.gpu_by_nvml_name(name).map(|g| g.id.as_str()), Some(id), "{name}");
        }
        assert!(c.gpu_by_nvml_name("NVIDIA Imaginary 9000").is_none());
    }

    #[test]
    fn version_mismatch_is_an_error() {
        let g = include_str!("../../data/gpus.json");
        let a = include_str!("../../data/architectures.json");
        let r = include_str!("../../data/regions.json");
        let version = Catalog::embedded().unwrap().data_version().to_string();
        let bad = a.replacen(&format!("\"data_version\": \"{version}\""), "\"data_version\": \"0.0.0\"", 1);
        assert!(matches!(Catalog::from_json(g, &bad, r), Err(DataError::VersionMismatch { .. })));
        assert!(matches!(Catalog::from_json("{", a, r), Err(DataError::Json { file: "gpus.json", .. })));
    }
}
