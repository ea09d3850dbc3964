"""Record a training run's GPU power into a WattCast calibration profile, from Python.

One line in a training script::

    with wattcast.Monitor("run.json", arch="tv-resnet50", batch=256, samples=1_281_167, epochs=90) as mon:
        for epoch in range(90):
            train_one_epoch()
            mon.epoch_end()

or one callback (``wattcast.huggingface``, ``wattcast.lightning``, ``wattcast.keras``). The recorder is the
``wattcast record`` CLI's own, in Rust: it samples NVML on a thread of its own that never takes the GIL.
Under torchrun or SLURM only local rank 0 of each node records (the GPUs the node's ranks see); the other
ranks' monitors do nothing. A job of several nodes writes ``<name>.node<k>.json`` per node; join them with
``wattcast merge``.

``wattcast.estimate(link)`` returns the same report as ``wattcast estimate --json``.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import weakref
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Optional, Sequence, Union

from . import _native
from ._native import NoDriver

__all__ = ["Monitor", "Status", "Projection", "NoDriver", "estimate", "__version__"]
__version__: str = _native.__version__

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Projection:
    """STEP's projection of the whole run's energy, with its interval (joules). ``early``: it rests on a short
    stretch of steady power (the first tenth of a run), and its interval is the wider band measured on held-out
    runs (the energy still to come was 0–22 % above such projections for 80 % of them). ``basis`` says which
    stretch: ``"settled"`` (a tenth of the run or more), ``"early"``, or ``"latest"`` (power changed within the
    last minute; the last 20 s held)."""

    energy_j: float
    low_j: float
    high_j: float
    epochs: int
    early: bool
    basis: str

    @property
    def energy_kwh(self) -> float:
        return self.energy_j / 3.6e6


@dataclass(frozen=True)
class Status:
    """The live figures of a recording."""

    elapsed_s: float
    energy_j: float
    mean_power_w: float
    epochs: int
    stable_since_s: Optional[float]
    projection: Optional[Projection]
    waiting_for: Optional[str]

    @property
    def energy_kwh(self) -> float:
        return self.energy_j / 3.6e6


_running: "weakref.WeakSet[Monitor]" = weakref.WeakSet()


def _gpus(gpus: Union[None, str, int, Iterable[int]]) -> Optional[str]:
    if gpus is None or isinstance(gpus, str):
        return gpus
    if isinstance(gpus, int):
        return str(gpus)
    return ",".join(str(int(g)) for g in gpus)


class Monitor:
    """Records this node's GPUs into a profile while a block (or ``start()`` … ``stop()``) runs.

    ``output`` is the profile (``.json`` or ``.json.gz``), checkpointed every ``checkpoint_s`` seconds
    and written atomically at the end. Run metadata (``arch``, ``batch`` (per step, over all the run's GPUs:
    per-GPU batch × GPUs), ``samples``, ``epochs``,
    ``input``, ``seq``, ``precision``, ``framework``, ``mode`` (``"pretrain"``, ``"finetune"``,
    ``"lora"``), ``lora_rank``, or a ``meta`` JSON file) is checked as the CLI
    checks it: a bad value raises ``ValueError`` naming the field. ``gpus`` picks GPUs (``"0,2"``,
    ``[0, 2]``, ``"all"``; default: those the node's ranks see); ``replay`` replays recorded traces
    instead of reading NVML (tests, demos), ``speed`` times faster. Without an NVIDIA driver (and no
    ``replay``) it raises ``NoDriver``.

    An exception inside the ``with`` block, KeyboardInterrupt included, writes the profile as
    ``interrupted`` and propagates.
    """

    def __init__(
        self,
        output: PathLike,
        *,
        arch: Optional[str] = None,
        batch: Optional[int] = None,
        samples: Optional[int] = None,
        epochs: Optional[int] = None,
        input: Optional[int] = None,
        seq: Optional[int] = None,
        precision: Optional[str] = None,
        framework: Optional[str] = None,
        mode: Optional[str] = None,
        lora_rank: Optional[int] = None,
        meta: Optional[PathLike] = None,
        gpus: Union[None, str, int, Iterable[int]] = None,
        interval_ms: int = 100,
        idle_s: float = 0.0,
        checkpoint_s: float = 30.0,
        status_s: float = 0.0,
        replay: Optional[Sequence[PathLike]] = None,
        speed: float = 1.0,
    ) -> None:
        self._rec = _native.Recorder(
            os.fspath(output),
            meta=None if meta is None else os.fspath(meta),
            arch=arch,
            batch=batch,
            samples=samples,
            epochs=epochs,
            input=input,
            seq=seq,
            precision=precision,
            framework=framework,
            mode=mode,
            lora_rank=lora_rank,
            gpus=_gpus(gpus),
            interval_ms=interval_ms,
            idle_s=idle_s,
            checkpoint_s=checkpoint_s,
            status_s=status_s,
            replay=[os.fspath(p) for p in (replay or [])],
            speed=speed,
        )
        self._started = False
        self._stopped = False
        self.summary: Optional[Dict[str, Any]] = None
        if self._rec.note:
            # Why this rank does not record, or that a replay skips the idle calibration (as the CLI says).
            print(f"[wattcast] {self._rec.note}", file=sys.stderr)

    @property
    def recording(self) -> bool:
        """False on a node's other local ranks: their monitor does nothing."""
        return self._rec.recording

    @property
    def output(self) -> str:
        """The profile's path (``run.node1.json`` on node 1 of a job of several nodes)."""
        return os.fspath(self._rec.output)

    def start(self) -> "Monitor":
        """Starts sampling; returns the monitor."""
        self._rec.start()
        self._started = True
        _running.add(self)
        return self

    def epoch_end(self) -> None:
        """Marks the end of an epoch (or a logging window of step-based training) now."""
        self._rec.epoch_end()

    def status(self) -> Optional[Status]:
        """Energy so far, mean power and STEP's live projection with its interval (None if not recording)."""
        d = self._rec.status()
        if d is None:
            return None
        p = d.pop("projection")
        return Status(projection=None if p is None else Projection(**p), **d)

    def stop(self, interrupted: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """Stops and writes the profile (``interrupted`` with this reason, if given). Returns its summary."""
        if self._stopped:
            return self.summary
        self._stopped = True
        _running.discard(self)
        self.summary = self._rec.stop(interrupted)
        if self.summary is not None:
            s = self.summary
            print(
                f"[wattcast] wrote {s['output']} ({s['status']}): {s['gpus']} GPU(s), "
                f"{s['energy_j'] / 1000:.1f} kJ over {s['duration_s']:.0f} s, {s['epochs']} epochs marked",
                file=sys.stderr,
            )
        return self.summary

    def __enter__(self) -> "Monitor":
        return self.start()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc_type is None:
            self.stop()
        else:
            self.stop(interrupted=f"{exc_type.__name__} raised" + (f": {exc}" if str(exc) else ""))
        return False


@atexit.register
def _stop_at_exit() -> None:
    # A script that ends (or dies) without stop(): keep what was recorded.
    for m in list(_running):
        m.stop(interrupted="the process exited before stop()")


def _forget_in_child() -> None:
    # A forked child (a data-loader worker) has no sampling thread: its exit must not write over the profile
    # of the process that records.
    _running.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def estimate(query_or_link: str) -> Dict[str, Any]:
    """The report ``wattcast estimate --json`` prints, as Python objects. Raises ValueError naming each bad key."""
    return json.loads(_native.estimate_json(query_or_link))
