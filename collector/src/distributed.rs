//! Where this process sits in a distributed job, from the launcher's environment: under `torchrun`
//! (RANK, GROUP_RANK, LOCAL_RANK, LOCAL_WORLD_SIZE, TORCHELASTIC_RUN_ID) or SLURM (SLURM_LOCALID,
//! SLURM_NODEID, SLURM_NNODES, SLURM_JOB_ID, SLURM_STEP_GPUS / SLURM_JOB_GPUS). One rule for the CLI and the
//! Python package: only local rank 0 of each node records, it records the GPUs that the node's ranks
//! see, and a job of several nodes writes `<name>.node<k>.json` per node for `wattcast merge`.

use std::path::{Path, PathBuf};

use estimator::profile::{JobInfo, Launcher};

use crate::error::FlagError;

/// This process's place in a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The launcher, when one started this process.
    pub launcher: Option<Launcher>,
    /// Rank within the node.
    pub local_rank: u32,
    /// The node's index in the job.
    pub node: u32,
    /// Nodes in the job, when known.
    pub nodes: Option<u32>,
    /// Processes on this node, when known.
    pub local_world_size: Option<u32>,
    /// The job's id, when the launcher gives one.
    pub job_id: Option<String>,
    /// GPU indices the scheduler gave this node (SLURM_STEP_GPUS, SLURM_JOB_GPUS), when it says.
    pub node_gpus: Option<Vec<u32>>,
}

impl Placement {
    /// A process no launcher started.
    pub fn single() -> Placement {
        Placement {
            launcher: None,
            local_rank: 0,
            node: 0,
            nodes: None,
            local_world_size: None,
            job_id: None,
            node_gpus: None,
        }
    }

