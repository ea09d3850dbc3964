"""What the framework callbacks share: the profile's precision name, and starting the monitor."""

from __future__ import annotations

import warnings
from typing import Any, Dict, Optional


def precision(name: Optional[str]) -> Optional[str]:
    """``bf16-mixed``, ``mixed_bfloat16``, ``16-mixed``, ``float32``, ``transformer-engine``, … → ``bf16`` /
    ``fp16`` / ``fp32`` / ``fp8`` (Lightning's Transformer Engine plugins run the matrix products in FP8)."""
    if not name:
        return None
    n = str(name).lower()
    if "fp8" in n or "float8" in n or "transformer-engine" in n:
        return "fp8"
    if "bf16" in n or "bfloat16" in n:
        return "bf16"
    if "16" in n:
        return "fp16"
    if "32" in n:
        return "fp32"
    return None


def start(output: str, found: Dict[str, Any], given: Dict[str, Any]) -> "Optional[Any]":
    """A started Monitor with what the trainer told (``found``) overridden by what the user gave.

    A training run must not die because it cannot be measured: without an NVIDIA driver the callback warns
    and records nothing (the context manager raises ``NoDriver`` instead, as it was asked for explicitly).
    Bad values the user gave still raise ``ValueError``.
    """
    from . import Monitor, NoDriver

    opts = {k: v for k, v in found.items() if v is not None}
    opts.update(given)
    try:
        return Monitor(output, **opts).start()
    except NoDriver as e:
        warnings.warn(f"wattcast: not recording this run: {e}", RuntimeWarning, stacklevel=3)
        return None


class Recording:
    """What every callback keeps and does: where the profile goes, the user's ``Monitor`` keywords, the monitor
    once training began (None without a driver, or before), an epoch mark, the end."""

    output: str
    options: Dict[str, Any]
    monitor: "Optional[Any]"

    def _setup(self, output: str, options: Dict[str, Any]) -> None:
        self.output, self.options, self.monitor = output, options, None

    def _begin(self, found: Dict[str, Any]) -> None:
        self.monitor = start(self.output, found, self.options)

    def _mark(self) -> None:
        if self.monitor is not None:
            self.monitor.epoch_end()

    def _end(self, interrupted: Optional[str] = None) -> None:
        if self.monitor is not None:
            self.monitor.stop(interrupted)
