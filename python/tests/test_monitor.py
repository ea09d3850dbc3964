"""wattcast.Monitor against the replayed trace: the context manager, epoch marks, the live status,
interruption paths, bad input, the launcher rule, and wattcast.estimate against the CLI."""

import gzip
import json
import os
import subprocess
import sys
import time

import pytest

import wattcast


def load(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)


def test_a_with_block_records_a_complete_profile_with_its_epochs(tmp_path, trace):
    out = tmp_path / "run.json"
    with wattcast.Monitor(out, arch="tv-resnet50", batch=64, samples=50_000, epochs=3,
                          replay=[trace], speed=400, interval_ms=20) as mon:
        for _ in range(3):
            time.sleep(0.3)
            mon.epoch_end()
    p = load(out)
    assert p["status"] == "complete"
    assert [e["index"] for e in p["epochs"]] == [0, 1, 2]
    assert p["meta"]["arch_id"] == "tv-resnet50" and p["meta"]["batch"] == 64
    assert p["meta"]["planned_epochs"] == 3 and p["meta"]["completed_epochs"] == 3
    # About 0.9 s × 400 of the trace replayed, at the trace's own power.
    assert 200 < p["summary"]["duration_s"] < 1000, p["summary"]
    assert 50 < p["summary"]["mean_power_w"] < 400
    assert mon.summary["status"] == "complete" and mon.summary["epochs"] == 3
    assert p["provenance"]["source"].startswith("recorded with wattcast")


def test_status_gives_energy_so_far_and_a_projection_with_its_interval(tmp_path, trace):
    mon = wattcast.Monitor(tmp_path / "run.json", epochs=12, replay=[trace], speed=300, interval_ms=20).start()
    try:
        first = mon.status()
        for _ in range(4):
            time.sleep(0.4)
            mon.epoch_end()
        st = mon.status()
    finally:
        mon.stop()
    assert first.projection is None
    assert st.energy_j > 0 and st.mean_power_w > 0 and st.epochs == 4
    assert st.projection is not None, st
    p = st.projection
    assert p.low_j <= p.energy_j <= p.high_j and p.epochs == 12
    assert p.basis in ("settled", "early", "latest") and p.early == (p.basis != "settled"), p
    if p.early:  # a short regime: a held-out band, ≥ 15 % above the projected rest
        assert p.high_j - p.energy_j > 0.15 * (p.energy_j - st.energy_j)
    # Twelve epochs project to about three times the four observed.
    assert 2.0 * st.energy_j < p.energy_j < 4.5 * st.energy_j, (st.energy_j, p)
    assert st.energy_kwh == pytest.approx(st.energy_j / 3.6e6)


def test_start_and_stop_for_code_that_cannot_use_with(tmp_path, trace):
    mon = wattcast.Monitor(tmp_path / "run.json.gz", replay=[trace], speed=100)
    assert mon.status() is None, "no status before start"
    mon.start()
    time.sleep(0.2)
    s = mon.stop()
    assert s["status"] == "complete" and s["samples"] > 5
    assert mon.stop() is s, "a second stop changes nothing"
    assert load(tmp_path / "run.json.gz")["status"] == "complete"
    with pytest.raises(RuntimeError, match="after stop"):
        mon.epoch_end()


@pytest.mark.parametrize("error", [RuntimeError("loss is nan"), KeyboardInterrupt()])
def test_an_exception_in_the_block_writes_interrupted_and_propagates(tmp_path, trace, error):
    out = tmp_path / "run.json"
    with pytest.raises(type(error)):
        with wattcast.Monitor(out, replay=[trace], speed=100) as mon:
            time.sleep(0.2)
            mon.epoch_end()
            raise error
    p = load(out)
    assert p["status"] == "interrupted"
    assert type(error).__name__ in p["provenance"]["detail"]
    assert len(p["epochs"]) == 1 and len(p["devices"][0]["samples"]["t_ms"]) > 5


