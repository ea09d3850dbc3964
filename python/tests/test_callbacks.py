"""The three framework callbacks inside a real, tiny training loop of each framework (CPU): Keras 3 on
JAX, Lightning on torch, and the Hugging Face Trainer on torch. The GPU power comes from the replayed trace."""

import gzip
import json

import pytest


def load(path):
    with open(path) as f:
        return json.load(f)


def test_keras_callback_marks_each_epoch_and_writes_the_profile(tmp_path, trace):
    import keras
    import numpy as np

    from wattcast.keras import WattcastCallback

    x = np.random.default_rng(0).normal(size=(256, 8)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    cb = WattcastCallback(str(tmp_path / "keras.json"), batch=32, replay=[trace], speed=200, interval_ms=20)
    model.fit(x, y, batch_size=32, epochs=3, verbose=0, callbacks=[cb])
    p = load(tmp_path / "keras.json")
    assert p["status"] == "complete"
    assert len(p["epochs"]) == 3
    assert p["meta"]["planned_epochs"] == 3 and p["meta"]["batch"] == 32
    assert p["meta"]["precision"] == "fp32"
    assert p["meta"]["framework"].startswith("keras 3") and "jax" in p["meta"]["framework"]


def test_lightning_callback_takes_epochs_batch_and_precision_from_the_trainer(tmp_path, trace):
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from wattcast.lightning import WattcastCallback

    class Tiny(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Linear(8, 1)

        def training_step(self, batch, _):
            x, y = batch
            return torch.nn.functional.mse_loss(self.net(x).squeeze(-1), y)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    data = TensorDataset(torch.randn(256, 8), torch.randn(256))
    cb = WattcastCallback(str(tmp_path / "pl.json"), replay=[trace], speed=200, interval_ms=20)
    trainer = pl.Trainer(max_epochs=2, accelerator="cpu", devices=1, callbacks=[cb], logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(Tiny(), DataLoader(data, batch_size=16))
    p = load(tmp_path / "pl.json")
    assert p["status"] == "complete"
    assert len(p["epochs"]) == 2
    assert (p["meta"]["planned_epochs"], p["meta"]["batch"], p["meta"]["precision"]) == (2, 16, "fp32")


def test_lightning_callback_writes_interrupted_when_training_raises(tmp_path, trace):
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from wattcast.lightning import WattcastCallback

    class Exploding(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Linear(8, 1)

        def training_step(self, batch, i):
            if self.current_epoch == 1:
                raise FloatingPointError("loss is nan")
            return self.net(batch[0]).mean()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    data = TensorDataset(torch.randn(64, 8), torch.randn(64))
    cb = WattcastCallback(str(tmp_path / "pl.json"), replay=[trace], speed=200, interval_ms=20)
    trainer = pl.Trainer(max_epochs=3, accelerator="cpu", callbacks=[cb], logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    with pytest.raises(FloatingPointError):
        trainer.fit(Exploding(), DataLoader(data, batch_size=16))
    p = load(tmp_path / "pl.json")
    assert p["status"] == "interrupted" and len(p["epochs"]) == 1
    assert "FloatingPointError" in p["provenance"]["detail"]


def _tiny_bert():
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32, num_labels=2)
    model = BertForSequenceClassification(config)
    g = torch.Generator().manual_seed(0)
    rows = [{"input_ids": torch.randint(0, 64, (12,), generator=g), "labels": int(i % 2)} for i in range(64)]
    return model, rows


@pytest.mark.parametrize("step_based", [False, True])
def test_hugging_face_callback_marks_epochs_or_logging_windows(tmp_path, trace, step_based):
    from transformers import Trainer, TrainingArguments

    from wattcast.huggingface import WattcastCallback

    model, rows = _tiny_bert()
    steps = {"max_steps": 12, "logging_steps": 4} if step_based else {"num_train_epochs": 2, "logging_steps": 100}
    args = TrainingArguments(output_dir=str(tmp_path / "hf"), per_device_train_batch_size=8, use_cpu=True,
                             report_to=[], save_strategy="no", disable_tqdm=True, **steps)
    cb = WattcastCallback(str(tmp_path / "hf.json"), replay=[trace], speed=200, interval_ms=20)
    Trainer(model=model, args=args, train_dataset=rows, callbacks=[cb]).train()
    p = load(tmp_path / "hf.json")
    assert p["status"] == "complete"
    assert p["meta"]["batch"] == 8 and p["meta"]["precision"] == "fp32"
    assert p["meta"]["framework"].startswith("transformers ")
    if step_based:
        # 12 steps logged every 4: three windows planned; the Trainer logs once more when training ends.
        assert p["meta"]["planned_epochs"] == 3
        assert len(p["epochs"]) >= 3
    else:
        assert p["meta"]["planned_epochs"] == 2 and len(p["epochs"]) == 2


def test_without_a_driver_a_callback_warns_and_training_goes_on(tmp_path):
    import keras
    import numpy as np

    from wattcast.keras import WattcastCallback

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(RuntimeWarning, match="not recording this run.*libnvidia-ml.so.1"):
        history = model.fit(np.ones((32, 4)), np.ones(32), epochs=2, verbose=0,
                            callbacks=[WattcastCallback(str(tmp_path / "none.json"))])
    assert len(history.history["loss"]) == 2
    assert not (tmp_path / "none.json").exists()


def test_a_bad_value_given_to_a_callback_still_raises(tmp_path, trace):
    import keras
    import numpy as np

    from wattcast.keras import WattcastCallback

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match='"resnet-9000"'):
        model.fit(np.ones((8, 4)), np.ones(8), epochs=1, verbose=0,
                  callbacks=[WattcastCallback(str(tmp_path / "x.json"), arch="resnet-9000", replay=[trace])])


def test_on_several_gpus_a_callback_records_the_steps_batch_over_all_of_them(tmp_path, trace):
    """A profile's batch is the step's over all the run's GPUs (as a share link's): each of the 4 processes
    loads 16 (Lightning) or 8 (Hugging Face) per step, so the run's batch is 64 or 32. The frameworks' own
    objects are stood in for: a 4-process run is not something a CPU test can launch."""
    from types import SimpleNamespace

    from wattcast.huggingface import WattcastCallback as HfCallback
    from wattcast.lightning import WattcastCallback as LightningCallback

    trainer = SimpleNamespace(max_epochs=1, world_size=4, precision="32-true",
                              train_dataloader=SimpleNamespace(batch_size=16))
    cb = LightningCallback(str(tmp_path / "pl.json"), replay=[trace], speed=200, interval_ms=20)
    cb.on_train_start(trainer, None)
    cb.on_train_epoch_end(trainer, None)
    cb.on_train_end(trainer, None)
    assert load(tmp_path / "pl.json")["meta"]["batch"] == 64

    args = SimpleNamespace(max_steps=-1, num_train_epochs=1, logging_steps=1, per_device_train_batch_size=8,
                           world_size=4, bf16=False, fp16=False)
    cb = HfCallback(str(tmp_path / "hf.json"), replay=[trace], speed=200, interval_ms=20)
    cb.on_train_begin(args, None, None)
    cb.on_epoch_end(args, None, None)
    cb.on_train_end(args, None, None)
    assert load(tmp_path / "hf.json")["meta"]["batch"] == 32


@pytest.mark.parametrize(
    "name, expected",
    [
        ("bf16-mixed", "bf16"),
        ("mixed_bfloat16", "bf16"),
        ("16-mixed", "fp16"),
        ("32-true", "fp32"),
        ("float32", "fp32"),
        ("transformer-engine", "fp8"),
        ("transformer-engine-float16", "fp8"),
        ("fp8", "fp8"),
        ("64-true", None),
        (None, None),
    ],
)
def test_framework_precision_names_map_to_the_profile_precision(name, expected):
    from wattcast._meta import precision

    assert precision(name) == expected
