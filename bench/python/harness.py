"""Timing for the Python column of bench/ (see bench/harness/python.ts): the same protocol as
bench/harness/measure.ts — the first call, a warm-up, then timed runs until both a minimum
count and a minimum time are reached — and one JSON result on stdout."""
import json
import resource
import sys
import time

LOAD_T0 = time.perf_counter()


def rss_bytes():
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run(call, note, min_runs=20, min_s=2.0, max_s=5.0, warmup_runs=3, warmup_s=0.3):
    """`call()` runs the workload once and returns {part: flat list of numbers}."""
    quick = "--quick" in sys.argv
    load_ms = (time.perf_counter() - LOAD_T0) * 1000
    loaded = rss_bytes()
    t = time.perf_counter()
    first = call()
    first_ms = (time.perf_counter() - t) * 1000
    w = 0
    t0 = time.perf_counter()
    while not quick and (w < warmup_runs or time.perf_counter() - t0 < warmup_s) and time.perf_counter() - t0 < 3:
        call()
        w += 1
    samples = []
    t0 = time.perf_counter()
    runs = 3 if quick else min_runs
    last = first
    while len(samples) < runs or (not quick and time.perf_counter() - t0 < min_s):
        t = time.perf_counter()
        last = call()
        samples.append((time.perf_counter() - t) * 1000)
        if not quick and time.perf_counter() - t0 > max_s and len(samples) >= 3:
            break
    json.dump({
        "firstMs": first_ms, "samples": samples, "warmupRuns": w, "note": note, "loadMs": load_ms,
        "parts": {k: [float(x) for x in v] for k, v in last.items()},
        "rss": {"loaded": loaded, "peak": rss_bytes()},
    }, sys.stdout)
