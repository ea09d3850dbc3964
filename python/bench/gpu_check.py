"""The Python package against a real NVIDIA driver: a check for a GPU machine, not a test (CI has no GPU).

    python3 python/bench/gpu_check.py OUT_DIR        # the wheel installed; torch with CUDA; about 2 minutes

What it does, each on the real NVML source (no replay):
1. ``Monitor`` around four 4-second "epochs" of bf16 matrix products: the profile is complete, has four epochs, and
   ``status()`` after two epochs gives a live projection that is compared with the energy finally measured;
2. an exception inside the ``with`` block: the profile is ``interrupted`` and names the exception;
3. the Lightning callback on the GPU (``bf16-mixed``): epochs and precision taken from the trainer;
4. the Hugging Face callback on the GPU (``bf16=True``), step-based: logging windows as epochs;
5. the sampler's cost with real NVML reads at 10 Hz while the script sleeps: CPU share of a core and RSS.

Prints one JSON line per check and writes them all to ``OUT_DIR/gpu_check.json``; exits non-zero if a check
failed (each check still runs).
"""

import gzip
import json
import os
import resource
import sys
import time
import traceback

import torch

import wattcast
from procstat import rss_mib


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)


def busy(seconds, a):
    t = time.perf_counter()
    while time.perf_counter() - t < seconds:
        for _ in range(10):
            a @ a
        torch.cuda.synchronize()


def check_monitor(out):
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    busy(1.0, a)  # warm-up outside the recording
    path = os.path.join(out, "monitor.json")
    status = None
    with wattcast.Monitor(path, epochs=4, samples=4, batch=1, precision="bf16", interval_ms=100, idle_s=3) as mon:
        for e in range(4):
            busy(4.0, a)
            mon.epoch_end()
            if e == 1:
                status = mon.status()
    p = load(path)
    energy_j = mon.summary["energy_j"]
    proj = status.projection if status else None
    return {
        "ok": p["status"] == "complete" and len(p["epochs"]) == 4 and energy_j > 0,
        "status": p["status"],
        "epochs": len(p["epochs"]),
        "gpu": p["meta"].get("gpu"),
        "capabilities": p.get("calibration", {}).get("capabilities"),
        "summary": mon.summary,
        "status_after_2_epochs": None if status is None else {
            "elapsed_s": status.elapsed_s, "energy_j": status.energy_j, "mean_power_w": status.mean_power_w,
            "projection": None if proj is None else {
                "energy_j": proj.energy_j, "low_j": proj.low_j, "high_j": proj.high_j, "early": proj.early},
        },
        "projection_error_pct": None if proj is None else (proj.energy_j - energy_j) / energy_j * 100,
    }


def check_interrupted(out):
    a = torch.randn(4096, 4096, device="cuda", dtype=torch.bfloat16)
    path = os.path.join(out, "interrupted.json")
    try:
        with wattcast.Monitor(path, interval_ms=100, idle_s=0) as mon:
            busy(2.0, a)
            mon.epoch_end()
            raise FloatingPointError("loss is nan")
    except FloatingPointError:
        pass
    p = load(path)
    detail = p.get("provenance", {}).get("detail", "")
    return {"ok": p["status"] == "interrupted" and "FloatingPointError" in detail and len(p["epochs"]) == 1,
            "status": p["status"], "detail": detail, "epochs": len(p["epochs"])}


def check_lightning(out):
    import lightning.pytorch as pl
    from torch.utils.data import DataLoader, TensorDataset

    from wattcast.lightning import WattcastCallback

    class Net(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(
                torch.nn.Conv2d(3, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(64, 64, 3, padding=1),
                torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(64, 10))

        def training_step(self, batch, _):
            x, y = batch
            return torch.nn.functional.cross_entropy(self.net(x), y)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    data = TensorDataset(torch.randn(2048, 3, 64, 64), torch.randint(0, 10, (2048,)))
    path = os.path.join(out, "lightning.json")
    cb = WattcastCallback(path, interval_ms=100, idle_s=0)
    trainer = pl.Trainer(max_epochs=3, accelerator="gpu", devices=1, precision="bf16-mixed", callbacks=[cb],
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False)
    trainer.fit(Net(), DataLoader(data, batch_size=64))
    p = load(path)
    m = p["meta"]
    return {"ok": p["status"] == "complete" and len(p["epochs"]) == 3 and m.get("precision") == "bf16"
            and m.get("batch") == 64 and m.get("planned_epochs") == 3,
            "status": p["status"], "epochs": len(p["epochs"]),
            "meta": {k: m.get(k) for k in ("batch", "planned_epochs", "precision", "framework")}}


def check_huggingface(out):
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    from wattcast.huggingface import WattcastCallback

    config = BertConfig(vocab_size=1000, hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                        intermediate_size=1024, max_position_embeddings=128, num_labels=2)
    g = torch.Generator().manual_seed(0)
    rows = [{"input_ids": torch.randint(0, 1000, (128,), generator=g), "labels": int(i % 2)} for i in range(4096)]
    path = os.path.join(out, "huggingface.json")
    args = TrainingArguments(output_dir=os.path.join(out, "hf-tmp"), per_device_train_batch_size=32, bf16=True,
                             max_steps=120, logging_steps=40, report_to=[], save_strategy="no", disable_tqdm=True)
    cb = WattcastCallback(path, interval_ms=100, idle_s=0)
    Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=rows, callbacks=[cb]).train()
    p = load(path)
    m = p["meta"]
    return {"ok": p["status"] == "complete" and m.get("precision") == "bf16" and m.get("planned_epochs") == 3
            and len(p["epochs"]) >= 3,
            "status": p["status"], "epochs": len(p["epochs"]),
            "meta": {k: m.get(k) for k in ("batch", "planned_epochs", "precision", "framework")}}


def check_sampler_cost(out):
    rss0 = rss_mib()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    with wattcast.Monitor(os.path.join(out, "idle.json"), interval_ms=100, idle_s=0, checkpoint_s=10) as mon:
        time.sleep(20)
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    share = cpu_s / wall * 100
    return {"ok": mon.summary["samples"] > 150, "wall_s": wall, "samples": mon.summary["samples"], "cpu_s": cpu_s,
            "cpu_pct_of_core": share, "rss_mib_before": rss0, "rss_mib_after": rss_mib()}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "gpu-check"
    os.makedirs(out, exist_ok=True)
    results = {"wattcast": wattcast.__version__, "torch": torch.__version__,
               "device": torch.cuda.get_device_name(0)}
    failed = 0
    for name, check in [("monitor", check_monitor), ("interrupted", check_interrupted),
                        ("sampler_cost", check_sampler_cost), ("lightning", check_lightning),
                        ("huggingface", check_huggingface)]:
        t = time.perf_counter()
        try:
            r = check(out)
        except Exception:  # a check that breaks is reported, and the others still run
            r = {"ok": False, "error": traceback.format_exc()}
        r["seconds"] = round(time.perf_counter() - t, 1)
        failed += not r["ok"]
        results[name] = r
        print(json.dumps({name: r}, default=str), flush=True)
        with open(os.path.join(out, "gpu_check.json"), "w") as f:
            json.dump(results, f, indent=1, default=str)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
