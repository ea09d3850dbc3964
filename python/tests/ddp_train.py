"""A 2-rank DDP training script (CPU, gloo) recording with one `with` line, for test_torchrun.py:
python -m torch.distributed.run --nproc-per-node 2 ddp_train.py OUTPUT TRACE"""

import sys
import time

import torch
import torch.distributed as dist

import wattcast

out, trace = sys.argv[1], sys.argv[2]
dist.init_process_group("gloo")
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
with wattcast.Monitor(out, epochs=2, replay=[trace], speed=200, interval_ms=20) as mon:
    print(f"rank {dist.get_rank()}: recording={mon.recording}", flush=True)
    for epoch in range(2):
        for _ in range(20):
            opt.zero_grad()
            model(torch.randn(16, 8)).pow(2).mean().backward()
            opt.step()
        time.sleep(0.2)
        mon.epoch_end()
dist.barrier()
dist.destroy_process_group()
