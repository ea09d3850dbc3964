"""A real `torchrun --nproc-per-node 2` job (CPU, gloo): both ranks open a Monitor, one records."""

import json
import subprocess
import sys
from pathlib import Path


def test_a_two_rank_torchrun_job_writes_one_profile_counting_each_gpu_once(tmp_path, trace):
    out = tmp_path / "run.json"
    script = Path(__file__).with_name("ddp_train.py")
    r = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
         str(script), str(out), trace],
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "rank 0: recording=True" in r.stdout and "rank 1: recording=False" in r.stdout, r.stdout
    assert "local rank 1 of node 0" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"], "one profile, one node"
    p = json.loads(out.read_text())
    assert p["status"] == "complete" and len(p["epochs"]) == 2
    assert p["meta"]["n_gpus"] == len(p["devices"]) == 1, "the replayed GPU once, not once per rank"
    assert p["job"]["launcher"] == "torchrun" and p["job"]["node"] == 0