def test_a_script_that_exits_without_stop_keeps_its_profile(tmp_path, trace):
    out = tmp_path / "run.json"
    code = (
        "import time, wattcast\n"
        f"m = wattcast.Monitor({str(out)!r}, replay=[{trace!r}], speed=100).start()\n"
        "time.sleep(0.3)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    p = load(out)
    assert p["status"] == "interrupted"
    assert "exited before stop()" in p["provenance"]["detail"]


def test_a_forked_child_that_exits_leaves_the_parents_recording_alone(tmp_path, trace):
    out = tmp_path / "run.json"
    with wattcast.Monitor(out, replay=[trace], speed=100, checkpoint_s=60) as mon:
        time.sleep(0.2)
        pid = os.fork()
        if pid == 0:  # the child runs the exit handlers a plain forked worker would run, then leaves
            wattcast._stop_at_exit()
            os._exit(0)
        os.waitpid(pid, 0)
        assert not out.exists(), "the child wrote the parent's profile"
        mon.epoch_end()
    p = load(out)
    assert p["status"] == "complete" and len(p["epochs"]) == 1


@pytest.mark.parametrize("kwargs, field, value", [
    ({"batch": 0}, "keyword argument batch", "0"),
    ({"arch": "resnet-9000"}, "keyword argument arch", "resnet-9000"),
    ({"precision": "fp12"}, "keyword argument precision", "fp12"),
    ({"mode": "qlora"}, "keyword argument mode", "qlora"),
    ({"mode": "pretrain", "lora_rank": 8}, "keyword argument lora_rank", "8"),
    ({"mode": "lora", "lora_rank": 0}, "keyword argument lora_rank", "0"),
    ({"interval_ms": 1}, "keyword argument interval_ms", "1"),
    ({"checkpoint_s": 0.1}, "keyword argument checkpoint_s", "0.1"),
    ({"gpus": "first"}, "keyword argument gpus", "first"),
    ({"replay": ["no/such/trace.csv"]}, "keyword argument replay", "no/such/trace.csv"),
])
def test_bad_values_raise_value_error_naming_the_field_and_value(tmp_path, trace, kwargs, field, value):
    kwargs = {"replay": [trace], **kwargs}
    with pytest.raises(ValueError) as e:
        wattcast.Monitor(tmp_path / "run.json", **kwargs)
    # Named as the Python keyword the user wrote, never as the CLI's flag.
    assert field in str(e.value) and f'"{value}"' in str(e.value), str(e.value)
    assert "--" not in str(e.value), str(e.value)
    assert not (tmp_path / "run.json").exists()


def test_a_replay_skips_the_idle_calibration_and_says_so(tmp_path, trace, capfd):
    mon = wattcast.Monitor(tmp_path / "run.json", replay=[trace], idle_s=5.0)
    assert "replaying: no idle calibration" in capfd.readouterr().err
    wattcast.Monitor(tmp_path / "quiet.json", replay=[trace])
    assert capfd.readouterr().err == "", "no idle calibration was asked for: nothing to say"
    assert mon.recording


def test_without_a_driver_no_driver_says_what_to_install(tmp_path):
    if os.path.exists("/dev/nvidiactl"):
        pytest.fail("this test expects a machine without an NVIDIA driver (CI has none)")
    with pytest.raises(wattcast.NoDriver) as e:
        wattcast.Monitor(tmp_path / "run.json")
    assert "libnvidia-ml.so.1" in str(e.value) and "Install the NVIDIA driver" in str(e.value)
    assert isinstance(e.value, RuntimeError)


def test_only_local_rank_zero_records(tmp_path, trace, monkeypatch):
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with wattcast.Monitor(tmp_path / "run.json", replay=[trace], speed=100) as mon:
        mon.epoch_end()
        assert mon.status() is None
    assert not mon.recording and mon.summary is None
    assert list(tmp_path.iterdir()) == []


def test_a_node_of_a_slurm_job_writes_its_own_file(tmp_path, trace, monkeypatch):
    for k, v in {"SLURM_LOCALID": "0", "SLURM_NODEID": "1", "SLURM_NNODES": "2", "SLURM_JOB_ID": "77"}.items():
        monkeypatch.setenv(k, v)
    with wattcast.Monitor(tmp_path / "run.json", replay=[trace], speed=100) as mon:
        time.sleep(0.1)
    assert mon.output.endswith("run.node1.json")
    p = load(tmp_path / "run.node1.json")
    assert p["job"]["id"] == "77" and p["job"]["node"] == 1 and p["job"]["launcher"] == "slurm"


def test_estimate_returns_what_the_cli_prints():
    link = "arch=tv-resnet50&gpu=nvidia-a100-sxm4-80gb&epochs=90&region=FR"
    report = wattcast.estimate(link)
    assert report["rows"], report.keys()
    cli = os.environ.get("WATTCAST_BIN")
    assert cli, "run through scripts/test, which sets WATTCAST_BIN"
    out = subprocess.run([cli, "estimate", "--json", link], check=True, capture_output=True, text=True).stdout
    assert json.loads(out) == report


def test_a_bad_link_raises_value_error_naming_the_key():
    with pytest.raises(ValueError, match="epochs"):
        wattcast.estimate("arch=tv-resnet50&gpu=nvidia-a100-sxm4-80gb&epochs=-3")
