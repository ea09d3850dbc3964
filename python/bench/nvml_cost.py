"""What reading NVML costs on a GPU machine, call by call, and what the recorder's sampler costs the process
that runs it (docs/performance.md). Not a test: it needs an NVIDIA driver, and timings depend on the machine.

    python3 python/bench/nvml_cost.py calls              # CPU time of each NVML call the recorder makes
    python3 python/bench/nvml_cost.py sampler [SECONDS]  # a Monitor at 10 Hz while the script sleeps

``calls`` loads libnvidia-ml.so.1 with ctypes (no wattcast involved) and times 2,000 calls of each kind on
GPU 0. ``sampler`` runs in a process with nothing else in it (no torch, no CUDA context) and reports the
process's CPU time and the sampler thread's own (``/proc/self/task/*/stat``, thread ``wattcast-sampler``).
"""

import ctypes
import json
import os
import sys
import tempfile
import time

from procstat import thread_cpu_s


def calls():
    lib = ctypes.CDLL("libnvidia-ml.so.1")
    assert lib.nvmlInit_v2() == 0, "nvmlInit failed"
    h = ctypes.c_void_p()
    assert lib.nvmlDeviceGetHandleByIndex_v2(0, ctypes.byref(h)) == 0

    class Util(ctypes.Structure):
        _fields_ = [("gpu", ctypes.c_uint), ("memory", ctypes.c_uint)]

    class Mem(ctypes.Structure):
        _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]

    class Field(ctypes.Structure):
        _fields_ = [("fieldId", ctypes.c_uint), ("scopeId", ctypes.c_uint), ("timestamp", ctypes.c_longlong),
                    ("latencyUsec", ctypes.c_longlong), ("valueType", ctypes.c_int), ("nvmlReturn", ctypes.c_int),
                    ("value", ctypes.c_ulonglong)]

    u, ull, h2, util, mem = ctypes.c_uint(), ctypes.c_ulonglong(), ctypes.c_void_p(), Util(), Mem()
    fields = (Field * 2)()
    fields[0].fieldId, fields[1].fieldId = 186, 83  # NVML_FI_DEV_POWER_INSTANT, NVML_FI_DEV_TOTAL_ENERGY_CONSUMPTION
    kinds = {
        "handle by index": lambda: lib.nvmlDeviceGetHandleByIndex_v2(0, ctypes.byref(h2)),
        "power usage": lambda: lib.nvmlDeviceGetPowerUsage(h, ctypes.byref(u)),
        "energy counter": lambda: lib.nvmlDeviceGetTotalEnergyConsumption(h, ctypes.byref(ull)),
        "utilisation": lambda: lib.nvmlDeviceGetUtilizationRates(h, ctypes.byref(util)),
        "memory info": lambda: lib.nvmlDeviceGetMemoryInfo(h, ctypes.byref(mem)),
        "temperature": lambda: lib.nvmlDeviceGetTemperature(h, 0, ctypes.byref(u)),
        "SM clock": lambda: lib.nvmlDeviceGetClockInfo(h, 1, ctypes.byref(u)),
        "field values (power + energy)": lambda: lib.nvmlDeviceGetFieldValues(h, 2, fields),
        "nothing (ctypes overhead)": lambda: lib.nvmlSystemGetCudaDriverVersion(ctypes.byref(ctypes.c_int())),
    }
    out = {}
    for name, call in kinds.items():
        rc = call()
        n = 2000
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            call()
        c1, w1 = time.process_time(), time.perf_counter()
        out[name] = {"rc": rc, "cpu_us": (c1 - c0) / n * 1e6, "wall_us": (w1 - w0) / n * 1e6}
        print(f"{name:32} rc={rc:<3} {out[name]['cpu_us']:8.1f} µs CPU {out[name]['wall_us']:8.1f} µs wall", flush=True)
    print(json.dumps({"calls": out}))


def sampler(seconds):
    import wattcast

    with tempfile.TemporaryDirectory() as tmp:
        c0, w0 = time.process_time(), time.perf_counter()
        with wattcast.Monitor(os.path.join(tmp, "idle.json"), interval_ms=100, idle_s=0, checkpoint_s=30) as mon:
            time.sleep(seconds)
            thread_s = thread_cpu_s("wattcast-sampler")
        c1, w1 = time.process_time(), time.perf_counter()
    wall = w1 - w0
    r = {"wall_s": wall, "samples": mon.summary["samples"], "process_cpu_s": c1 - c0,
         "process_pct_of_core": (c1 - c0) / wall * 100, "sampler_thread_cpu_s": thread_s,
         "sampler_thread_pct_of_core": thread_s / wall * 100}
    print(json.dumps({"sampler": r}), flush=True)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "calls"
    if what == "calls":
        calls()
    else:
        sampler(float(sys.argv[2]) if len(sys.argv) > 2 else 20.0)
