"""W10's JAX column: the k-th derivative of f(x) = sin(x)·exp(−x²/2) at x = 0.7 by nested
jax.grad, k = 1 … max order, float64. Per order: equations of the jaxpr, first call of the
jitted function (trace + compile + run; each order is a new function), median of later calls.
Prints one JSON line per order. Run by bench/taylor/run.ts (LEIBNIZ_BENCH_PYTHON, or a
`python3` that can `import jax`).
"""
import json
import sys
import time

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)

MAX_ORDER = int(sys.argv[1]) if len(sys.argv) > 1 else 10
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 200


def f(x):
    return jnp.sin(x) * jnp.exp(-x * x / 2)


x = jnp.float64(0.7)
for k in range(1, MAX_ORDER + 1):
    g = f
    for _ in range(k):
        g = jax.grad(g)
    eqns = len(jax.make_jaxpr(g)(x).jaxpr.eqns)
    t0 = time.perf_counter()
    gj = jax.jit(g)
    value = float(gj(x).block_until_ready())
    first = (time.perf_counter() - t0) * 1e3
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        gj(x).block_until_ready()
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    print(json.dumps({"order": k, "eqns": eqns, "firstMs": first, "steadyMs": times[len(times) // 2], "value": value, "jax": jax.__version__}), flush=True)
