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


# ---- the `jax` and `jax-all` columns (bench/harness/python.ts) ---------------------------------

def read_request():
    """The request on stdin: {"inputs": ..., "measure": {warmupRuns, warmupMs, minRuns, minMs,
    maxMs}}. Typed arrays arrive as {"__typed": "float32" | "float64", "b64": little-endian
    bytes} and become numpy arrays of that dtype (exact, and far smaller than JSON lists)."""
    import base64

    import numpy as np

    def decode(v):
        if isinstance(v, dict):
            if "__typed" in v:
                return np.frombuffer(base64.b64decode(v["b64"]), dtype="<" + {"float32": "f4", "float64": "f8"}[v["__typed"]]).copy()
            return {k: decode(x) for k, x in v.items()}
        if isinstance(v, list):
            return [decode(x) for x in v]
        return v

    req = json.load(sys.stdin)
    return decode(req["inputs"]), req["measure"]


def measure_jax(call, m, note=""):
    """Time `call()` (runs the workload once, blocks until done and returns {part: array}) with
    the rules of bench/harness/measure.ts: the first call alone (it includes tracing and XLA's
    compilation), a warm-up of at least warmupRuns calls and warmupMs (capped at 3 s), then
    samples until minRuns and minMs are both reached or maxMs has passed with 3 samples. Calls
    under 1 ms are timed in batches of about 1 ms. Prints one JSON line (a PythonRun)."""
    import jax
    import numpy as np

    load_ms = (time.perf_counter() - LOAD_T0) * 1000
    t0 = time.perf_counter()
    out = call()
    first = (time.perf_counter() - t0) * 1e3
    runs, t0 = 0, time.perf_counter()
    while runs < m["warmupRuns"] or ((time.perf_counter() - t0) * 1e3 < m["warmupMs"] and time.perf_counter() - t0 < 3):
        call()
        runs += 1
    t1 = time.perf_counter()
    call()
    one = (time.perf_counter() - t1) * 1e3
    batch = max(1, int(1.0 / one)) if one < 1 else 1
    samples, t0 = [], time.perf_counter()
    while True:
        t1 = time.perf_counter()
        for _ in range(batch):
            out = call()
        samples.append((time.perf_counter() - t1) * 1e3 / batch)
        el = (time.perf_counter() - t0) * 1e3
        if (len(samples) >= max(1, m["minRuns"]) and el >= m["minMs"]) or (el >= m["maxMs"] and len(samples) >= 3):
            break
    print(json.dumps({
        "firstMs": first,
        "samples": samples,
        "batch": batch,
        "warmupRuns": runs,
        "loadMs": load_ms,
        "peakRss": rss_bytes(),
        # JSON has no NaN or infinity: null, read back as NaN (and flagged by the check)
        "parts": {k: [float(x) if np.isfinite(x) else None for x in np.asarray(v, dtype=np.float64).reshape(-1)] for k, v in out.items()},
        "version": jax.__version__,
        "note": note,
    }))


def ready(tree):
    """Block until every array of `tree` is computed and bring it to the host as numpy (the JS
    columns read their answers back into JS numbers inside the timed call too)."""
    import jax
    import numpy as np

    return jax.tree_util.tree_map(lambda a: np.asarray(a.block_until_ready()), tree)
