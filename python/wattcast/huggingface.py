"""Hugging Face Transformers: ``Trainer(..., callbacks=[wattcast.huggingface.WattcastCallback("run.json")])``.

Starts recording when training begins, marks each epoch (for step-based training, ``max_steps`` set, each
logging window instead), and writes the profile when training ends. Batch size, epochs (or windows) and
precision come from the ``TrainingArguments``; other ``Monitor`` arguments pass through.
"""

from __future__ import annotations

import math
from typing import Any

from transformers import TrainerCallback

from ._meta import precision as _precision
from ._meta import Recording


class WattcastCallback(Recording, TrainerCallback):
    """Records the run with a :class:`wattcast.Monitor`; keyword arguments go to it (and win over what the
    trainer says). Without an NVIDIA driver it warns and training goes on unrecorded."""

    def __init__(self, output: str, **monitor: Any) -> None:
        self._setup(output, monitor)
        self._windows = False

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        import transformers

        self._windows = getattr(args, "max_steps", -1) > 0
        if self._windows:
            every = max(1, int(getattr(args, "logging_steps", 1) or 1))
            planned = max(1, args.max_steps // every)
        else:
            planned = max(1, math.ceil(float(args.num_train_epochs)))
        prec = "bf16" if getattr(args, "bf16", False) else "fp16" if getattr(args, "fp16", False) else "fp32"
        found = {
            # A profile's batch is the step's over all the run's GPUs.
            "batch": int(args.per_device_train_batch_size) * int(getattr(args, "world_size", 1) or 1),
            "epochs": planned,
            "precision": _precision(prec),
            "framework": f"transformers {transformers.__version__}",
        }
        self._begin(found)

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not self._windows:
            self._mark()

    def on_log(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._windows:
            self._mark()

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._end()
