"""What the benches read about their own process from /proc (Linux): resident memory and one thread's CPU time."""

import os


def rss_mib():
    """The process's resident set size, MiB (NaN where /proc does not say)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def thread_cpu_s(name):
    """CPU time (user + system) of this process's threads named ``name``, seconds, at the clock tick's
    resolution (10 ms)."""
    total = 0.0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                if not name.startswith(f.read().strip()):  # a thread name is cut to 15 characters
                    continue
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total
