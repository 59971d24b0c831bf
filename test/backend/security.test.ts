/**
 * Generated code is built from a closed vocabulary. Hostile inputs — strings where numbers
 * belong, huge or NaN sizes, unknown dtypes and ops, code in function names — must give a
 * clear error before any code is generated, or never reach the generated source.
 */
import { describe, expect, it } from 'vitest'
import { type Array as Arr, jit, makeJaxpr, np, customJvp, ValueError } from '../../src'
import { compileJaxpr, describeProgram, kernelSource } from '../../src/backend'
import { CodegenError } from '../../src/backend/emit'
import type { LoopKernel } from '../../src/backend/kernel'
import { shaped } from '../../src/ir/aval'
import { Jaxpr, Lit, Var, makeEqn } from '../../src/ir/jaxpr'
import type { PrimName } from '../../src/ir/params'

const EVIL = '0); globalThis.pwned = 1; (0'

/** A one-equation jaxpr with hand-written (unchecked) params and output aval. */
const handmade = (prim: PrimName, inShape: number[], params: unknown, outShape: unknown[], dtype = 'float64'): Jaxpr => {
  const x = new Var(shaped(inShape, 'float64'))
  const y = new Var({ shape: outShape, dtype, weakType: false } as never)
  return new Jaxpr([], [x], [makeEqn(prim, [x], params as never, [y])], [y])
}

const allSources = (j: Jaxpr): string => describeProgram(compileJaxpr(j), { source: true })

describe('hostile params are rejected before code generation', () => {
  it('a string where a shape entry belongs', () => {
    expect(() => compileJaxpr(handmade('broadcast_in_dim', [3], { shape: [EVIL, 3], broadcastDimensions: [1] }, [EVIL, 3]))).toThrow(/non-negative integers/)
  })
  it('a NaN size', () => {
    expect(() => compileJaxpr(handmade('broadcast_in_dim', [3], { shape: [NaN, 3], broadcastDimensions: [1] }, [NaN, 3]))).toThrow(ValueError)
  })
  it('a huge shape', () => {
    expect(() => compileJaxpr(handmade('broadcast_in_dim', [3], { shape: [2 ** 20, 2 ** 20, 3], broadcastDimensions: [2] }, [2 ** 20, 2 ** 20, 3]))).toThrow(/2\^31/)
  })
  it('a string where an axis belongs', () => {
    expect(() => compileJaxpr(handmade('transpose', [2, 3], { permutation: [EVIL, 0] }, [3, 2]))).toThrow(/permutation/)
    expect(() => compileJaxpr(handmade('reduce_sum', [2, 3], { axes: [EVIL] }, [2]))).toThrow(/axis/)
  })
  it('a non-integer exponent', () => {
    expect(() => compileJaxpr(handmade('integer_pow', [3], { y: EVIL }, [3]))).toThrow(/integer/)
    expect(() => compileJaxpr(handmade('integer_pow', [3], { y: 1.5 }, [3]))).toThrow(/integer/)
  })
  it('an unknown dtype name', () => {
    expect(() => compileJaxpr(handmade('convert_element_type', [3], { newDtype: EVIL, weakType: false }, [3], EVIL))).toThrow(/dtype/)
    expect(() => compileJaxpr(handmade('sin', [3], {}, [3], EVIL))).toThrow(/dtype/)
  })
  it('params that disagree with the output aval', () => {
    expect(() => compileJaxpr(handmade('broadcast_in_dim', [3], { shape: [4, 3], broadcastDimensions: [1] }, [5, 3]))).toThrow(/abstract evaluation/)
  })
  it('a literal that is not a number', () => {
    const x = new Var(shaped([3], 'float64'))
    const y = new Var(shaped([3], 'float64'))
    const j = new Jaxpr([], [x], [makeEqn('mul', [x, new Lit(EVIL as never, 'float64', false)], {}, [y])], [y])
    expect(() => compileJaxpr(j)).toThrow(/literal is not a number/)
  })
})

