"""W13 in Diffrax: jit(jacfwd) of POLLU's y(60) w.r.t. the 25 rate constants, Kvaerno5 (ESDIRK),
PID controller, forward-mode adjoint (bench/workloads/w13.ts)."""
import json
import sys

from harness import run

import jax
import jax.numpy as jnp
import diffrax

jax.config.update("jax_enable_x64", True)
inputs = json.load(sys.stdin)
REACT = inputs["reactants"]
BAL = inputs["balance"]


def pollu(t, y, k):
    r = []
    for i, sp in enumerate(REACT):
        v = k[i]
        for s in sp:
            v = v * y[s - 1]
        r.append(v)
    out = []
    for terms in BAL:
        acc = 0.0
        for j in terms:
            acc = acc + (r[j - 1] if j > 0 else -r[-j - 1])
        out.append(acc)
    return jnp.stack(out)


def final(k):
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(pollu), diffrax.Kvaerno5(), t0=0.0, t1=60.0, dt0=None, y0=jnp.array(inputs["y0"]), args=k,
        stepsize_controller=diffrax.PIDController(rtol=inputs["rtol"], atol=inputs["atol"]),
        adjoint=diffrax.ForwardMode(), max_steps=100000,
    )
    return sol.ys[-1]


jac = jax.jit(jax.jacfwd(final))
k = jnp.array(inputs["k"])
run(lambda: {"jac": jac(k).block_until_ready().ravel().tolist()}, "jit(jacfwd(diffeqsolve)), Kvaerno5, ForwardMode", min_runs=5)
