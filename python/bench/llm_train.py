"""Synthetic language-model training on one GPU, for held-out checks of the LLM estimates (a maintainer tool).

Builds a Llama-shaped model from its published dimensions with random weights (nothing is downloaded), trains it
on random tokens for a fixed number of epochs of a fixed number of steps, prints "Epoch k/E" after each epoch (for
`wattcast record --epoch-regex 'Epoch \\d+/\\d+'`) and one final JSON line: tokens/s over the steady epochs (the
first is left out), peak memory (allocated and reserved), trainable parameters.

Modes, as people run them with PyTorch and Hugging Face defaults:
- `pretrain` / `finetune`: every weight trains; fp32 weights, bf16 autocast, AdamW (what `Trainer(bf16=True)` does);
- `lora`: weights loaded in bf16 and frozen, rank-r adapters (fp32) on the attention's query and value projections
  (PEFT's default targets for Llama), bf16 autocast.
`--checkpointing` turns on activation checkpointing (`gradient_checkpointing_enable`); `--tuned` compiles the
model and uses the fused AdamW.

  python3 llm_train.py --model llama-3.2-1b --mode pretrain --batch 8 --seq 2048 --epochs 6 --steps 8
"""
import argparse, json, math, sys, time

import torch

# Published dimensions (Hugging Face config.json of each model): layers, width, heads, KV heads, MLP width,
# vocabulary, tied embeddings.
MODELS = {
    "llama-3.2-1b": (16, 2048, 32, 8, 8192, 128256, True),
    "llama-3.2-3b": (28, 3072, 24, 8, 8192, 128256, True),
    "llama-3.1-8b": (32, 4096, 32, 8, 14336, 128256, False),
    "tiny": (2, 64, 4, 2, 128, 1000, True),
}


class LoRA(torch.nn.Module):
    """A frozen linear layer plus B·A·x·(alpha / r), B initialised to zero (Hu et al. 2021)."""

    def __init__(self, base, r, alpha=16):
        super().__init__()
        self.base = base
        self.a = torch.nn.Parameter(torch.empty(r, base.in_features, device=base.weight.device))
        self.b = torch.nn.Parameter(torch.zeros(base.out_features, r, device=base.weight.device))
        torch.nn.init.kaiming_uniform_(self.a, a=math.sqrt(5))
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.a.t().to(x.dtype)) @ self.b.t().to(x.dtype) * self.scale


def build(name, mode, rank, dev):
    from transformers import LlamaConfig, LlamaForCausalLM

    layers, d, heads, kv, ff, vocab, tied = MODELS[name]
    cfg = LlamaConfig(num_hidden_layers=layers, hidden_size=d, num_attention_heads=heads, num_key_value_heads=kv,
                      intermediate_size=ff, vocab_size=vocab, tie_word_embeddings=tied,
                      max_position_embeddings=131072, attn_implementation="sdpa")
    dtype = torch.bfloat16 if mode == "lora" else torch.float32
    with torch.device(dev):
        model = LlamaForCausalLM(cfg).to(dtype)
    if mode == "lora":
        model.requires_grad_(False)
        for layer in model.model.layers:
            layer.self_attn.q_proj = LoRA(layer.self_attn.q_proj, rank)
            layer.self_attn.v_proj = LoRA(layer.self_attn.v_proj, rank)
    return model


def train_step(model, opt, ids, dev):
    """One optimizer step on `ids` as its own labels, under bf16 autocast; returns the loss."""
    opt.zero_grad(set_to_none=True)
    with torch.autocast(dev.type, dtype=torch.bfloat16):
        loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    opt.step()
    return loss


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    p.add_argument("--mode", choices=["pretrain", "finetune", "lora"], default="pretrain")
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--seq", type=int, default=2048)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--steps", type=int, default=8, help="optimizer steps per epoch")
    p.add_argument("--checkpointing", action="store_true")
    p.add_argument("--tuned", action="store_true")
    p.add_argument("--cpu", action="store_true", help="smoke test without a GPU")
    a = p.parse_args()
    dev = torch.device("cpu" if a.cpu else "cuda")
    if not a.cpu:
        torch.backends.cuda.matmul.allow_tf32 = True
    t_build = time.perf_counter()
    model = build(a.model, a.mode, a.rank, dev)
    if a.checkpointing:
        model.gradient_checkpointing_enable()
        model.config.use_cache = False
        if a.mode == "lora":
            model.enable_input_require_grads()
    model.train()
    trainable = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=1e-4, fused=bool(a.tuned and not a.cpu))
    step_model = torch.compile(model) if a.tuned else model
    ids = torch.randint(0, model.config.vocab_size, (a.batch, a.seq), device=dev)
    sync = (lambda: None) if a.cpu else torch.cuda.synchronize
    build_s = time.perf_counter() - t_build
    epoch_s = []
    for e in range(1, a.epochs + 1):
        sync()
        t0 = time.perf_counter()
        for _ in range(a.steps):
            loss = train_step(step_model, opt, ids, dev)
        sync()
        epoch_s.append(time.perf_counter() - t0)
        print(f"Epoch {e}/{a.epochs} loss {loss.item():.4f} {a.steps * a.batch * a.seq / epoch_s[-1]:.0f} tokens/s",
              flush=True)
    steady = epoch_s[1:] or epoch_s
    mem = (lambda f: 0.0) if a.cpu else (lambda f: round(f() / 1e9, 2))
    print(json.dumps({
        "model": a.model, "mode": a.mode, "rank": a.rank if a.mode == "lora" else None, "batch": a.batch,
        "seq": a.seq, "checkpointing": a.checkpointing, "tuned": a.tuned,
        "tokens_per_epoch": a.steps * a.batch * a.seq, "epochs": a.epochs,
        "tokens_per_s": a.steps * a.batch * a.seq * len(steady) / sum(steady),
        "epoch_s": [round(s, 4) for s in epoch_s], "build_s": round(build_s, 2),
        "params": sum(q.numel() for q in model.parameters()), "trainable": sum(q.numel() for q in trainable),
        "max_allocated_gb": mem(torch.cuda.max_memory_allocated) if not a.cpu else 0.0,
        "max_reserved_gb": mem(torch.cuda.max_memory_reserved) if not a.cpu else 0.0,
        "gpu": "cpu" if a.cpu else torch.cuda.get_device_name(0), "torch": torch.__version__,
    }), flush=True)


if __name__ == "__main__":
    sys.exit(main())
