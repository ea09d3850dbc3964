//! Joining the per-node profiles of one run into one profile (`wattcast merge`): the nodes must be of one
//! job (same job id, start times within [`START_TOLERANCE_MS`]), each node and each GPU may come once, and
//! each node's samples are moved onto the earliest node's clock, so the merged totals count every GPU once
//! over the job's real span.

use thiserror::Error;

use crate::profile::{DeviceTrace, EnergySource, EpochMark, Profile, ProfileStatus, Summary};

/// How far apart the nodes of one job may start recording, ms (launchers start nodes seconds apart; a job
/// id reused for a later run starts far later).
pub const START_TOLERANCE_MS: u64 = 10 * 60 * 1000;

/// Why profiles cannot be merged.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("nothing to merge")]
    Empty,
    /// A part trains something else.
    #[error("{part}: {what}: not the same run")]
    NotSameRun {
        /// The part (its file name).
        part: String,
        /// What differs.
        what: String,
    },
    /// Some parts say which job they are a node of and this one does not.
    #[error("{part} has no job section while {other} has one: record every node with the same launcher")]
    MissingJob {
        /// The part without.
        part: String,
        /// A part with.
        other: String,
    },
    /// A part of another job.
    #[error("{part} is a node of job \"{id}\", {first} of job \"{expected}\": not one job")]
    OtherJob {
        /// The part.
        part: String,
        /// Its job id.
        id: String,
        /// The first part.
        first: String,
        /// The first part's job id.
        expected: String,
    },
    /// A part that started too long after the others.
    #[error(
        "{part} started recording {apart_s:.0} s apart from {first} (at most {} s for nodes of one job): a later run \
with the same job id?",
        START_TOLERANCE_MS / 1000
    )]
    StartApart {
        /// The part.
        part: String,
        /// The first part.
        first: String,
        /// How far apart, s.
        apart_s: f64,
    },
    /// Two parts are the same node.
    #[error("{part} and {other} are both node {node} of the job: each node once")]
    SameNode {
        /// The part.
        part: String,
        /// The other part.
        other: String,
        /// The node index.
        node: u32,
    },
    /// A GPU that two parts both hold.
    #[error("GPU {gpu} is in both {part} and {other}: each GPU is counted once")]
    SameGpu {
        /// The GPU (uuid, or host and index).
        gpu: String,
        /// The part.
        part: String,
        /// The other part.
        other: String,
    },
}

