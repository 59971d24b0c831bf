"""W9 in JAX (float64, CPU): Gray-Scott reaction-diffusion on a periodic n x n grid, explicit Euler
in lax.fori_loop with a jnp.roll 5-point Laplacian; jit(jacfwd) of (sum u, sum v) with respect to
(F, k). Started by bench/harness/python.ts; prints one JSON line."""
from harness import measure_jax, read_request, ready

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402


def main():
    s, m = read_request()
    n, steps, Du, Dv, dt = int(s["n"]), int(s["steps"]), s["Du"], s["Dv"], s["dt"]
    u0 = jnp.asarray(s["u0"], dtype=jnp.float64).reshape(n, n)
    v0 = jnp.asarray(s["v0"], dtype=jnp.float64).reshape(n, n)

    def lap(a):
        return jnp.roll(a, 1, 0) + jnp.roll(a, -1, 0) + jnp.roll(a, 1, 1) + jnp.roll(a, -1, 1) - 4 * a

    def final(p):
        F, k = p[0], p[1]

        def step(_, c):
            u, v = c
            uvv = u * v * v
            return (u + (Du * lap(u) - uvv + F * (1 - u)) * dt, v + (Dv * lap(v) + uvv - (F + k) * v) * dt)

        u, v = lax.fori_loop(0, steps, step, (u0, v0))
        return jnp.stack([jnp.sum(u), jnp.sum(v)])

    f = jax.jit(jax.jacfwd(final))
    p = jnp.asarray([s["F"], s["k"]], dtype=jnp.float64)
    measure_jax(lambda: ready({"jac": f(p)}), m, "jit(jacfwd(fori_loop)), jnp.roll stencil, float64")


main()
