"""Compile and run StableHLO modules with XLA's CPU client (through jaxlib), for the StableHLO
export test. Reads JSON from stdin: [{"text": module, "inputs": [{"data": [...], "shape": [...],
"dtype": "float64"}]}], writes JSON to stdout: [{"outputs": [{"data", "shape", "dtype"}]} or
{"error": message}]. NaN and infinities travel as the strings "nan", "inf", "-inf"."""
import json
import math
import sys

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
from jax._src.interpreters import mlir  # noqa: E402
from jax._src.lib import xla_client as xc  # noqa: E402
from jax._src.lib.mlir import ir  # noqa: E402

DTYPES = {"float64": np.float64, "float32": np.float32, "int32": np.int32, "bool": np.bool_}


def decode(v):
    return float(v) if isinstance(v, str) else v


def encode(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def run(case, client, devices):
    with mlir.make_ir_context():
        module = ir.Module.parse(case["text"])
        code = mlir.module_to_bytecode(module)
    exe = client.compile_and_load(code, xc.DeviceList(tuple(devices)), xc.CompileOptions())
    args = [
        jax.device_put(np.array([decode(v) for v in x["data"]], dtype=DTYPES[x["dtype"]]).reshape(x["shape"]))
        for x in case["inputs"]
    ]
    outs = exe.execute(args)
    result = []
    for o in outs:
        a = np.asarray(o)
        name = {np.dtype(v): k for k, v in DTYPES.items()}[a.dtype]
        result.append({"data": [encode(float(v)) if name.startswith("float") else int(v) for v in a.reshape(-1)], "shape": list(a.shape), "dtype": name})
    return {"outputs": result}


def main():
    cases = json.load(sys.stdin)
    devices = jax.devices("cpu")[:1]
    client = devices[0].client
    out = []
    for case in cases:
        try:
            out.append(run(case, client, devices))
        except Exception as e:  # reported per case, so one bad module does not hide the others
            out.append({"error": f"{type(e).__name__}: {e}"})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
