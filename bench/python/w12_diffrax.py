"""W12 in Diffrax: jit(jacfwd) of Lotka-Volterra's y(10) w.r.t. (alpha, beta, gamma, delta),
Tsit5, PID controller rtol 1e-7 / atol 1e-5, forward-mode adjoint (bench/workloads/w12.ts)."""
import json
import sys

from harness import run

import jax
import jax.numpy as jnp
import diffrax

jax.config.update("jax_enable_x64", True)
inputs = json.load(sys.stdin)


def lv(t, y, p):
    a, b, c, d = p[0], p[1], p[2], p[3]
    x, z = y[0], y[1]
    return jnp.stack([a * x - b * x * z, d * x * z - c * z])


def final(p):
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(lv), diffrax.Tsit5(), t0=0.0, t1=10.0, dt0=None, y0=jnp.array(inputs["y0"]), args=p,
        stepsize_controller=diffrax.PIDController(rtol=inputs["rtol"], atol=inputs["atol"]),
        adjoint=diffrax.ForwardMode(), max_steps=4096,
    )
    return sol.ys[-1]


jac = jax.jit(jax.jacfwd(final))
p = jnp.array(inputs["p"])
run(lambda: {"jac": jac(p).block_until_ready().ravel().tolist()}, "jit(jacfwd(diffeqsolve)), ForwardMode")
