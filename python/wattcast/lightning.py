"""Lightning: ``Trainer(callbacks=[wattcast.lightning.WattcastCallback("run.json")])``.

Starts recording when training starts, marks each training epoch, and writes the profile when training
ends; an exception in training writes it as ``interrupted``. Epochs, batch size (from the train dataloader)
and precision come from the trainer; other ``Monitor`` arguments pass through. Works with ``lightning`` and
``pytorch_lightning``.
"""

from __future__ import annotations

from typing import Any

try:
    from lightning.pytorch import Callback
except ImportError:  # the older package name
    from pytorch_lightning import Callback  # type: ignore[no-redef]

from ._meta import precision as _precision
from ._meta import Recording


class WattcastCallback(Recording, Callback):
    """Records the run with a :class:`wattcast.Monitor`; keyword arguments go to it (and win over what the
    trainer says). Without an NVIDIA driver it warns and training goes on unrecorded."""

    def __init__(self, output: str, **monitor: Any) -> None:
        super().__init__()
        self._setup(output, monitor)

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        import torch

        max_epochs = getattr(trainer, "max_epochs", None)
        batch = getattr(getattr(trainer, "train_dataloader", None), "batch_size", None)
        # A profile's batch is the step's over all the run's GPUs: each process loads its own.
        world = int(getattr(trainer, "world_size", 1) or 1)
        found = {
            "precision": _precision(getattr(trainer, "precision", None)),
            "epochs": int(max_epochs) if max_epochs and max_epochs > 0 else None,
            "batch": int(batch) * world if batch else None,
            "framework": f"lightning / pytorch {torch.__version__}",
        }
        self._begin(found)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self._mark()

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._end()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._end(interrupted=f"{type(exception).__name__} raised")
