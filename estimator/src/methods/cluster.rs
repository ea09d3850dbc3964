//! Runs on several GPUs and servers: how throughput scales, what the servers' hosts draw, and what a run
//! costs.
//!
//! - Within a server: the efficiency measured on Lambda's 1/2/4/8-GPU rows ([`crate::backbone::Scaling`]),
//!   for the typical efficiency; a tuned utilisation (MLPerf) already includes it.
//! - Across servers: data-parallel gradient exchange. Each step, the gradients of the trainable
//!   parameters (2 bytes each at fp16/bf16, 4 at fp32/tf32; × 1.5 with ZeRO-3, which also gathers the
//!   weights: Rajbhandari et al. 2020, section 7) are all-reduced over the servers by a ring: 2 × (N − 1) ÷ N
//!   × bytes ÷ the server's network bandwidth, at line rate. The exchange overlaps the backward pass
//!   (PyTorch DDP's gradient buckets; Li et al. 2020): only what exceeds the backward pass's ⅔ of the
//!   step's compute is lost. Assumed: data parallelism across servers (tensor and pipeline parallelism,
//!   when used, stay inside a server), one step per global batch.
//! - Strong scaling across servers: what MLPerf Training's tuned time-to-train runs lose per doubling of their
//!   servers (a fixed amount of work, smaller batches per GPU as GPUs are added), in full for a run of up to a
//!   day and fading to none for a months-long one, whose work keeps every GPU's batch full (the published
//!   GPU-hours of production runs, `docs/references.md`, show no such loss): [`crate::backbone::Scaling::strong`].
//! - Power: a GPU waiting on the exchange or on other GPUs draws [`WAIT_POWER_FRACTION`] of its limit.
//! - Hosts: CPUs, memory, NICs, fans and switches draw a share of the GPUs' power limit per server class
//!   ([`ServerClass`]), for the whole duration.
//! - Cost: GPU-hours × the rental price + facility energy × the electricity price.

use serde::Serialize;

use crate::catalog::Gpu;
use crate::scenario::{Scenario, Zero};

/// A kind of server, by the GPU's form factor: what its host draws and its network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ServerClass {
    /// Id (`hgx-hopper`).
    pub id: &'static str,
    /// What it is.
    pub name: &'static str,
    /// Host power (everything but the GPUs) ÷ the GPUs' power limits, training.
    pub host_share: f64,
    /// Network bandwidth between servers per GPU, Gbit/s.
    pub net_gbit_per_gpu: f64,
    /// Where the figures come from.
    pub source: &'static str,
}

/// 8-GPU HGX/OAM servers of the Hopper, Blackwell and MI300 generations.
pub const HGX_HOPPER: ServerClass = ServerClass {
    id: "hgx-hopper",
    name: "8-GPU HGX-class server (H100/H200/B200/MI300X)",
    host_share: 0.5,
    net_gbit_per_gpu: 400.0,
    source: "host: Latif et al. 2024 (arXiv 2412.08602) measured at most 8.4 kW at the wall for an 8 × H100 HGX node \
training Llama 2 13B with GPUs near full power: 8.4 kW − 8 × 700 W = 2.8 kW = 0.5 × the GPUs' limits; network: \
NVIDIA DGX H100 datasheet, 8 × 400 Gb/s ConnectX-7 for the compute fabric",
};

/// 8-GPU servers of the Ampere and Volta generations (SXM).
pub const HGX_AMPERE: ServerClass = ServerClass {
    id: "hgx-ampere",
    name: "8-GPU HGX/DGX-class server (A100/V100 SXM)",
    host_share: 0.63,
    net_gbit_per_gpu: 200.0,
    source: "host: NVIDIA DGX A100 datasheet, 6.5 kW maximum for 8 × 400 W GPUs (3.3 kW rated host), scaled by the \
ratio of measured to rated host power on the H100 node of Latif et al. 2024 (2.8 of 4.6 kW): 2.0 kW = 0.63 × the \
GPUs' limits; network: DGX A100 datasheet, 8 × 200 Gb/s HDR InfiniBand",
};

/// PCIe GPUs in a general-purpose server or a workstation.
pub const PCIE: ServerClass = ServerClass {
    id: "pcie",
    name: "PCIe server or workstation",
    host_share: 0.5,
    net_gbit_per_gpu: 25.0,
    source: "assumed: host at half the GPUs' limits, as in the measured HGX node (no published wall measurement of \
PCIe training servers was found); network: 100 Gb/s Ethernet shared by 4 GPUs",
};

impl ServerClass {
    /// The class of the servers a GPU is used in.
    pub fn of(gpu: &Gpu) -> ServerClass {
        let ff = gpu.form_factor.to_ascii_lowercase();
        let modern = ["Hopper", "Blackwell", "CDNA 3"].iter().any(|a| gpu.architecture.starts_with(a));
        if (ff.starts_with("sxm") || ff.starts_with("oam")) && modern {
            HGX_HOPPER
        } else if ff.starts_with("sxm") || ff.starts_with("oam") {
            HGX_AMPERE
        } else {
            PCIE
        }
    }
}

/// A GPU's power while it waits on the network or on other GPUs, as a share of its power limit: an A100 SXM4
/// 40GB blocked in an NCCL receive drew 85 W (21 % of its 400 W), an A40 70 W (23 % of 300 W). A lower bound
/// for collectives that move data while they wait.
pub const WAIT_POWER_FRACTION: f64 = 0.22;

