"""The live projection on a GPU (a maintainer check): `wattcast.Monitor` around a long synthetic training run,
`mon.status()` after every epoch, each status written as one JSON line, and the final energy at the end.

Trains a Llama-shaped model (`llm_train.build`, random weights and tokens) for `--epochs` epochs of `--steps`
steps. Afterwards, compare each status's projection (and its interval) with the profile's total energy:

  python3 live_check.py out/ --model llama-3.2-1b --batch 8 --epochs 50 --steps 20
"""
import argparse, json, os, sys, time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llm_train  # noqa: E402
import wattcast  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--model", default="llama-3.2-1b")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=2048)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--smoke", metavar="PROFILE", help="no GPU: a tiny model on the CPU, power replayed from PROFILE")
    a = p.parse_args()
    dev = torch.device("cpu" if a.smoke else "cuda")
    sync = (lambda: None) if a.smoke else torch.cuda.synchronize
    os.makedirs(a.out, exist_ok=True)
    log = open(os.path.join(a.out, "status.jsonl"), "w")
    tokens = a.steps * a.batch * a.seq
    # The model is built before recording starts, as a training script does before its loop.
    model = llm_train.build(a.model, "pretrain", 16, dev)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(0, model.config.vocab_size, (a.batch, a.seq), device=dev)
    t0 = time.time()
    arch = "llama-3.2-1b" if a.model == "tiny" else a.model  # the smoke test's model is not in the catalogue
    with wattcast.Monitor(os.path.join(a.out, "live.json.gz"), arch=arch, batch=a.batch, samples=tokens,
                          epochs=a.epochs, seq=a.seq, precision="bf16", interval_ms=100,
                          replay=[a.smoke] if a.smoke else None) as mon:
        for e in range(1, a.epochs + 1):
            for _ in range(a.steps):
                llm_train.train_step(model, opt, ids, dev)
            sync()
            mon.epoch_end()
            st = mon.status()
            pr = st.projection
            row = {"epoch": e, "t_s": round(time.time() - t0, 2), "energy_j": st.energy_j,
                   "mean_power_w": st.mean_power_w, "stable_since_s": st.stable_since_s,
                   "waiting_for": st.waiting_for,
                   "projection": None if pr is None else {"energy_j": pr.energy_j, "low_j": pr.low_j,
                                                          "high_j": pr.high_j, "basis": pr.basis}}
            log.write(json.dumps(row) + "\n")
            log.flush()
            print(f"Epoch {e}/{a.epochs}", json.dumps(row), flush=True)
    print(json.dumps({"summary": mon.summary}, default=str), flush=True)


if __name__ == "__main__":
    main()
