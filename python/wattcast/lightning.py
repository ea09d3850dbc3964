"""Lightning: ``Trainer(callbacks=[wattcast.lightning.WattcastCallback("run.json")])``.

Starts recording when training starts, marks each training epoch, and writes the profile when training
ends; an exception in training writes it as ``interrupted``. Epochs, batch size (from the train dataloader)
and precision come from the trainer; other ``Monitor`` arguments pass through. Works with ``lightning`` and
``pytorch_lightning``.
"""

from __future__ import annotations

from typing import Any, Optional

try:
    from lightning.pytorch import Callback
except ImportError:  # the older package name
    from pytorch_lightning import Callback  # type: ignore[no-redef]

from . import Monitor
from ._meta import precision as _precision


class WattcastCallback(Callback):
    """Records the run with a :class:`wattcast.Monitor`; keyword arguments go to it."""

    def __init__(self, output: str, **monitor: Any) -> None:
        super().__init__()
        self.output = output
        self.options = monitor
        self.monitor: Optional[Monitor] = None

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        import torch

        opts: dict = {"precision": _precision(getattr(trainer, "precision", None))}
        if getattr(trainer, "max_epochs", None) and trainer.max_epochs > 0:
            opts["epochs"] = int(trainer.max_epochs)
        loader = getattr(trainer, "train_dataloader", None)
        batch = getattr(loader, "batch_size", None)
        if batch:
            opts["batch"] = int(batch)
        opts["framework"] = f"lightning / pytorch {torch.__version__}"
        opts.update(self.options)
        self.monitor = Monitor(self.output, **opts).start()

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.monitor is not None:
            self.monitor.epoch_end()

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        if self.monitor is not None:
            self.monitor.stop()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        if self.monitor is not None:
            self.monitor.stop(interrupted=f"{type(exception).__name__} raised")
