"""W3 in JAX (float32, CPU): a 784-256-10 MLP (tanh, softmax cross-entropy, mean over the batch),
jit(value_and_grad) with respect to all weights. Started by bench/harness/python.ts."""
from harness import measure_jax, read_request, ready

import jax
import jax.numpy as jnp


def main():
    inputs, m = read_request()
    d = inputs["dims"]
    b, ni, nh, no = d["batch"], d["nIn"], d["nHid"], d["nOut"]
    p = inputs["p"]
    q = {
        "W1": jnp.asarray(p["W1"]).reshape(ni, nh), "b1": jnp.asarray(p["b1"]),
        "W2": jnp.asarray(p["W2"]).reshape(nh, no), "b2": jnp.asarray(p["b2"]),
    }
    X = jnp.asarray(inputs["X"]).reshape(b, ni)
    Y = jnp.asarray(inputs["Y"]).reshape(b, no)

    def loss(q, X, Y):
        h = jnp.tanh(X @ q["W1"] + q["b1"])
        z = h @ q["W2"] + q["b2"]
        return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(z), axis=-1))

    f = jax.jit(jax.value_and_grad(loss))

    def call():
        v, g = f(q, X, Y)
        return ready({"loss": v, "dW1": g["W1"], "db1": g["b1"], "dW2": g["W2"], "db2": g["b2"]})

    measure_jax(call, m, "jit(value_and_grad), float32")


main()