    /// Reads the launcher's variables through `env`; a variable that is set but not a number is an error
    /// naming it.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Placement, FlagError> {
        let num = |name: &'static str| -> Result<Option<u32>, FlagError> {
            match env(name) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) => v.trim().parse::<u32>().map(Some).map_err(|_| FlagError {
                    flag: name,
                    value: v.clone(),
                    reason: "expected a whole number ≥ 0 (set by torchrun or SLURM)".into(),
                }),
            }
        };
        let id = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if let Some(local_rank) = num("LOCAL_RANK")? {
            let local_world_size = num("LOCAL_WORLD_SIZE")?;
            let world = num("WORLD_SIZE")?;
            let nodes = match num("GROUP_WORLD_SIZE")? {
                Some(n) => Some(n),
                None => world.zip(local_world_size).filter(|(_, l)| *l > 0).map(|(w, l)| w.div_ceil(l)),
            };
            return Ok(Placement {
                launcher: Some(Launcher::Torchrun),
                local_rank,
                node: num("GROUP_RANK")?.or(num("NODE_RANK")?).unwrap_or(0),
                nodes,
                local_world_size,
                // Under srun + torchrun, SLURM's job id names the job on every node.
                job_id: id("SLURM_JOB_ID").or_else(|| id("TORCHELASTIC_RUN_ID")),
                node_gpus: None,
            });
        }
        if let Some(local_rank) = num("SLURM_LOCALID")? {
            let gpus = match id("SLURM_STEP_GPUS").or_else(|| id("SLURM_JOB_GPUS")) {
                None => None,
                Some(list) => Some(
                    list.split(',')
                        .map(|x| {
                            x.trim().parse::<u32>().map_err(|_| FlagError {
                                flag: "SLURM_STEP_GPUS",
                                value: list.clone(),
                                reason: "expected a comma-separated list of GPU indices".into(),
                            })
                        })
                        .collect::<Result<Vec<u32>, FlagError>>()?,
                ),
            };
            return Ok(Placement {
                launcher: Some(Launcher::Slurm),
                local_rank,
                node: num("SLURM_NODEID")?.unwrap_or(0),
                nodes: num("SLURM_NNODES")?.or(num("SLURM_JOB_NUM_NODES")?),
                local_world_size: num("SLURM_NTASKS_PER_NODE")?,
                job_id: id("SLURM_JOB_ID"),
                node_gpus: gpus,
            });
        }
        Ok(Placement::single())
    }

    /// Whether this process records (local rank 0 of its node); the others leave it to that one.
    pub fn records(&self) -> bool {
        self.local_rank == 0
    }

    /// Why this process does not record, for the message it prints.
    pub fn skip_reason(&self) -> String {
        format!(
            "local rank {} of node {}: local rank 0 records this node's GPUs; this process records nothing",
            self.local_rank, self.node
        )
    }

    /// Whether the job spans several nodes (each then writes its own file).
    pub fn multi_node(&self) -> bool {
        self.nodes.is_some_and(|n| n > 1) || self.node > 0
    }

    /// Where this node's profile goes: `run.json` → `run.node1.json` in a job of several nodes.
    pub fn output(&self, base: &Path) -> PathBuf {
        if !self.multi_node() {
            return base.to_path_buf();
        }
        let name = base.file_name().map_or_else(|| "profile".into(), |n| n.to_string_lossy().into_owned());
        let (stem, ext) = match name.strip_suffix(".json.gz") {
            Some(s) => (s.to_string(), ".json.gz"),
            None => match name.strip_suffix(".json") {
                Some(s) => (s.to_string(), ".json"),
                None => (name.clone(), ""),
            },
        };
        base.with_file_name(format!("{stem}.node{}{ext}", self.node))
    }

    /// The GPUs this node's ranks use: the scheduler's list for the node, else those `cuda_visible`
    /// names (numeric), else all; under torchrun, the first LOCAL_WORLD_SIZE of them (rank k uses `cuda:k`).
    /// `None` = every GPU on the host.
    pub fn gpus(&self, cuda_visible: Option<&str>) -> Option<Vec<u32>> {
        if let Some(g) = &self.node_gpus {
            return Some(g.clone());
        }
        let visible: Option<Vec<u32>> = cuda_visible
            .filter(|v| !v.trim().is_empty())
            .and_then(|v| v.split(',').map(|x| x.trim().parse::<u32>().ok()).collect());
        match (self.launcher, self.local_world_size) {
            (Some(Launcher::Torchrun), Some(k)) => {
                Some(visible.unwrap_or_else(|| (0..k).collect()).into_iter().take(k as usize).collect())
            }
            _ => visible,
        }
    }

    /// The job section of this node's profile (`None` outside a launcher).
    pub fn job(&self, start_unix_ms: u64, host: Option<String>) -> Option<JobInfo> {
        let launcher = self.launcher?;
        Some(JobInfo {
            launcher,
            // Without an id from the launcher the nodes cannot be matched by id: the start minute stands in.
            id: self.job_id.clone().unwrap_or_else(|| format!("unnamed-{}", start_unix_ms / 60_000)),
            node: self.node,
            nodes: self.nodes,
            start_unix_ms,
            host,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn placements_from_the_launchers_variables() {
        struct Case {
            vars: &'static [(&'static str, &'static str)],
            records: bool,
            node: u32,
            output: &'static str,
            gpus: Option<Vec<u32>>,
        }
        let cases = [
            Case { vars: &[], records: true, node: 0, output: "run.json", gpus: None },
            Case {
                vars: &[("LOCAL_RANK", "0"), ("GROUP_RANK", "0"), ("LOCAL_WORLD_SIZE", "2"), ("WORLD_SIZE", "2")],
                records: true,
                node: 0,
                output: "run.json",
                gpus: Some(vec![0, 1]),
            },
            Case {
                vars: &[("LOCAL_RANK", "1"), ("GROUP_RANK", "0"), ("LOCAL_WORLD_SIZE", "2"), ("WORLD_SIZE", "2")],
                records: false,
                node: 0,
                output: "run.json",
                gpus: Some(vec![0, 1]),
            },
            Case {
                vars: &[
                    ("LOCAL_RANK", "0"),
                    ("GROUP_RANK", "1"),
                    ("LOCAL_WORLD_SIZE", "4"),
                    ("WORLD_SIZE", "8"),
                    ("CUDA_VISIBLE_DEVICES", "2,3,4,5,6"),
                ],
                records: true,
                node: 1,
                output: "run.node1.json",
                gpus: Some(vec![2, 3, 4, 5]),
            },
            Case {
                vars: &[
                    ("SLURM_LOCALID", "0"),
                    ("SLURM_NODEID", "2"),
                    ("SLURM_NNODES", "4"),
                    ("SLURM_STEP_GPUS", "0,1"),
                ],
                records: true,
                node: 2,
                output: "run.node2.json",
                gpus: Some(vec![0, 1]),
            },
            Case {
                vars: &[
                    ("SLURM_LOCALID", "3"),
                    ("SLURM_NODEID", "0"),
                    ("SLURM_NNODES", "1"),
                    ("CUDA_VISIBLE_DEVICES", "3"),
                ],
                records: false,
                node: 0,
                output: "run.json",
                gpus: Some(vec![3]),
            },
        ];
        for c in cases {
            let p = Placement::from_env(env(c.vars)).unwrap();
            let cuda = c.vars.iter().find(|(k, _)| *k == "CUDA_VISIBLE_DEVICES").map(|(_, v)| *v);
            assert_eq!(p.records(), c.records, "{:?}", c.vars);
            assert_eq!(p.node, c.node, "{:?}", c.vars);
            assert_eq!(p.output(Path::new("out/run.json")), Path::new("out").join(c.output), "{:?}", c.vars);
            assert_eq!(p.gpus(cuda), c.gpus, "{:?}", c.vars);
        }
        let p =
            Placement::from_env(env(&[("SLURM_LOCALID", "0"), ("SLURM_NODEID", "1"), ("SLURM_NNODES", "2")])).unwrap();
        assert_eq!(p.output(Path::new("run.json.gz")), Path::new("run.node1.json.gz"));
    }

    #[test]
    fn a_variable_that_is_not_a_number_is_named() {
        let e = Placement::from_env(env(&[("LOCAL_RANK", "zero")])).unwrap_err().to_string();
        assert!(e.contains("LOCAL_RANK") && e.contains("\"zero\""), "{e}");
        let e = Placement::from_env(env(&[("SLURM_LOCALID", "0"), ("SLURM_STEP_GPUS", "0,x")])).unwrap_err();
        assert!(e.to_string().contains("SLURM_STEP_GPUS"), "{e}");
    }

    #[test]
    fn the_job_section_carries_the_launchers_id() {
        let p = Placement::from_env(env(&[("SLURM_LOCALID", "0"), ("SLURM_JOB_ID", "4242"), ("SLURM_NNODES", "2")]))
            .unwrap();
        let j = p.job(1_700_000_000_000, Some("n1".into())).unwrap();
        assert_eq!((j.id.as_str(), j.node, j.nodes, j.launcher), ("4242", 0, Some(2), Launcher::Slurm));
        assert!(Placement::single().job(0, None).is_none());
    }
}
