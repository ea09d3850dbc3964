"""Keras 3 (any backend): ``model.fit(..., callbacks=[wattcast.keras.WattcastCallback("run.json")])``.

Starts recording when ``fit`` begins, marks each epoch, and writes the profile when ``fit`` ends. Epochs
come from ``fit``, precision from the global dtype policy; pass ``batch=`` (the step's over all GPUs, as
``fit``'s ``batch_size`` is under a distribution strategy) and other ``Monitor`` arguments yourself (Keras does
not tell a callback the batch size).
"""

from __future__ import annotations

from typing import Any

import keras

from ._meta import precision as _precision
from ._meta import Recording


class WattcastCallback(Recording, keras.callbacks.Callback):
    """Records the run with a :class:`wattcast.Monitor`; keyword arguments go to it (and win over what the
    trainer says). Without an NVIDIA driver it warns and training goes on unrecorded."""

    def __init__(self, output: str, **monitor: Any) -> None:
        super().__init__()
        self._setup(output, monitor)

    def on_train_begin(self, logs: Any = None) -> None:
        params = getattr(self, "params", None) or {}
        found = {
            "precision": _precision(keras.mixed_precision.global_policy().name),
            "framework": f"keras {keras.__version__} ({keras.backend.backend()})",
            "epochs": int(params["epochs"]) if params.get("epochs") else None,
        }
        self._begin(found)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._mark()

    def on_train_end(self, logs: Any = None) -> None:
        self._end()
