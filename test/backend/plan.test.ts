/**
 * What the planner makes of the benchmark programs: W1 (sum(tanh(1.5x+0.5)·exp(−x²))) is one
 * fused loop with the reduction inside; its gradient (W2) is one elementwise loop; a scan
 * body becomes one generated loop over its kernels. Snapshots of the plan and of the generated
 * source (never timings).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Array as Arr, grad, jit, lax, makeJaxpr, nn, np, vmap } from '../../src'
import { compileJaxpr, describeProgram, setFloat32Mode, float32Mode, setWasmKernels } from '../../src/backend'
import { optimize } from '../../src/passes'
import { WHOLE_LIMITS, WHOLE_MODE } from '../../src/backend/scalarmode'
import { hoistConsts } from '../../src/interpret/jvp'

// These snapshots show the generated JavaScript; the same plans' WebAssembly kernels are in
// wasm-kernels.test.ts.
beforeAll(() => setWasmKernels(false))
afterAll(() => setWasmKernels(true))

// These are the fusion planner's plans: small programs compiled as one function
// (scalarmode.ts) have their own test at the end.
const wholeElements = WHOLE_LIMITS.elements
beforeAll(() => (WHOLE_LIMITS.elements = -1))
afterAll(() => (WHOLE_LIMITS.elements = wholeElements))

const programOf = (f: (...xs: Arr[]) => unknown, ...args: Arr[]) => compileJaxpr(optimize(hoistConsts(makeJaxpr(f)(...args).jaxpr), { all: true }))

const w1 = (x: Arr) => np.sum(np.tanh(x.mul(1.5).add(0.5)).mul(np.exp(x.mul(x).neg())))

/** The generated source of W1's plan in a float32 mode (restoring the mode afterwards). */
const w1Source = (mode: 'relaxed' | 'exact'): string => {
  const before = float32Mode()
  setFloat32Mode(mode)
  try {
    return describeProgram(programOf(w1, np.array(new Float32Array(1000))), { source: true })
  } finally {
    setFloat32Mode(before)
  }
}

