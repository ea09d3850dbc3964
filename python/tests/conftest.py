"""Shared fixtures: a real recorded trace to replay (no GPU needed) and the repository's paths."""

import os
from pathlib import Path

import pytest

# Keras runs on JAX in these tests (CPU): set before any test imports keras.
os.environ.setdefault("KERAS_BACKEND", "jax")

ROOT = Path(__file__).resolve().parents[2]
# A real 1 Hz trace (RTX 3090, ResNet-50, 4,293 s) from the SEAA 2023 runs in data/profiles.
TRACE = ROOT / "data/profiles/seaa2023/cloud/resnet50-20230308T131133.json.gz"

LAUNCHER_VARS = [
    "LOCAL_RANK", "RANK", "GROUP_RANK", "LOCAL_WORLD_SIZE", "WORLD_SIZE", "GROUP_WORLD_SIZE",
    "TORCHELASTIC_RUN_ID", "SLURM_LOCALID", "SLURM_NODEID", "SLURM_NNODES", "SLURM_JOB_ID",
    "SLURM_STEP_GPUS", "SLURM_JOB_GPUS", "SLURM_NTASKS_PER_NODE",
]


@pytest.fixture(autouse=True)
def no_launcher(monkeypatch):
    """Each test starts outside any launcher (a CI runner under SLURM must not change the results)."""
    for v in LAUNCHER_VARS:
        monkeypatch.delenv(v, raising=False)


@pytest.fixture
def trace():
    return str(TRACE)
