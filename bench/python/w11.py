"""W11 in JAX: Lotka-Volterra, RK4 in lax.fori_loop, jit(jacfwd) or jit(jacrev) of the final
state w.r.t. (alpha, beta, gamma, delta), float64 on CPU. Started by bench/harness/python.ts
with the workload's inputs and timing rules on stdin (harness.py); prints one JSON line."""
import sys

from harness import measure_jax, read_request, ready

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402


def main():
    mode = sys.argv[1]
    s, m = read_request()
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
    measure_jax(lambda: ready({"jac": f(p)}), m, f"jit({mode}(fori_loop RK4)), float64")


main()
