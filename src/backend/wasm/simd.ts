/**
 * Backend layer (wasm): a value-level view of SIMD code. Each operation reads its operands
 * from locals (or inline v128 constants) and writes a fresh v128 local, so the math
 * emitters read like straight-line code; V8's optimizing tier turns the locals into SSA.
 *
 * `Kernel` is the module under construction as the emitters see it: the function being
 * written, plus helper functions and constant tables that are added on first use.
 */
import { type FuncRef, type FunctionBuilder, type LaneOp, type Local, ModuleBuilder, type Op, type ValType } from './encode'
import { RESERVED } from './arena'

/** An inline constant, splat across the lanes of its shape. */
export type Konst =
  | { readonly kind: 'f32x4' | 'f64x2' | 'i32x4' | 'i32'; readonly v: number }
  | { readonly kind: 'i64x2'; readonly v: bigint }
export type Arg = Local | Konst

export const f32c = (v: number): Konst => ({ kind: 'f32x4', v })
export const f64c = (v: number): Konst => ({ kind: 'f64x2', v })
export const i32c = (v: number): Konst => ({ kind: 'i32x4', v })
export const i64c = (v: bigint): Konst => ({ kind: 'i64x2', v })
/** A scalar i32 immediate (shift counts of the SIMD shifts). */
export const sh = (v: number): Konst => ({ kind: 'i32', v })

const isLocal = (a: Arg): a is Local => 'index' in a

/** Helpers a module may need, each added at most once: functions we write, and host
 *  functions imported from `HOST_IMPORTS` (module "host"). */
export type HelperName = 'reduceLargeF32' | 'sin' | 'cos' | `math:${string}`

/** The host functions a kernel may import; pass as `{ host: HOST_IMPORTS }` when instantiating. */
export const HOST_IMPORTS = { sin: Math.sin, cos: Math.cos } as const

/** Constant tables in the reserved low memory (see arena.ts): name → byte offset. */
const TABLES = {
  /** 4/π to 192 bits, one 32-bit window every 8 bits (glibc's __inv_pio4), for float32 sin/cos. */
  invPio4: 64,
} as const

/** The module under construction: helper functions and tables are added when first used. */
export class Kernel {
  readonly module: ModuleBuilder
  private readonly helpers = new Map<HelperName, FuncRef>()

  constructor(opts: { shared?: boolean } = {}) {
    this.module = new ModuleBuilder().importMemory({
      module: 'env', name: 'memory', initialPages: 1,
      ...(opts.shared ? { maximumPages: 65536, shared: true } : {}),
    })
  }

  /** Index of a helper function, declaring and writing it (and its tables) the first time. */
  helper(name: HelperName, declare: (k: Kernel) => FuncRef): FuncRef {
    const have = this.helpers.get(name)
    if (have !== undefined) return have
    const index = declare(this)
    this.helpers.set(name, index)
    return index
  }

  /** Places a table in reserved memory (idempotent: every module writes the same bytes). */
  table(name: keyof typeof TABLES, bytes: readonly number[]): number {
    const off = TABLES[name]
    if (off + bytes.length > RESERVED) throw new Error(`internal: table ${name} does not fit in reserved memory`)
    this.module.dataAt(off, bytes)
    return off
  }

  /** Declares an exported function. */
  func(name: string, params: readonly ValType[], results: readonly ValType[] = []): FunctionBuilder {
    return this.module.func(params, results, name)[1]
  }

  bytes(): Uint8Array { return this.module.bytes() }
}

/** Straight-line SIMD code into one function. */
export class Simd {
  /** `arith(this, t)` per lane shape, made on first use (see `arith`). */
  readonly ariths: { f32x4?: Arith; f64x2?: Arith } = {}

  constructor(readonly f: FunctionBuilder, readonly kernel: Kernel) {}

  push(a: Arg): void {
    if (isLocal(a)) { this.f.get(a); return }
    switch (a.kind) {
      case 'f32x4': this.f.f32x4(a.v); break
      case 'f64x2': this.f.f64x2(a.v); break
      case 'i32x4': this.f.i32x4(a.v); break
      case 'i64x2': this.f.i64x2(a.v); break
      case 'i32': this.f.i32(a.v); break
    }
  }

  /** Pops the top of the stack into a fresh local of `type`. */
  pop(type: ValType = 'v128'): Local {
    const l = this.f.local(type)
    this.f.set(l)
    return l
  }