/// Where [`WAIT_POWER_FRACTION`] comes from.
pub const WAIT_POWER_SOURCE: &str = "Wu, Chung and Chowdhury, Kareus (arXiv 2601.17654), artifact github:ml-energy/kareus tests/bayesian/common/model_config.py: p2p_power_w, measured by profile_p2p.py with ZeusMonitor while one rank blocks in an NCCL receive";

/// How a run's GPUs work together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scaling {
    /// GPUs in the run.
    pub n_gpus: u32,
    /// Servers.
    pub nodes: u32,
    /// GPUs per server.
    pub gpus_per_node: u32,
    /// Efficiency within a server (1 for one GPU).
    pub within_node: f64,
    /// Efficiency across servers (1 for one server): the gradient exchange's.
    pub across_nodes: f64,
    /// What strong scaling across the servers keeps (1 for one server or a months-long run;
    /// [`crate::backbone::Scaling::strong`]).
    pub strong: f64,
    /// The exchange between servers, when there are several.
    #[serde(skip_serializing_if = "crate::snapshot::omit_none")]
    pub exchange: Option<Exchange>,
}

impl Scaling {
    /// The efficiencies together.
    pub fn efficiency(&self) -> f64 {
        self.within_node * self.across_nodes * self.strong
    }

    /// The share of the run's time its GPUs compute: what the exchange and strong scaling across servers
    /// leave (they wait the rest on the network and on each other).
    pub fn busy(&self) -> f64 {
        self.across_nodes * self.strong
    }

    /// A GPU's power fraction over the run from its fraction while computing: [`WAIT_POWER_FRACTION`] for the
    /// time it waits (never above the computing fraction).
    pub fn power_fraction(&self, computing: f64) -> f64 {
        let busy = self.busy();
        busy * computing + (1.0 - busy) * WAIT_POWER_FRACTION.min(computing)
    }
}

/// One step's gradient exchange between servers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exchange {
    /// Gradient bytes per step, GB.
    pub gradient_gb: f64,
    /// Network bandwidth per server, GB/s.
    pub bandwidth_gb_s: f64,
    /// Compute time of one step, s.
    pub step_s: f64,
    /// All-reduce time of one step, s.
    pub allreduce_s: f64,
    /// What the backward pass does not hide, s.
    pub exposed_s: f64,
}

/// The scaling of a scenario on `gpu`, given one GPU's throughput (samples/s) and the within-server
/// efficiency at the scenario's GPUs per server. `step_samples_per_gpu` is the step's samples per GPU.
pub fn scaling(
    scenario: &Scenario,
    gpu: &Gpu,
    trainable_params: Option<f64>,
    per_gpu_samples_per_s: f64,
    within_node: f64,
    step_samples_per_gpu: f64,
) -> Scaling {
    let (nodes, gpn) = (scenario.nodes(), scenario.gpus_per_node());
    let mut out = Scaling {
        n_gpus: scenario.n_gpus,
        nodes,
        gpus_per_node: gpn,
        within_node: if scenario.n_gpus > 1 { within_node } else { 1.0 },
        across_nodes: 1.0,
        strong: 1.0,
        exchange: None,
    };
    let Some(params) = trainable_params.filter(|_| nodes > 1 && per_gpu_samples_per_s > 0.0) else { return out };
    let bytes_per_grad = if scenario.precision.mixed() { 2.0 } else { 4.0 };
    let volume = if scenario.job.zero == Zero::Parameters { 1.5 } else { 1.0 };
    let gradient_gb = params * bytes_per_grad * volume / 1e9;
    let bandwidth_gb_s = ServerClass::of(gpu).net_gbit_per_gpu * f64::from(gpn) / 8.0;
    let n = f64::from(nodes);
    let allreduce_s = 2.0 * (n - 1.0) / n * gradient_gb / bandwidth_gb_s;
    let step_s = step_samples_per_gpu / (per_gpu_samples_per_s * out.within_node);
    let exposed_s = (allreduce_s - 2.0 / 3.0 * step_s).max(0.0);
    out.across_nodes = step_s / (step_s + exposed_s);
    out.exchange = Some(Exchange { gradient_gb, bandwidth_gb_s, step_s, allreduce_s, exposed_s });
    out
}

/// Host energy of a run, kWh: nodes × host power × hours, with the host power a share of the server's GPU
/// power limits.
pub fn host_kwh(scenario: &Scenario, gpu: &Gpu, hours: f64) -> Option<f64> {
    let tdp = gpu.tdp_w?;
    let class = ServerClass::of(gpu);
    // The host of a partly used server still runs: count every server's host in full.
    let host_w = class.host_share * tdp * f64::from(scenario.gpus_per_node());
    Some(f64::from(scenario.nodes()) * host_w * hours / 1000.0)
}

/// What a run costs, in the scenario's currency: its parts and their sum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    /// GPU-hours × the rental price (`null` without a price).
    pub rental: Option<f64>,
    /// Facility energy × the electricity price (`null` without a price).
    pub energy: Option<f64>,
    /// The sum of the parts that are known (`null` when neither is).
    pub total: Option<f64>,
}

impl Cost {
    /// The cost of `gpu_hours` and `facility_kwh` at the scenario's prices.
    pub fn of(scenario: &Scenario, gpu_hours: Option<f64>, facility_kwh: Option<f64>) -> Cost {
        let rental = scenario.job.gpu_hour_price.zip(gpu_hours).map(|(p, h)| p * h);
        let energy = scenario.price_per_kwh.zip(facility_kwh).map(|(p, e)| p * e);
        let total = match (rental, energy) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        Cost { rental, energy, total }
    }
}
