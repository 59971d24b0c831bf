"""W4 in JAX (float64, CPU): the Hessian-vector product of Rosenbrock, jit(jvp(grad(f))).
Started by bench/harness/python.ts; prints one JSON line."""
from harness import measure_jax, read_request, ready

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402


def main():
    inputs, m = read_request()
    x = jnp.asarray(inputs["x"], dtype=jnp.float64)
    v = jnp.asarray(inputs["v"], dtype=jnp.float64)

    def f(x):
        a, b = x[:-1], x[1:]
        return jnp.sum(100 * (b - a * a) ** 2 + (1 - a) ** 2)

    h = jax.jit(lambda x, v: jax.jvp(jax.grad(f), (x,), (v,))[1])
    measure_jax(lambda: ready({"hv": h(x, v)}), m, "jit(jvp(grad)), float64")


main()