describe('names never reach generated code', () => {
  it('a jitted function whose name is code', () => {
    const inner = jit(Object.defineProperty((x: Arr) => np.sin(x).mul(2), 'name', { value: EVIL }))
    const outer = (x: Arr) => inner(x).add(1)
    const closed = makeJaxpr(outer)(np.array([1, 2, 3]))
    expect(String(closed)).toContain(EVIL) // the name is in the jaxpr …
    const src = allSources(closed.jaxpr)
    expect(src).not.toContain('pwned') // … but not in any kernel
    expect(jit(outer)(np.array([1, 2, 3])).tolist()).toEqual(outer(np.array([1, 2, 3])).tolist())
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined()
  })
  it('a customJvp function whose name is code', () => {
    const f = customJvp(
      Object.defineProperty((x: Arr) => np.exp(x), 'name', { value: EVIL }),
      ([x]: Arr[], [dx]: Arr[]) => [np.exp(x), np.exp(x).mul(dx)],
    )
    const closed = makeJaxpr((x: Arr) => f(x).sum())(np.array([0.5, 1]))
    expect(allSources(closed.jaxpr)).not.toContain('pwned')
  })
})

describe('the emitters refuse anything outside the vocabulary', () => {
  const base: LoopKernel = {
    kind: 'loop', f32: 'exact', domain: [4], nReduced: 0, inputs: ['float64'], outputs: ['float64'],
    nodes: [{ k: 'load', input: 0, idx: { off: 0, st: [1] }, dtype: 'float64', clamp: -1 }, { k: 'op', op: 'sin', args: [0], dtype: 'float64', attr: 0 }],
    stores: [{ node: 1, out: 0, idx: { off: 0, st: [1] } }],
    reductions: [],
    epilogue: [],
  }
  it('a well-formed kernel generates', () => {
    expect(kernelSource(base)).toContain('Math.sin(t0)')
  })
  it('an unknown op', () => {
    const k = { ...base, nodes: [base.nodes[0], { ...base.nodes[1], op: EVIL }] } as unknown as LoopKernel
    expect(() => kernelSource(k)).toThrow(CodegenError)
  })
  it('a string extent, stride or offset', () => {
    expect(() => kernelSource({ ...base, domain: [EVIL as never] })).toThrow(CodegenError)
    expect(() => kernelSource({ ...base, stores: [{ node: 1, out: 0, idx: { off: EVIL as never, st: [1] } }] })).toThrow(CodegenError)
    expect(() => kernelSource({ ...base, stores: [{ node: 1, out: 0, idx: { off: 0, st: [1.5] } }] })).toThrow(CodegenError)
  })
  it('a literal that is not a number, and an unknown dtype', () => {
    const lit = { ...base, nodes: [...base.nodes, { k: 'lit', value: EVIL, dtype: 'float64' }], stores: [{ node: 2, out: 0, idx: { off: 0, st: [1] } }] } as unknown as LoopKernel
    expect(() => kernelSource(lit)).toThrow(CodegenError)
    const dt = { ...base, nodes: [base.nodes[0], { ...base.nodes[1], dtype: EVIL }] } as unknown as LoopKernel
    expect(() => kernelSource(dt)).toThrow(CodegenError)
  })
  it('numbers are printed in the closed format (NaN, ±Infinity, −0, exponents)', () => {
    for (const v of [NaN, Infinity, -Infinity, -0, 1e21, 5e-324, -1.5e-7]) {
      const k: LoopKernel = { ...base, nodes: [...base.nodes, { k: 'lit', value: v, dtype: 'float64' }], stores: [{ node: 2, out: 0, idx: { off: 0, st: [1] } }] }
      const out = new Float64Array(4)
      ;(new Function(kernelSource(k))() as (a: Float64Array, o: Float64Array) => void)(new Float64Array(4), out)
      expect(Object.is(out[0], v)).toBe(true)
    }
  })
})
