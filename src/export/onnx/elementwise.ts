/**
 * Export layer (ONNX): elementwise primitives. Binary operands are of equal shapes or 0-d,
 * which ONNX's multidirectional broadcasting accepts as is. Where ONNX Runtime's kernels differ
 * from leibniz's semantics the lowering adds the difference explicitly: integer division and
 * remainder by 0 (ORT raises, leibniz gives −1 and 0), NaN in max/min/sign (ORT's kernels do
 * not propagate it), shift amounts outside [0, 31], and the functions of ./math.ts.
 */
import type { BinaryPrim, BitwisePrim, UnaryPrim } from '../../ir/params'
import { type GraphBuilder, type OnnxElem, elemOf } from './builder'
import * as m from './math'
import { refuseOnnx } from './structural'
import type { OnnxEntry, Val } from './types'

type G = GraphBuilder

const el = (v: Val): OnnxElem => elemOf(v.aval.dtype)
const isF = (v: Val): boolean => v.aval.dtype === 'float64' || v.aval.dtype === 'float32'

const simple = <P extends UnaryPrim | BinaryPrim | BitwisePrim>(op: string): OnnxEntry<P> => ({ lower: (g, ins) => [g.op(op, ins.map((v) => v.name))] })

type FloatFn = (g: G, e: OnnxElem, x: string) => string
/** A float function: the composition of ./math.ts (the native op when it has a double kernel). */
const floatFn = <P extends UnaryPrim>(f: FloatFn, native32?: string): OnnxEntry<P> => ({
  lower: (g, [x]) => [native32 !== undefined && x.aval.dtype === 'float32' ? g.op(native32, [x.name]) : f(g, el(x), x.name)],
})

/** Propagate NaN from either operand (ORT's Max/Min/Sign may drop it). */
const nanGuard = (g: G, ins: readonly Val[], r: string): string => {
  if (!isF(ins[0])) return r
  const nan = ins.map((v) => g.op('IsNaN', [v.name])).reduce((a, b) => g.op('Or', [a, b]))
  // x + y is NaN when either is.
  const poison = ins.length === 1 ? ins[0].name : g.op('Add', [ins[0].name, ins[1].name])
  return g.op('Where', [nan, poison, r])
}

const isZeroOr = (g: G, b: Val, also: number | null): string => {
  const z = g.op('Equal', [b.name, g.scalar('int32', 0)])
  return also === null ? z : g.op('Or', [z, g.op('Equal', [b.name, g.scalar('int32', also)])])
}

export const unaryEntries: { readonly [P in UnaryPrim]: OnnxEntry<P> } = {
  neg: simple('Neg'),
  sin: simple('Sin'),
  cos: simple('Cos'),
  tan: floatFn(m.tan, 'Tan'),
  asin: floatFn(m.asin, 'Asin'),
  acos: floatFn(m.acos, 'Acos'),
  atan: floatFn(m.atan, 'Atan'),
  sinh: floatFn(m.sinh, 'Sinh'),
  cosh: floatFn(m.cosh, 'Cosh'),
  tanh: simple('Tanh'),
  exp: simple('Exp'),
  expm1: floatFn(m.expm1),
  log: simple('Log'),
  log1p: floatFn(m.log1p),
  sqrt: simple('Sqrt'),
  rsqrt: { lower: (g, [x]) => [g.op('Div', [g.scalar(el(x), 1), g.op('Sqrt', [x.name])])] },
  abs: simple('Abs'),
  sign: { lower: (g, ins) => [nanGuard(g, ins, g.op('Sign', [ins[0].name]))] },
  floor: simple('Floor'),
  ceil: simple('Ceil'),
  // Both round half to even.
  round: simple('Round'),
  logistic: simple('Sigmoid'),
  not: { lower: (g, [x]) => [x.aval.dtype === 'bool' ? g.op('Not', [x.name]) : bitwiseOp(g, 'not', 'BitwiseNot', [x.name])] },
  stop_gradient: simple('Identity'),
}

