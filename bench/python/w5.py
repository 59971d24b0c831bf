"""W5 in JAX (float64, CPU): Lorenz, explicit Euler in lax.fori_loop, jit(jacfwd) of the final
state with respect to (sigma, rho, beta). Started by bench/harness/python.ts."""
from harness import measure_jax, read_request, ready

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402


def main():
    s, m = read_request()
    dt, steps = s["dt"], int(s["steps"])
    x0 = tuple(jnp.asarray(v, dtype=jnp.float64) for v in s["x0"])

    def final(p):
        sg, rh, be = p[0], p[1], p[2]

        def step(_, c):
            x, y, z = c
            return (x + sg * (y - x) * dt, y + (x * (rh - z) - y) * dt, z + (x * y - be * z) * dt)

        return jnp.stack(lax.fori_loop(0, steps, step, x0))

    f = jax.jit(jax.jacfwd(final))
    p = jnp.asarray([s["sigma"], s["rho"], s["beta"]], dtype=jnp.float64)
    measure_jax(lambda: ready({"jac": f(p)}), m, "jit(jacfwd(fori_loop)), float64")


main()
