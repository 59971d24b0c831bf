"""W14 in JAX (float32, CPU): a CNN step, NHWC / HWIO: conv3x3(3->16) + relu + maxpool 2x2,
conv3x3(16->32) + relu + maxpool 2x2, dense 2048->10, softmax cross-entropy (mean); the loss and
the gradients of all six weights by jit(value_and_grad). Started by bench/harness/python.ts."""
from harness import measure_jax, read_request, ready

import jax
import jax.numpy as jnp
from jax import lax


def main():
    inputs, m = read_request()
    d = inputs["dims"]
    B, S, c0, c1, c2, no = d["batch"], d["size"], d["c0"], d["c1"], d["c2"], d["nOut"]
    f3 = (S // 4) * (S // 4) * c2
    p = inputs["p"]
    q = {
        "W1": jnp.asarray(p["W1"]).reshape(3, 3, c0, c1), "b1": jnp.asarray(p["b1"]),
        "W2": jnp.asarray(p["W2"]).reshape(3, 3, c1, c2), "b2": jnp.asarray(p["b2"]),
        "W3": jnp.asarray(p["W3"]).reshape(f3, no), "b3": jnp.asarray(p["b3"]),
    }
    X = jnp.asarray(inputs["X"]).reshape(B, S, S, c0)
    Y = jnp.asarray(inputs["Y"]).reshape(B, no)

    def conv(x, w, b):
        y = lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return jax.nn.relu(y + b)

    def pool(x):
        return lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    def loss(q, x, y):
        h1 = pool(conv(x, q["W1"], q["b1"]))
        h2 = pool(conv(h1, q["W2"], q["b2"]))
        z = h2.reshape(B, f3) @ q["W3"] + q["b3"]
        return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(z), axis=-1))

    f = jax.jit(jax.value_and_grad(loss))

    def call():
        v, g = f(q, X, Y)
        return ready({"loss": v, **{"d" + k: g[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3")}})

    measure_jax(call, m, "jit(value_and_grad), NHWC, float32")


main()
