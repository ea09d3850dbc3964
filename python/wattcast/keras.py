"""Keras 3 (any backend): ``model.fit(..., callbacks=[wattcast.keras.WattcastCallback("run.json")])``.

Starts recording when ``fit`` begins, marks each epoch, and writes the profile when ``fit`` ends. Epochs
come from ``fit``, precision from the global dtype policy; pass ``batch=`` and other ``Monitor`` arguments
yourself (Keras does not tell a callback the batch size).
"""

from __future__ import annotations

from typing import Any, Optional

import keras

from . import Monitor
from ._meta import precision as _precision
from ._meta import start as _start


class WattcastCallback(keras.callbacks.Callback):
    """Records the run with a :class:`wattcast.Monitor`; keyword arguments go to it (and win over what the
    trainer says). Without an NVIDIA driver it warns and training goes on unrecorded."""

    def __init__(self, output: str, **monitor: Any) -> None:
        super().__init__()
        self.output = output
        self.options = monitor
        self.monitor: Optional[Monitor] = None

    def on_train_begin(self, logs: Any = None) -> None:
        params = getattr(self, "params", None) or {}
        found = {
            "precision": _precision(keras.mixed_precision.global_policy().name),
            "framework": f"keras {keras.__version__} ({keras.backend.backend()})",
            "epochs": int(params["epochs"]) if params.get("epochs") else None,
        }
        self.monitor = _start(self.output, found, self.options)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if self.monitor is not None:
            self.monitor.epoch_end()

    def on_train_end(self, logs: Any = None) -> None:
        if self.monitor is not None:
            self.monitor.stop()
