/**
 * Backend, JS code generator: the template of every scalar op. Arguments are atoms (node
 * identifiers or number literals from the safe formatter), so a template may repeat them.
 *
 * Each template computes exactly what the primitive's impl computes for one element: in
 * double precision with Math.*, then rounded to the result dtype as a typed-array store would
 * round it (float32: Math.fround; int32: `| 0` wrapping; bool: 0/1). Compiled results therefore
 * equal the reference interpreter bit for bit. The one opt-in exception is the relaxed float32
 * mode (LEIBNIZ_FLOAT32=relaxed): float32 intermediates inside a kernel are then kept in double
 * and rounded only where they are stored (or explicitly cast).
 */
import type { DType } from '../../ir/dtypes'
import { CodegenError, checkDType, int } from '../emit'
import type { ScalarOp } from '../scalar'

/** Helper functions a template may call; emitted once at the top of a kernel that uses them. */
export const HELPERS = {
  // round half to even (unary.ts roundHalfEven)
  rhe: 'const rhe = (v) => { const r = Math.round(v); return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r };',
  // σ(v) without overflow (unary.ts logisticScalar)
  lgs: 'const lgs = (v) => { if (v >= 0) return 1 / (1 + Math.exp(-v)); const e = Math.exp(v); return e / (1 + e) };',
} as const
export type Helper = keyof typeof HELPERS

export interface Emitted {
  /** Statements computing temporaries (integer powers), placed before the node. */
  readonly pre: readonly string[]
  readonly expr: string
  readonly helpers: readonly Helper[]
}

const MATH1: Partial<Record<ScalarOp, string>> = {
  sin: 'Math.sin', cos: 'Math.cos', tan: 'Math.tan', asin: 'Math.asin', acos: 'Math.acos', atan: 'Math.atan',
  sinh: 'Math.sinh', cosh: 'Math.cosh', tanh: 'Math.tanh', exp: 'Math.exp', expm1: 'Math.expm1',
  log: 'Math.log', log1p: 'Math.log1p', sqrt: 'Math.sqrt', floor: 'Math.floor', ceil: 'Math.ceil',
}
const CMP: Partial<Record<ScalarOp, string>> = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' }
/** Float ops whose result is already exact in the operands' float32 format (no rounding). */
const EXACT = new Set<ScalarOp>(['neg', 'abs', 'sign', 'floor', 'ceil', 'round', 'stop_gradient', 'select', 'max', 'min'])

/** The ops this generator has a template for (a primitive lowering to anything else runs
 *  its impl instead). */
export const TEMPLATED: ReadonlySet<string> = new Set<string>([
  ...Object.keys(MATH1), ...Object.keys(CMP),
  'neg', 'rsqrt', 'abs', 'sign', 'round', 'logistic', 'not', 'stop_gradient', 'add', 'sub', 'mul', 'div',
  'pow', 'atan2', 'rem', 'max', 'min', 'and', 'or', 'ipow', 'select', 'cast',
])

const isF = (d: DType) => d === 'float64' || d === 'float32'

/** (one empty list for every template without statements or helpers: a first compilation makes
 *  thousands of these, in V8's interpreter, where a `[]` is a new array each time) */
const NONE: readonly never[] = []

const plain = (expr: string, helpers: readonly Helper[] = NONE): Emitted => ({ pre: NONE, expr, helpers })

/**
 * The expression of `op` with result dtype `dtype` over atoms `a` of dtypes `ad`. `tmp` names
 * the node (for temporaries of integer powers).
 */
export const emitOp = (op: ScalarOp, dtype: DType, a: readonly string[], ad: readonly DType[], attr: number, tmp: string, exactF32: boolean): Emitted => {
  checkDType(dtype)
  const e = emitRaw(op, dtype, a, ad, attr, tmp)
  // relaxed float32: intermediates stay double; only an explicit cast rounds (stores round too)
  if (dtype === 'float32' && (exactF32 || op === 'cast') && !EXACT.has(op) && !(op === 'cast' && ad[0] === 'float32')) {
    return { pre: e.pre, expr: `Math.fround(${e.expr})`, helpers: e.helpers }
  }
  return e
}

const arity = (op: ScalarOp, a: readonly string[], n: number): void => {
  if (a.length !== n) throw new CodegenError(`codegen: ${op} takes ${n} operands, got ${a.length}`)
}

