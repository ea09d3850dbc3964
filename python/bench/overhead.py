"""What recording costs a training script (docs/performance.md): the wall-time overhead on a loop of ~10 ms
CPU steps, and the sampler's CPU time and memory at 10 Hz. Not a test: timings depend on the machine.

    target/pyenv/bin/python python/bench/overhead.py [TRACE]

The power source is a replayed trace (no GPU here); an NVML read costs more than a replayed one, so on a GPU
machine the sampler's CPU share is higher than measured here.
"""

import os
import resource
import statistics
import sys
import tempfile
import time

from procstat import rss_mib

RSS_BEFORE_IMPORT = rss_mib()

import wattcast  # noqa: E402

TRACE = sys.argv[1] if len(sys.argv) > 1 else "data/profiles/seaa2023/cloud/resnet50-20230308T131133.json.gz"


def step(n=60_000):
    # About 10 ms of pure-Python work on this machine: a training step's CPU side, GIL held.
    s = 0
    for i in range(n):
        s += i * i
    return s


def calibrate():
    t = time.perf_counter()
    for _ in range(20):
        step()
    per = (time.perf_counter() - t) / 20
    return int(60_000 * 0.010 / per)


def loop(n_iter, steps=300, monitor=False, tmp=None):
    t = time.perf_counter()
    if monitor:
        with wattcast.Monitor(os.path.join(tmp, "bench.json"), replay=[TRACE], interval_ms=100) as mon:
            for i in range(steps):
                step(n_iter)
                if i % 100 == 99:
                    mon.epoch_end()
    else:
        for i in range(steps):
            step(n_iter)
    return time.perf_counter() - t


def main():
    n = calibrate()
    with tempfile.TemporaryDirectory() as tmp:
        loop(n, 50, False), loop(n, 50, True, tmp)  # warm up
        base, rec = [], []
        for _ in range(15):  # interleaved, so drift hits both alike
            base.append(loop(n, 300, False))
            rec.append(loop(n, 300, True, tmp))
        # The fastest of each: the least disturbed by the rest of the machine.
        b, r = min(base), min(rec)
        print(f"step loop: 300 steps of {b / 300 * 1000:.2f} ms; fastest of 15: {b:.3f} s bare, {r:.3f} s recorded: "
              f"{(r - b) / b * 100:+.2f} % (medians {statistics.median(base):.3f} and {statistics.median(rec):.3f} s)")

        # What the script itself pays per call (the sampler runs on its own thread, without the GIL).
        with wattcast.Monitor(os.path.join(tmp, "calls.json"), replay=[TRACE], interval_ms=100) as mon:
            for name, call in [("epoch_end()", mon.epoch_end), ("status()", mon.status)]:
                k = 20_000 if name == "epoch_end()" else 2_000
                t = time.perf_counter()
                for _ in range(k):
                    call()
                print(f"{name}: {(time.perf_counter() - t) / k * 1e6:.1f} µs a call")

        # The sampler alone at 10 Hz while the main thread sleeps: its CPU time and the process's memory.
        rss0 = rss_mib()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        # The 1 Hz trace replayed 10x faster: 10 samples a second, as bench-record does for the CLI.
        with wattcast.Monitor(os.path.join(tmp, "idle.json"), replay=[TRACE], speed=10, interval_ms=100,
                              checkpoint_s=30) as mon:
            time.sleep(60)
        n_samples = mon.summary["samples"]
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        print(f"python before import wattcast: {RSS_BEFORE_IMPORT:.1f} MiB RSS")
        print(f"sampler at 10 Hz for {wall:.0f} s ({n_samples} samples, 2 checkpoints): {cpu:.3f} s CPU = {cpu / wall * 100:.3f} % of a core; "
              f"RSS {rss0:.1f} → {rss_mib():.1f} MiB (peak {cpu1.ru_maxrss / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
