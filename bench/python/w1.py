"""W1 and W2 in JAX (float32, CPU): sum(tanh(1.5x + 0.5) * exp(-x^2)) under jit (`value`), or
its gradient with respect to x (`grad`). Started by bench/harness/python.ts; prints one JSON line."""
import sys

from harness import measure_jax, read_request, ready

import jax
import jax.numpy as jnp


def main():
    mode = sys.argv[1]
    inputs, m = read_request()
    x = jnp.asarray(inputs["x"], dtype=jnp.float32)

    def f(x):
        return jnp.sum(jnp.tanh(x * 1.5 + 0.5) * jnp.exp(-(x * x)))

    if mode == "value":
        g = jax.jit(f)
        measure_jax(lambda: ready({"value": g(x)}), m, "jit, float32")
    else:
        g = jax.jit(jax.grad(f))
        measure_jax(lambda: ready({"grad": g(x)}), m, "jit(grad), float32")


main()