export const binaryEntries: { readonly [P in BinaryPrim]: OnnxEntry<P> } = {
  add: simple('Add'),
  sub: simple('Sub'),
  mul: simple('Mul'),
  div: {
    // Integer division truncates (as ORT); x / 0 = −1 and x / −1 = −x (ORT's INT_MIN / −1 traps).
    lower: (g, [a, b]) => {
      if (isF(a)) return [g.op('Div', [a.name, b.name])]
      const bad = isZeroOr(g, b, -1)
      const q = g.op('Div', [a.name, g.op('Where', [bad, g.scalar('int32', 1), b.name])])
      const special = g.op('Where', [g.op('Equal', [b.name, g.scalar('int32', 0)]), g.scalar('int32', -1), g.op('Neg', [a.name])])
      return [g.op('Where', [bad, special, q])]
    },
  },
  pow: simple('Pow'),
  max: { lower: (g, ins) => [nanGuard(g, ins, g.op('Max', ins.map((v) => v.name)))] },
  min: { lower: (g, ins) => [nanGuard(g, ins, g.op('Min', ins.map((v) => v.name)))] },
  atan2: { lower: (g, [y, x]) => [m.atan2(g, el(y), y.name, x.name)] },
  rem: {
    // The sign of the dividend (C fmod); integer x rem 0 = 0 and x rem −1 = 0 (ORT traps on both).
    lower: (g, [a, b]) => {
      if (isF(a)) return [g.op('Mod', [a.name, b.name], { fmod: { int: 1 } })]
      const bad = isZeroOr(g, b, -1)
      const r = g.op('Mod', [a.name, g.op('Where', [bad, g.scalar('int32', 1), b.name])], { fmod: { int: 1 } })
      return [g.op('Where', [bad, g.scalar('int32', 0), r])]
    },
  },
  eq: simple('Equal'),
  ne: { lower: (g, ins) => [g.op('Not', [g.op('Equal', ins.map((v) => v.name))])] },
  lt: simple('Less'),
  le: simple('LessOrEqual'),
  gt: simple('Greater'),
  ge: simple('GreaterOrEqual'),
  and: { lower: (g, [a, b]) => [a.aval.dtype === 'bool' ? g.op('And', [a.name, b.name]) : bitwiseOp(g, 'and', 'BitwiseAnd', [a.name, b.name])] },
  or: { lower: (g, [a, b]) => [a.aval.dtype === 'bool' ? g.op('Or', [a.name, b.name]) : bitwiseOp(g, 'or', 'BitwiseOr', [a.name, b.name])] },
}

/** ONNX's bitwise operators (BitwiseAnd/Or/Xor/Not) exist from opset 18 on. */
const needOpset18 = (g: G, prim: string): void => {
  if (g.opset < 18) refuseOnnx(prim, `int32 bitwise operations need opset 18 or later (exportOnnx(f, { opset: 18 })), got opset ${g.opset}`)
}
const bitwiseOp = (g: G, prim: string, op: string, ins: readonly string[]): string => {
  needOpset18(g, prim)
  return g.op(op, ins)
}

/** a >>> b on int32 words through uint32 (ONNX's BitShift is unsigned only); 0 when b ∉ [0, 31]. */
const shift = (g: G, a: string, b: string, direction: 'LEFT' | 'RIGHT'): string => {
  const inRange = g.op('And', [g.op('GreaterOrEqual', [b, g.scalar('int32', 0)]), g.op('Less', [b, g.scalar('int32', 32)])])
  const amount = g.op('Cast', [g.op('Where', [inRange, b, g.scalar('int32', 0)])], { to: { int: 12 } })
  const word = g.op('Cast', [a], { to: { int: 12 } })
  const r = g.op('Cast', [g.op('BitShift', [word, amount], { direction: { string: direction } })], { to: { int: 6 } })
  return g.op('Where', [inRange, r, g.scalar('int32', 0)])
}

export const bitwiseEntries: { readonly [P in BitwisePrim]: OnnxEntry<P> } = {
  xor: { lower: (g, [a, b]) => [bitwiseOp(g, 'xor', 'BitwiseXor', [a.name, b.name])] },
  shift_left: { lower: (g, [a, b]) => [shift(g, a.name, b.name, 'LEFT')] },
  shift_right_logical: { lower: (g, [a, b]) => [shift(g, a.name, b.name, 'RIGHT')] },
  // a >> b = ~(~a >>> b) for a < 0: flip the word, shift logically, flip back.
  shift_right_arithmetic: {
    lower: (g, [a, b]) => {
      needOpset18(g, 'shift_right_arithmetic')
      const fill = g.op('Where', [g.op('Less', [a.name, g.scalar('int32', 0)]), g.scalar('int32', -1), g.scalar('int32', 0)])
      const flipped = g.op('BitwiseXor', [a.name, fill])
      return [g.op('BitwiseXor', [shift(g, flipped, b.name, 'RIGHT'), fill])]
    },
  },
}