/// Merges the profiles of the nodes of one run, each named (its file name) for the messages.
pub fn merge_nodes(parts: Vec<(String, Profile)>) -> Result<Profile, MergeError> {
    let (first_name, first) = parts.first().ok_or(MergeError::Empty)?;
    let first_name = first_name.clone();
    // One job, started together, each node once.
    if let Some((name, _)) = parts.iter().find(|(_, p)| p.job.is_some() != first.job.is_some()) {
        let (with, without) = if first.job.is_some() { (&first_name, name) } else { (name, &first_name) };
        return Err(MergeError::MissingJob { part: without.clone(), other: with.clone() });
    }
    let start_ms = parts.iter().filter_map(|(_, p)| p.job.as_ref().map(|j| j.start_unix_ms)).min();
    if let Some(job) = &first.job {
        for (i, (name, p)) in parts.iter().enumerate().skip(1) {
            // Every part has a job section here (checked above).
            let Some(j) = &p.job else { continue };
            if j.id != job.id {
                return Err(MergeError::OtherJob {
                    part: name.clone(),
                    id: j.id.clone(),
                    first: first_name,
                    expected: job.id.clone(),
                });
            }
            let apart = j.start_unix_ms.abs_diff(job.start_unix_ms);
            if apart > START_TOLERANCE_MS {
                return Err(MergeError::StartApart {
                    part: name.clone(),
                    first: first_name,
                    apart_s: apart as f64 / 1000.0,
                });
            }
            if let Some((other, _)) = parts[..i].iter().find(|(_, q)| q.job.as_ref().is_some_and(|k| k.node == j.node))
            {
                return Err(MergeError::SameNode { part: name.clone(), other: other.clone(), node: j.node });
            }
        }
    }
    let mut parts = parts;
    // Node 0 first: its epochs and metadata lead.
    let node = |p: &Profile| p.job.as_ref().map_or(0, |j| j.node);
    crate::order::sort_by(&mut parts, |(_, a), (_, b)| node(a).cmp(&node(b)));
    // The samples move into the merged profile instead of being copied.
    let all_traced = parts.iter().all(|(_, p)| !p.devices.is_empty());
    let traces: Vec<(Vec<DeviceTrace>, Vec<EpochMark>)> =
        parts.iter_mut().map(|(_, p)| (std::mem::take(&mut p.devices), std::mem::take(&mut p.epochs))).collect();
    let mut merged = parts[0].1.clone();
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut energy_j = 0.0;
    let mut duration_s: f64 = 0.0;
    for (k, ((name, p), (devices, epochs))) in parts.iter().zip(traces).enumerate() {
        if p.meta.arch_id != merged.meta.arch_id || p.meta.gpu.catalog_id != merged.meta.gpu.catalog_id {
            return Err(MergeError::NotSameRun {
                part: name.clone(),
                what: format!(
                    "architecture {:?} on {:?} does not match {:?} on {:?}",
                    p.meta.arch_id, p.meta.gpu.catalog_id, merged.meta.arch_id, merged.meta.gpu.catalog_id
                ),
            });
        }
        let offset_ms = match (start_ms, &p.job) {
            (Some(s), Some(j)) => j.start_unix_ms - s,
            _ => 0,
        };
        let host = p.job.as_ref().and_then(|j| j.host.clone()).unwrap_or_else(|| name.clone());
        for mut d in devices {
            let host = d.host.get_or_insert_with(|| host.clone()).clone();
            let key = d.gpu.uuid.clone().unwrap_or_else(|| match &p.job {
                Some(j) => format!("{} of node {} ({host})", d.index, j.node),
                None => format!("{} on {host}", d.index),
            });
            if let Some((_, other)) = seen.iter().find(|(g, _)| *g == key) {
                return Err(MergeError::SameGpu { gpu: key, part: name.clone(), other: other.clone() });
            }
            seen.push((key, name.clone()));
            d.samples.t_ms.iter_mut().for_each(|t| *t += offset_ms);
            merged.devices.push(d);
        }
        if k == 0 {
            merged.epochs = epochs;
            for e in &mut merged.epochs {
                e.start_t_ms += offset_ms;
                e.end_t_ms += offset_ms;
            }
        }
        energy_j += p.summary.energy_j;
        duration_s = duration_s.max(offset_ms as f64 / 1000.0 + p.summary.duration_s);
        if p.status != ProfileStatus::Complete {
            merged.status = p.status;
        }
        if p.calibration.energy_source != merged.calibration.energy_source {
            merged.calibration.energy_source = EnergySource::Integrated;
        }
    }
    for (i, d) in merged.devices.iter_mut().enumerate() {
        d.index = i as u32;
    }
    merged.meta.n_gpus = merged.devices.len() as u32;
    merged.summary = if all_traced {
        Summary::of(&merged.devices, &merged.epochs, merged.meta.completed_epochs)
    } else {
        Summary {
            energy_j,
            duration_s,
            mean_power_w: if duration_s > 0.0 { energy_j / duration_s } else { 0.0 },
            ..merged.summary
        }
    };
    let note = match &merged.job {
        Some(j) => {
            let launcher = format!("{:?}", j.launcher).to_lowercase();
            format!("merged from {} nodes of {launcher} job {}", parts.len(), j.id)
        }
        None => format!("merged from {} profiles", parts.len()),
    };
    let detail = merged.provenance.detail.take();
    merged.provenance.detail = Some(detail.map_or(note.clone(), |d| format!("{note}; {d}")));
    merged.id = match merged.job.take() {
        Some(j) => merged.id.trim_end_matches(&format!(".node{}", j.node)).to_string(),
        None => format!("{}-merged", merged.id),
    };
    Ok(merged)
}