const emitRaw = (op: ScalarOp, dtype: DType, a: readonly string[], ad: readonly DType[], attr: number, tmp: string): Emitted => {
  // (indexed, not `const [x, y] = a`: cold, a destructuring walks an iterator)
  const x = a[0]
  const y = a[1]
  const intRes = dtype === 'int32'
  const m = MATH1[op]
  if (m !== undefined) {
    arity(op, a, 1)
    return plain(`${m}(${x})`)
  }
  const c = CMP[op]
  if (c !== undefined) {
    arity(op, a, 2)
    return plain(`(${x} ${c} ${y} ? 1 : 0)`)
  }
  switch (op) {
    case 'neg': arity(op, a, 1); return plain(intRes ? `(-${x} | 0)` : `(-${x})`)
    case 'rsqrt': arity(op, a, 1); return plain(`(1 / Math.sqrt(${x}))`)
    case 'abs': arity(op, a, 1); return plain(intRes ? `(Math.abs(${x}) | 0)` : `Math.abs(${x})`)
    case 'sign': arity(op, a, 1); return plain(intRes ? `(${x} > 0 ? 1 : ${x} < 0 ? -1 : 0)` : `(${x} > 0 ? 1 : ${x} < 0 ? -1 : ${x} === 0 ? 0 : NaN)`)
    case 'round': arity(op, a, 1); return plain(`rhe(${x})`, ['rhe'])
    case 'logistic': arity(op, a, 1); return plain(`lgs(${x})`, ['lgs'])
    case 'not': arity(op, a, 1); return plain(dtype === 'bool' ? `(1 - ${x})` : `(~${x})`)
    case 'stop_gradient': arity(op, a, 1); return plain(x)
    case 'add': arity(op, a, 2); return plain(intRes ? `(${x} + ${y} | 0)` : `(${x} + ${y})`)
    case 'sub': arity(op, a, 2); return plain(intRes ? `(${x} - ${y} | 0)` : `(${x} - ${y})`)
    case 'mul': arity(op, a, 2); return plain(intRes ? `Math.imul(${x}, ${y})` : `(${x} * ${y})`)
    case 'div': arity(op, a, 2); return plain(intRes ? `(${y} === 0 ? -1 : Math.trunc(${x} / ${y}) | 0)` : `(${x} / ${y})`)
    case 'pow': arity(op, a, 2); return plain(`Math.pow(${x}, ${y})`)
    case 'atan2': arity(op, a, 2); return plain(`Math.atan2(${x}, ${y})`)
    case 'rem': arity(op, a, 2); return plain(intRes ? `(${y} === 0 ? ${x} : ${x} % ${y} | 0)` : `(${x} % ${y})`)
    case 'max':
    case 'min': {
      arity(op, a, 2)
      const cmp = op === 'max' ? '>' : '<'
      return plain(isF(dtype) ? `(${x} !== ${x} || ${y} !== ${y} ? NaN : ${x} ${cmp} ${y} ? ${x} : ${y})` : `(${x} ${cmp} ${y} ? ${x} : ${y})`)
    }
    case 'and': arity(op, a, 2); return plain(`(${x} & ${y})`)
    case 'or': arity(op, a, 2); return plain(`(${x} | ${y})`)
    case 'ipow': arity(op, a, 1); return ipow(x, attr, intRes, tmp)
    case 'select': return select(a, ad[0])
    case 'cast': arity(op, a, 1); return plain(cast(x, checkDType(ad[0]), dtype))
    default:
      throw new CodegenError(`codegen: no template for scalar op ${JSON.stringify(String(op).slice(0, 40))}`)
  }
}

/** x^y by the impl's repeated squaring: r = 1; b = x; for each bit of |y|: r ·= b if set, b ·= b. */
const ipow = (x: string, y: number, intRes: boolean, tmp: string): Emitted => {
  int(y)
  const mul = (p: string, q: string) => (intRes ? `Math.imul(${p}, ${q})` : `${p} * ${q}`)
  const pre: string[] = []
  let r: string | null = null
  let b = x
  let k = 0
  for (let e = Math.abs(y); e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) {
      const next = r === null ? (intRes ? `(${b} | 0)` : b) : mul(r, b)
      r = `${tmp}r${k}`
      pre.push(`const ${r} = ${next};`)
    }
    if (e > 1) {
      const nb = `${tmp}b${k}`
      pre.push(`const ${nb} = ${mul(b, b)};`)
      b = nb
    }
    k++
  }
  const res = r ?? '1'
  return { pre, expr: y < 0 ? `(1 / ${res})` : res, helpers: [] }
}

/** cases[clamp(which)]; a bool predicate chooses between two cases (false → the first). */
const select = (a: readonly string[], whichDtype: DType): Emitted => {
  if (a.length < 2) throw new CodegenError('codegen: select needs a predicate and at least one case')
  // case i is a[1 + i]
  const w = a[0]
  const n = a.length - 1
  if (n === 1) return plain(a[1])
  if (checkDType(whichDtype) === 'bool') return plain(`(${w} !== 0 ? ${a[2]} : ${a[1]})`)
  let expr = a[n]
  for (let i = n - 2; i >= 1; i--) expr = `${w} === ${int(i)} ? ${a[1 + i]} : ${expr}`
  return plain(`(${w} <= 0 ? ${a[1]} : ${expr})`)
}

/** castScalar: to float32 rounds, to int32 truncates (NaN → 0) and wraps, to bool is x ≠ 0. */
const cast = (x: string, from: DType, to: DType): string => {
  switch (to) {
    case 'float64': return x
    case 'float32': return from === 'float32' ? x : x // rounded by emitOp's Math.fround
    case 'int32': return isF(from) ? `(${x} | 0)` : x
    case 'bool': return `(${x} !== 0 ? 1 : 0)`
  }
}