describe('kernel plans', () => {
  it('W1 is one fused loop: the elementwise chain feeds the sum in registers (relaxed float32)', () => {
    expect(w1Source('relaxed')).toMatchInlineSnapshot(`
      "0: loop [1000], sum over the last 1 loop(s), 0 store(s), 10 nodes (input0) → (output1)
      -- kernel 0
      "use strict";
      return function (a0, o0) {
      let r0 = 0;
      for (let i0 = 0; i0 < 1000; i0++) {
      const t0 = a0[i0];
      const t2 = (t0 * 1.5);
      const t4 = (t2 + 0.5);
      const t5 = Math.tanh(t4);
      const t6 = (t0 * t0);
      const t7 = (-t6);
      const t8 = Math.exp(t7);
      const t9 = (t5 * t8);
      r0 += t9;
      }
      o0[0] = r0;
      };"
    `)
  })

  it('W1 in the default exact float32 mode rounds every op (Math.fround)', () => {
    expect(w1Source('exact')).toMatchInlineSnapshot(`
      "0: loop [1000], sum over the last 1 loop(s), 0 store(s), 10 nodes (input0) → (output1)
      -- kernel 0
      "use strict";
      return function (a0, o0) {
      let r0 = 0;
      for (let i0 = 0; i0 < 1000; i0++) {
      const t0 = a0[i0];
      const t2 = Math.fround((t0 * 1.5));
      const t4 = Math.fround((t2 + 0.5));
      const t5 = Math.fround(Math.tanh(t4));
      const t6 = Math.fround((t0 * t0));
      const t7 = (-t6);
      const t8 = Math.fround(Math.exp(t7));
      const t9 = Math.fround((t5 * t8));
      r0 += t9;
      }
      o0[0] = r0;
      };"
    `)
  })

  it('W2 (grad of W1) is one elementwise loop', () => {
    const p = programOf(grad(w1), np.array(new Float32Array(1000)))
    expect(describeProgram(p)).toMatchInlineSnapshot(`"0: loop [1000], 1 store(s), 19 nodes (input0) → (output1)"`)
  })

  it('W6 (jit(vmap(grad)) of logistic regression): one loop — the matvec reduction, then per-example gradients as its epilogue', () => {
    const loss = (w: Arr, x: Arr, y: Arr) => {
      const z = np.dot(w, x)
      return nn.softplus(z).sub(y.mul(z))
    }
    const p = programOf(vmap(grad(loss), { inAxes: [null, 0, 0] }), np.array(new Float32Array(100)), np.zeros([256, 100], { dtype: 'float32' }), np.zeros([256], { dtype: 'float32' }))
    expect(describeProgram(p, { source: true })).toMatchInlineSnapshot(`
      "0: loop [256, 100], sum over the last 1 loop(s), 0 store(s), then 1 epilogue store(s), 27 nodes (input0, input1, input2) → (temp3, output4)
      -- kernel 0
      "use strict";
      return function (a0, a1, a2, o0, o1) {
      for (let i0 = 0; i0 < 256; i0++) {
      const q1_1 = i0 * 100;
      const t4 = a2[i0];
      const t5 = Math.fround(((-1) * t4));
      let r0 = 0;
      for (let i1 = 0; i1 < 100; i1++) {
      const t0 = a0[i1];
      const t1 = a1[q1_1 + i1];
      const t2 = (t0 * t1);
      r0 += t2;
      }
      o0[i0] = r0;
      const v0 = Math.fround(r0);
      const t8 = (v0 > 0 ? 1 : 0);
      const t10 = (-v0);
      const t11 = (t8 !== 0 ? t10 : v0);
      const t12 = Math.fround(Math.exp(t11));
      const t13 = Math.fround((t12 + 1));
      const t14 = Math.fround((1 / t13));
      const t15 = Math.fround((t14 * t12));
      const t16 = (t8 !== 0 ? t15 : 0);
      const t17 = (-t16);
      const t18 = Math.fround((t5 + t17));
      const t19 = (t8 !== 0 ? 0 : t15);
      const t20 = Math.fround((t18 + t19));
      const t21 = (t8 !== 0 ? 1 : 0);
      const t22 = Math.fround((t20 + t21));
      for (let i1 = 0; i1 < 100; i1++) {
      const t1 = a1[q1_1 + i1];
      const t23 = (t22 * t1);
      const t25 = (0 + t23);
      const t26 = Math.fround(t25);
      o1[q1_1 + i1] = t26;
      }
      }
      };"
    `)
  })

  it('a small foriLoop is a scan compiled whole, its body planned one step per equation', () => {
    const f = (p: Arr) => lax.foriLoop(0, 100, (_i: Arr, [x, v]: Arr[]) => [x.add(v.sum().mul(0.01)), v.sub(x.mul(p).mul(0.01))], [np.array(1), np.array([0, 1, 2])])
    const prog = programOf(f, np.array(2))
    expect(describeProgram(prog)).toMatchInlineSnapshot(`
      "0: scan, compiled whole (input1, const5, const6, input0) → (dynamic2, dynamic3, dynamic4)
         body 0:
           0: loop [], 1 store(s), 3 nodes (input1) → (output4)
           1: loop [3], sum over the last 1 loop(s), 0 store(s), 1 nodes (input3) → (temp5)
           2: loop [], 1 store(s), 3 nodes (temp5) → (temp6)
           3: loop [], 1 store(s), 3 nodes (input2, temp6) → (output7)
           4: loop [], 1 store(s), 3 nodes (input2, input0) → (temp8)
           5: loop [], 1 store(s), 3 nodes (temp8) → (temp9)
           6: loop [3], 1 store(s), 3 nodes (input3, temp9) → (output10)"
    `)
  })

  it('softmax: max, then exp and sum with the division as epilogue', () => {
    const p = programOf((x: Arr) => nn.softmax(x), np.ones([8, 5]))
    expect(describeProgram(p)).toMatchInlineSnapshot(`
      "0: loop [8, 5], max over the last 1 loop(s), 0 store(s), then 1 epilogue store(s), 9 nodes (input0) → (temp1, temp2)
      1: loop [8, 5], sum over the last 1 loop(s), 0 store(s), then 1 epilogue store(s), 3 nodes (temp2) → (temp3, output4)"
    `)
  })

  it('a broadcast of an expensive value is computed once, not once per broadcast element', () => {
    const f = (x: Arr, y: Arr) => np.exp(x).reshape([1, 100]).add(y)
    const p = programOf(f, np.ones([100]), np.ones([50, 100]))
    expect(describeProgram(p)).toMatchInlineSnapshot(`
      "0: loop [100], 1 store(s), 2 nodes (input0) → (temp2)
      1: loop [50, 100], 1 store(s), 3 nodes (temp2, input1) → (output3)"
    `)
  })

  it('jit compiles the same jaxpr once', () => {
    const f = jit((x: Arr) => np.sin(x).sum())
    const x = np.array([1, 2, 3])
    f(x)
    f(x)
    expect(f.traceCount).toBe(1)
  })
})

describe('small programs compiled whole', () => {
  it('a program of small values is one function, generated from one step per equation (the loop body too)', () => {
    const f = (p: Arr) => lax.foriLoop(0, 100, (_i: Arr, [x, v]: Arr[]) => [x.add(v.sum().mul(0.01)), v.sub(x.mul(p).mul(0.01))], [np.array(1), np.array([0, 1, 2])])
    // (the planned path: the one direct generation falls back to)
    WHOLE_LIMITS.elements = wholeElements
    WHOLE_MODE.direct = false
    try {
      expect(describeProgram(programOf(f, np.array(2)))).toMatchInlineSnapshot(`
        "program, compiled whole, from:
        0: scan (input1, const5, const6, input0) → (dynamic2, dynamic3, dynamic4)
           body 0:
             0: loop [], 1 store(s), 3 nodes (input1) → (output4)
             1: loop [3], sum over the last 1 loop(s), 0 store(s), 1 nodes (input3) → (temp5)
             2: loop [], 1 store(s), 3 nodes (temp5) → (temp6)
             3: loop [], 1 store(s), 3 nodes (input2, temp6) → (output7)
             4: loop [], 1 store(s), 3 nodes (input2, input0) → (temp8)
             5: loop [], 1 store(s), 3 nodes (temp8) → (temp9)
             6: loop [3], 1 store(s), 3 nodes (input3, temp9) → (output10)"
      `)
    } finally {
      WHOLE_LIMITS.elements = -1
      WHOLE_MODE.direct = true
    }
  })
})
