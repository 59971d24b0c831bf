"""W6 in JAX (float32, CPU): per-example gradients of logistic regression,
jit(vmap(grad(loss), in_axes=(None, 0, 0))). Started by bench/harness/python.ts."""
from harness import measure_jax, read_request, ready

import jax
import jax.numpy as jnp


def main():
    inputs, m = read_request()
    n, d = int(inputs["n"]), int(inputs["d"])
    w = jnp.asarray(inputs["w"])
    X = jnp.asarray(inputs["X"]).reshape(n, d)
    y = jnp.asarray(inputs["y"])

    def loss(w, x, y):
        z = jnp.dot(w, x)
        return jax.nn.softplus(z) - y * z

    pe = jax.jit(jax.vmap(jax.grad(loss), in_axes=(None, 0, 0)))
    measure_jax(lambda: ready({"grads": pe(w, X, y)}), m, "jit(vmap(grad)), float32")


main()