  /** `name` applied to `args` (pushed in order), result in a fresh v128 local. */
  op(name: Op, ...args: Arg[]): Local {
    // indexed: this runs in cold code on a first call, where a for-of allocates an iterator result per element
    for (let i = 0; i < args.length; i++) this.push(args[i])
    this.f.op(name)
    return this.pop()
  }

  /** Like `op`, for an instruction whose result is not a v128. */
  opT(type: ValType, name: Op, ...args: Arg[]): Local {
    for (let i = 0; i < args.length; i++) this.push(args[i])
    this.f.op(name)
    return this.pop(type)
  }

  lane(name: LaneOp, lane: number, ...args: Arg[]): Local {
    for (let i = 0; i < args.length; i++) this.push(args[i])
    this.f.lane(name, lane)
    return this.pop(name.endsWith('replace_lane') ? 'v128' : name.startsWith('f64') ? 'f64' : name.startsWith('f32') ? 'f32' : name.startsWith('i64') ? 'i64' : 'i32')
  }

  shuffle(lanes: readonly number[], a: Arg, b: Arg): Local {
    this.push(a)
    this.push(b)
    this.f.shuffle(lanes)
    return this.pop()
  }

  /** mask ? t : e, lane by lane (mask lanes are all ones or all zeros). */
  sel(mask: Arg, t: Arg, e: Arg): Local { return this.op('v128.bitselect', t, e, mask) }

  /** A copy of a value in a fresh local (for values reassigned in a loop). */
  copy(a: Arg): Local { this.push(a); return this.pop() }

  /** Assigns `a` to an existing local. */
  assign(dst: Local, a: Arg): void { this.push(a); this.f.set(dst) }
}

/** Float lane type helpers shared by the f32x4 and f64x2 emitters. */
export type Lanes = 'f32x4' | 'f64x2'

export const konst = (t: Lanes, v: number): Konst => (t === 'f32x4' ? f32c(v) : f64c(v))

/** Horner's rule: c[0]·xⁿ + … + c[n], coefficients highest degree first. */
export const horner = (s: Simd, t: Lanes, x: Arg, coeffs: readonly number[]): Local => {
  const add = `${t}.add` as const, mul = `${t}.mul` as const
  let acc: Arg = konst(t, coeffs[0])
  for (let i = 1; i < coeffs.length; i++) acc = s.op(add, s.op(mul, acc, x), konst(t, coeffs[i]))
  return isLocal(acc) ? acc : s.copy(acc)
}

/** The float operations of one lane shape, bound to a `Simd`. Made once per emitter and lane
 *  shape: every lowered expression and math routine asks for them, and they are some twenty
 *  closures. */
export const arith = (s: Simd, t: Lanes): Arith => (s.ariths[t] ??= makeArith(s, t))

const makeArith = (s: Simd, t: Lanes) => {
  // (each instruction's name is made once here, not on every call)
  const bin = (name: 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max' | 'pmin' | 'pmax' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge') => {
    const op = `${t}.${name}` as const
    return (a: Arg, b: Arg): Local => s.op(op, a, b)
  }
  const un = (name: 'abs' | 'neg' | 'sqrt' | 'floor' | 'ceil' | 'trunc' | 'nearest') => {
    const op = `${t}.${name}` as const
    return (a: Arg): Local => s.op(op, a)
  }
  return {
    add: bin('add'), sub: bin('sub'), mul: bin('mul'), div: bin('div'), min: bin('min'), max: bin('max'),
    pmin: bin('pmin'), pmax: bin('pmax'),
    eq: bin('eq'), ne: bin('ne'), lt: bin('lt'), le: bin('le'), gt: bin('gt'), ge: bin('ge'),
    abs: un('abs'), neg: un('neg'), sqrt: un('sqrt'), floor: un('floor'), ceil: un('ceil'), trunc: un('trunc'), nearest: un('nearest'),
    and: (a: Arg, b: Arg): Local => s.op('v128.and', a, b),
    or: (a: Arg, b: Arg): Local => s.op('v128.or', a, b),
    xor: (a: Arg, b: Arg): Local => s.op('v128.xor', a, b),
    andnot: (a: Arg, b: Arg): Local => s.op('v128.andnot', a, b),
    sel: (m: Arg, a: Arg, b: Arg): Local => s.sel(m, a, b),
    c: (v: number): Konst => konst(t, v),
    horner: (x: Arg, coeffs: readonly number[]): Local => horner(s, t, x, coeffs),
  }
}
export type Arith = ReturnType<typeof makeArith>
