import { describe, expect, it } from 'vitest'
import '../../src/rules'
import { lax } from '../../src'
import { ConcreteArray } from '../../src/core/array'
import { DTypeError, ShapeError } from '../../src/core/errors'
import { Zero, isZero, registerRules } from '../../src/core/rules'
import type { Tracer } from '../../src/core/tracer'
import { traceToJaxpr } from '../../src/interpret/stage'
import { type Shape, shaped, sizeOf } from '../../src/ir/aval'
import { bitwiseRules, shiftLeft, shiftRightArithmetic, shiftRightLogical, xor } from '../../src/primitives/bitwise'

registerRules(bitwiseRules)

// ---- helpers ---------------------------------------------------------------------------

const i32 = (data: readonly number[], shape: Shape): ConcreteArray => new ConcreteArray(Int32Array.from(data), shape, 'int32')
const c = (x: Tracer): ConcreteArray => x as ConcreteArray
const list = (x: Tracer): number[] => Array.from(c(x).data)

/** A 32-bit word as a string of 32 bits, most significant first. */
const bitsOf = (v: number): string => (v >>> 0).toString(2).padStart(32, '0')
const fromBits = (s: string): number => parseInt(s, 2) | 0

/** Reference shifts on bit strings (independent of JS's shift operators): an amount read as
 *  unsigned outside [0, 31] shifts every bit out, as XLA. */
const refShift = (kind: 'left' | 'logical' | 'arithmetic', a: number, b: number): number => {
  const s = bitsOf(a)
  const amount = b >>> 0
  const fill = kind === 'arithmetic' ? s[0] : '0'
  if (amount >= 32) return fromBits(fill.repeat(32))
  if (kind === 'left') return fromBits(s.slice(amount) + '0'.repeat(amount))
  return fromBits(fill.repeat(amount) + s.slice(0, 32 - amount))
}
const refXor = (a: number, b: number): number =>
  fromBits([...bitsOf(a)].map((bit, i) => (bit === bitsOf(b)[i] ? '0' : '1')).join(''))

const WORDS = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 0x12345678, -0x12345678, 0x0f0f0f0f, 7, -8]
const AMOUNTS = [0, 1, 5, 15, 16, 30, 31, 32, 33, 40, 100, -1, -31, -(2 ** 31), 2 ** 31 - 1]

const OPS = [
  ['xor', xor, refXor],
  ['shift_left', shiftLeft, (a: number, b: number) => refShift('left', a, b)],
  ['shift_right_logical', shiftRightLogical, (a: number, b: number) => refShift('logical', a, b)],
  ['shift_right_arithmetic', shiftRightArithmetic, (a: number, b: number) => refShift('arithmetic', a, b)],
] as const

// ---- impl ------------------------------------------------------------------------------

describe('impls agree with bit-string references', () => {
  for (const [name, op, ref] of OPS) {
    it(`${name}: every pair of words × amounts (including amounts outside [0, 31])`, () => {
      const as: number[] = []
      const bs: number[] = []
      for (const a of WORDS) for (const b of [...AMOUNTS, ...WORDS]) as.push(a), bs.push(b)
      const out = op(i32(as, [as.length]), i32(bs, [bs.length]))
      expect(out.dtype).toBe('int32')
      expect(out.shape).toEqual([as.length])
      expect(list(out)).toEqual(as.map((a, i) => ref(a, bs[i])))
    })
    it(`${name}: 0-d operands broadcast on either side; 2-d and empty shapes`, () => {
      const a = i32([-5, 6, 0x7f00ff00, -(2 ** 31), 3, 9], [2, 3])
      const s = i32([3], [])
      expect(list(op(a, s))).toEqual(Array.from(a.data, (v) => ref(v, 3)))
      expect(list(op(s, a))).toEqual(Array.from(a.data, (v) => ref(3, v)))
      expect(op(a, s).shape).toEqual([2, 3])
      expect(op(s, s).shape).toEqual([])
      expect(list(op(s, s))).toEqual([ref(3, 3)])
      const e = op(i32([], [0, 2]), i32([], [0, 2]))
      expect(e.shape).toEqual([0, 2])
    })
  }

  it('hand-computed values', () => {
    expect(list(xor(i32([0b1100, -1], [2]), i32([0b1010, 0x0000ffff], [2])))).toEqual([0b0110, ~0xffff])
    // 1 << 31 is the sign bit; shifts by 32 or more leave nothing (not JS's mod-32 shift)
    expect(list(shiftLeft(i32([1, 1, 1, 3], [4]), i32([31, 32, -1, 1], [4])))).toEqual([-(2 ** 31), 0, 0, 6])
    expect(list(shiftRightLogical(i32([-1, -1, -1, 16], [4]), i32([28, 32, 0, 2], [4])))).toEqual([15, 0, -1, 4])
    expect(list(shiftRightArithmetic(i32([-16, -16, 16, -1], [4]), i32([2, 40, 40, -7], [4])))).toEqual([-4, -1, 0, -1])
  })

  it('a JS number next to an array takes its dtype (weak): the result is int32, not weak', () => {
    const y = shiftLeft(i32([1, 2], [2]), 4)
    expect(y.dtype).toBe('int32')
    expect(y.weakType).toBe(false)
    expect(list(y)).toEqual([16, 32])
    expect(list(xor(5, i32([1], [1])))).toEqual([4])
  })
})

