"""W11 in JAX: Lotka-Volterra, RK4 in lax.fori_loop, jit(jacfwd) or jit(jacrev) of the final
state w.r.t. (alpha, beta, gamma, delta), float64 on CPU. Started by bench/harness/python.ts
with the workload's inputs and timing rules as JSON on stdin; prints one JSON line."""
import json
import resource
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402


def main():
    mode = sys.argv[1]
    req = json.load(sys.stdin)
    s, m = req["inputs"], req["measure"]
    h, steps = s["dt"], s["steps"]
    x0 = jnp.array(s["x0"], dtype=jnp.float64)

    def final(p):
        a, b, g, d = p[0], p[1], p[2], p[3]

        def F(u):
            x, y = u[0], u[1]
            return jnp.stack([a * x - b * x * y, d * x * y - g * y])

        def step(_, u):
            k1 = F(u)
            k2 = F(u + h / 2 * k1)
            k3 = F(u + h / 2 * k2)
            k4 = F(u + h * k3)
            return u + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)

        return lax.fori_loop(0, steps, step, x0)

    f = jax.jit(jax.jacfwd(final) if mode == "jacfwd" else jax.jacrev(final))
    p = jnp.array([s["alpha"], s["beta"], s["gamma"], s["delta"]], dtype=jnp.float64)
    call = lambda: f(p).block_until_ready()  # noqa: E731

    t0 = time.perf_counter()
    out = call()
    first = (time.perf_counter() - t0) * 1e3
    # warm-up: at least warmupRuns calls and warmupMs (capped at 3 s)
    runs, t0 = 0, time.perf_counter()
    while runs < m["warmupRuns"] or ((time.perf_counter() - t0) * 1e3 < m["warmupMs"] and time.perf_counter() - t0 < 3):
        call()
        runs += 1
    # calls under 1 ms are timed in batches of about 1 ms
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
        if (len(samples) >= m["minRuns"] and el >= m["minMs"]) or (el >= m["maxMs"] and len(samples) >= 3):
            break
    print(json.dumps({
        "firstMs": first,
        "samples": samples,
        "batch": batch,
        "warmupRuns": runs,
        "peakRss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "parts": {"jac": [float(v) for v in out.reshape(-1)]},
        "version": jax.__version__,
    }))


main()
