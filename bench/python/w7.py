"""W7 in JAX (float32, CPU): jit(grad) of a 50-op elementwise chain (5 rounds of sin, scale,
shift, tanh, square, neg, exp, cos, add x, halve) on a 1000-vector. Its first call includes
tracing and XLA's compilation. Started by bench/harness/python.ts."""
from harness import measure_jax, read_request, ready

import jax
import jax.numpy as jnp


def main():
    inputs, m = read_request()
    x = jnp.asarray(inputs["x"], dtype=jnp.float32)

    def f(x):
        y = x
        for _ in range(5):
            y = jnp.tanh(jnp.sin(y) * 1.3 + 0.2)
            y = jnp.cos(jnp.exp(-jnp.square(y)))
            y = (y + x) * 0.5
        return jnp.sum(y)

    g = jax.jit(jax.grad(f))
    measure_jax(lambda: ready({"grad": g(x)}), m, "jit(grad), float32")


main()