// ---- abstract eval -----------------------------------------------------------------------

describe('abstract eval', () => {
  it('int32 only: float and bool operands are DTypeErrors that name the op and the avals', () => {
    const f = new ConcreteArray(Float64Array.of(1, 2), [2], 'float64')
    const b = new ConcreteArray(Uint8Array.of(1, 0), [2], 'bool')
    for (const [name, op] of OPS) {
      expect(() => op(f, f)).toThrow(DTypeError)
      expect(() => op(f, f)).toThrow(new RegExp(`${name} needs int32 operands.*f64\\[2\\]`))
      expect(() => op(b, i32([1, 2], [2]))).toThrow(/bool\[2\], i32\[2\]/)
    }
  })
  it('shapes must be equal or 0-d (ShapeError)', () => {
    for (const [name, op] of OPS) {
      expect(() => op(i32([1, 2], [2]), i32([1, 2, 3], [3]))).toThrow(ShapeError)
      expect(() => op(i32([1, 2], [2]), i32([1, 2, 3], [3]))).toThrow(new RegExp(`${name}: operand shapes must be equal`))
    }
  })
  it('avals: the shape of the non-scalar operand; weak only when both are', () => {
    const r = bitwiseRules.shift_left
    expect(r.abstractEval([shaped([3], 'int32'), shaped([], 'int32', true)], {})).toEqual([shaped([3], 'int32', false)])
    expect(r.abstractEval([shaped([], 'int32', true), shaped([], 'int32', true)], {})).toEqual([shaped([], 'int32', true)])
  })
  it('staged: one equation per call, typechecked', () => {
    const closed = traceToJaxpr((a: Tracer, b: Tracer) => [shiftRightLogical(xor(a, b), 3)], [shaped([4], 'int32'), shaped([4], 'int32')])
    const text = String(closed)
    expect(text).toMatch(/xor a b/)
    expect(text).toMatch(/shift_right_logical c 3/)
  })
})

// ---- jvp and batching --------------------------------------------------------------------

describe('jvp: integer functions have zero tangents', () => {
  for (const [name] of OPS) {
    it(name, () => {
      const a = i32([5, -9], [2])
      const b = i32([1, 2], [2])
      const [outs, touts] = bitwiseRules[name].jvp([a, b], [new Zero(a.aval), new Zero(b.aval)], {})
      expect(touts).toHaveLength(1)
      expect(isZero(touts[0])).toBe(true)
      expect((touts[0] as Zero).aval).toEqual(outs[0].aval)
      expect(list(outs[0])).toEqual(list(OPS.find((o) => o[0] === name)![1](a, b)))
    })
  }
})

describe('batch rules fold the batch into one call (elementwise)', () => {
  it('batch axis at 1 on one operand, unbatched 0-d other: equals stacking per example', () => {
    // x: [3, B=2] with the batch at axis 1
    const x = i32([1, -2, 3, -4, 5, -6], [3, 2])
    const s = i32([2], [])
    for (const [name, op] of OPS) {
      const [[y], [bd]] = bitwiseRules[name].batch(2, [x, s], [1, null], {})
      const per = [0, 1].map((b) => list(op(i32([0, 1, 2].map((i) => x.data[i * 2 + b]), [3]), s)))
      const moved = c(y)
      expect(moved.shape[bd as number]).toBe(2)
      const got = [0, 1].map((b) => [0, 1, 2].map((i) => moved.data[bd === 0 ? b * 3 + i : i * 2 + b]))
      expect(got).toEqual(per)
    }
  })
})

describe('lax namespace', () => {
  it('exports xor, shiftLeft, shiftRightLogical, shiftRightArithmetic', () => {
    const a = i32([-8], [1])
    expect(list(lax.xor(a, 3))).toEqual([-8 ^ 3])
    expect(list(lax.shiftLeft(a, 1))).toEqual([-16])
    expect(list(lax.shiftRightLogical(a, 28))).toEqual([15])
    expect(list(lax.shiftRightArithmetic(a, 1))).toEqual([-4])
    expect(sizeOf(lax.xor(a, a).shape)).toBe(1)
  })
})
