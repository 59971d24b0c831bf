/**
 * Interpreters: staging. A `JaxprTrace` records every primitive applied to its tracers as an
 * equation; `traceToJaxpr` runs a function on abstract inputs and returns the jaxpr with its
 * constants (concrete arrays, or tracers of outer transformations that the function closed
 * over). Staging is *dynamic*: while it runs, even binds of constants only are recorded.
 */
import { type ConcreteArray, isConcrete } from '../core/array'
import { rulesOf } from '../core/rules'
import { checkBuilt } from './check'
import { type MainTrace, Trace, Tracer, fullRaise, withDynamic, withMain } from '../core/tracer'
import type { ShapedArray } from '../ir/aval'
import { type Atom, ClosedJaxpr, type Eqn, Jaxpr, Lit, Var, deepFreeze } from '../ir/jaxpr'
import type { ParamsMap, PrimName } from '../ir/params'
import { EqnTable, type Operand } from '../ir/eqnkey'
import { hasEffects } from '../ir/effects'
import { isFloat } from '../ir/dtypes'

/** A value of a staging run: the variable it is bound to, and for a constant its value. */
// (fields declared and assigned in the constructor: a class field would define each one twice
// per object — to undefined, then assigned — for every tracer and equation staged)
export class JaxprTracer extends Tracer {
  declare readonly _trace: JaxprTrace
  declare readonly aval: ShapedArray
  declare readonly constValue: Tracer | null
  declare readonly variable: Var
  constructor(_trace: JaxprTrace, aval: ShapedArray, constValue: Tracer | null = null, variable?: Var) {
    super()
    this._trace = _trace
    this.aval = aval
    this.constValue = constValue
    this.variable = variable ?? new Var(aval)
  }
}

/** Collects the equations and constants of one staging run. */
export class JaxprBuilder {
  readonly eqns: Eqn[] = []
  /** constant value → its tracer in this trace (so one constant gets one constVar) */
  readonly constTracers = new Map<Tracer, JaxprTracer>()
  readonly constVals = new Map<Var, Tracer>()
  /** equation → its output variables: staging computes each value once (see `processPrimitive`;
   *  variables, not tracers, so that tracers nobody holds any more die young) */
  readonly recorded = new EqnTable<readonly Var[]>()
  /** constant variable → the literal it is inlined as (a 0-d concrete constant is one: `build`) */
  private readonly literals = new Map<Var, Lit>()

  /** The literal that the variable `v` of the 0-d concrete constant `c` is inlined as. */
  literalOf(v: Var, c: ConcreteArray): Lit {
    let l = this.literals.get(v)
    if (l === undefined) this.literals.set(v, (l = new Lit(c.item(), c.dtype, c.weakType)))
    return l
  }

  getVar(t: Tracer): Var {
    if (!(t instanceof JaxprTracer) || t._trace.builder !== this) throw new Error('internal: tracer from another staging run')
    return t.variable
  }

  /** Build the jaxpr for `ins` → `outs`; 0-d concrete constants are inlined as literals (the
   *  equations that read one were recorded with it: `processPrimitive`). */
  build(ins: readonly Tracer[], outs: readonly Tracer[]): ClosedJaxpr<Tracer> {
    const constVars: Var[] = []
    const consts: Tracer[] = []
    this.constVals.forEach((val, v) => {
      if (isConcrete(val) && val.ndim === 0) {
        this.literalOf(v, val)
      } else {
        constVars.push(v)
        consts.push(val)
      }
    })
    const sub = (a: Atom): Atom => (a._tag === 'Var' ? (this.literals.get(a) ?? a) : a)
    const jaxpr = new Jaxpr(constVars, ins.map((t) => this.getVar(t)), this.eqns, outs.map((t) => sub(this.getVar(t))))
    return new ClosedJaxpr(checkBuilt(jaxpr, 'staging'), consts)
  }
}

export class JaxprTrace extends Trace {
  get builder(): JaxprBuilder {
    return this.main.globalData as JaxprBuilder
  }
  newArg(aval: ShapedArray): JaxprTracer {
    return new JaxprTracer(this, aval)
  }
  /** A value from outside (a concrete array or an outer tracer) becomes a constant. */
  lift(x: Tracer): Tracer {
    const b = this.builder
    let t = b.constTracers.get(x)
    if (t === undefined) {
      t = new JaxprTracer(this, x.aval, x)
      b.constTracers.set(x, t)
      b.constVals.set(t.variable, x)
    }
    return t
  }
  /**
   * Record one equation — unless the same primitive was already recorded on the same operands
   * with equal params, in which case its outputs are returned (staging-time CSE). Primitives are
   * pure, so this changes no value; it keeps nested differentiation from growing with
   * recomputations of the same primal (grad⁽ᵏ⁾ re-evaluates sin x, cos x at every level), and
   * every later level then differentiates the smaller program.
   * (Every primitive a transformation stages passes here: plain loops, no per-call closures.)
   */
  processPrimitive<P extends PrimName>(prim: P, tracers: readonly Tracer[], params: ParamsMap[P]): Tracer[] {
    const b = this.builder
    const n = tracers.length
    const vars = new Array<Var>(n)
    const avalsIn = new Array<ShapedArray>(n)
    // the operands that are 0-d concrete constants of this trace (they fold, and key by value);
    // null while there is none (most equations: no list made)
    let consts: (ConcreteArray | null)[] | null = null
    let allConst = true
    for (let i = 0; i < n; i++) {
      const t = tracers[i]
      if (!(t instanceof JaxprTracer) || t._trace !== this) throw new Error('internal: tracer from another staging run')
      vars[i] = t.variable
      avalsIn[i] = t.aval
      const c = t.constValue
      if (c !== null && isConcrete(c) && c.ndim === 0) {
        if (consts === null) consts = new Array<ConcreteArray | null>(n).fill(null)
        consts[i] = c
      } else {
        allConst = false
      }
    }
    let avalsOut: ShapedArray[] | null = null
    if (STAGING_FOLDABLE.has(prim)) {
      // (a structural primitive of a 0-d constant makes an array: it stays an equation)
      if (allConst && consts !== null && !STRUCTURAL.has(prim)) {
        const ys = rulesOf(prim).impl(consts as ConcreteArray[], params)
        const lifted = new Array<Tracer>(ys.length)
        for (let i = 0; i < ys.length; i++) lifted[i] = this.lift(ys[i])
        return lifted
      }
      avalsOut = rulesOf(prim).abstractEval(avalsIn, params)
      const k = forwardedOperand(prim, consts, avalsIn, avalsOut[0], params)
      if (k >= 0) return [tracers[k]]
    }
    // (frozen before the table keys them: a frozen object's key is kept with it, so the later
    // re-traces of the equation — jvp, vmap of its jaxpr — do not key its params again)
    deepFreeze(params)
    const slot = hasEffects(prim, params) ? null : b.recorded.slot(prim, consts === null ? vars : operands(vars, consts), params)
    const seen = slot?.value
    if (seen !== undefined) {
      const again = new Array<Tracer>(seen.length)
      for (let i = 0; i < seen.length; i++) again[i] = new JaxprTracer(this, seen[i].aval, null, seen[i])
      return again
    }
    avalsOut ??= rulesOf(prim).abstractEval(avalsIn, params)
    const outs = new Array<JaxprTracer>(avalsOut.length)
    const outVars = new Array<Var>(avalsOut.length)
    for (let i = 0; i < avalsOut.length; i++) {
      outs[i] = new JaxprTracer(this, avalsOut[i])
      outVars[i] = outs[i].variable
    }
    // (a 0-d concrete constant is read as the literal it becomes)
    let inputs: Atom[] = vars
    if (consts !== null) {
      inputs = new Array<Atom>(n)
      for (let i = 0; i < n; i++) {
        const c = consts[i]
        inputs[i] = c === null ? vars[i] : b.literalOf(vars[i], c)
      }
    }
    const eqn = new StagedEqn(prim, Object.freeze(inputs), params, Object.freeze(outVars))
    b.eqns.push(eqn)
    if (slot !== null) slot.value = outVars
    return outs
  }
}

/**
 * Exact rewrites worth doing before an equation exists (the optimizer would remove it later,
 * but nested transformations would first differentiate it again at every level):
 *   arithmetic on 0-d concrete constants only → its value (by the primitive's own impl, in
 *   `processPrimitive`);
 *   x·1, 1·x, x/1, x + 0 (integer 0 or float −0), x − (+0) → x, a convert_element_type, a
 *   reshape, a broadcast or a transpose that changes nothing → x, and select_n on a constant
 *   predicate → the case it picks, when x (the case) already has the output's aval (shape,
 *   dtype and weak type), so the result is bit-for-bit x.
 * Returns the index of the operand the result equals bit for bit, or -1 (the equation is to be
 * recorded, with the output avals computed on the way).
 */
const forwardedOperand = (
  prim: PrimName,
  consts: readonly (ConcreteArray | null)[] | null,
  avalsIn: readonly ShapedArray[],
  outAval: ShapedArray,
  params: unknown,
): number => {
  const n = avalsIn.length
  let k = -1
  switch (prim) {
    case 'mul':
      k = consts === null ? -1 : isOne(consts[1]) ? 0 : isOne(consts[0]) ? 1 : -1
      break
    case 'add': {
      // x + z = x for every x when z is an integer 0 or a float −0 (a float +0 turns −0 into +0)
      const float = isFloat(outAval.dtype)
      k = consts === null ? -1 : neutralAdd(consts[1], float) ? 0 : neutralAdd(consts[0], float) ? 1 : -1
      break
    }
    case 'sub':
      // x − 0 = x for every x when 0 is +0 (or an integer 0)
      k = consts !== null && consts[1] !== null && Object.is(consts[1].item(), 0) ? 0 : -1
      break
    // structural no-ops: a reshape to its own shape, a broadcast or transpose that keeps every axis in place
    case 'reshape':
      k = 0
      break
    case 'broadcast_in_dim':
      k = isIdentity((params as ParamsMap['broadcast_in_dim']).broadcastDimensions) ? 0 : -1
      break
    case 'transpose':
      k = isIdentity((params as ParamsMap['transpose']).permutation) ? 0 : -1
      break
    case 'div':
      k = consts !== null && isOne(consts[1]) ? 0 : -1
      break
    case 'convert_element_type':
      k = 0
      break
    case 'select_n': {
      // a constant predicate picks its case
      const which = consts === null ? null : consts[0]
      const c = which === null ? -1 : which.item()
      k = c >= 0 && c < n - 1 ? c + 1 : -1
      break
    }
  }
  return k >= 0 && sameAval(avalsIn[k], outAval) ? k : -1
}

/**
 * An equation recorded by `processPrimitive`, frozen, with the fields of any other (a pass that
 * rewrites one makes a plain equation). Its output avals are, by construction, its primitive's
 * abstract evaluation of its input avals (a literal's is its constant's) and params, and all of
 * these are frozen (Var, its aval and shape, the equation and its params), so that stays true:
 * the backend's validation need not evaluate them again. (The class marks it: a WeakSet of
 * equations would cost an entry, and time, per equation staged.)
 */
class StagedEqn<P extends PrimName> implements Eqn<P> {
  declare readonly prim: P
  declare readonly inputs: readonly Atom[]
  declare readonly params: ParamsMap[P]
  declare readonly outVars: readonly Var[]
  constructor(prim: P, inputs: readonly Atom[], params: ParamsMap[P], outVars: readonly Var[]) {
    this.prim = prim
    this.inputs = inputs
    this.params = params
    this.outVars = outVars
    Object.freeze(this)
  }
}

/** Was `e` made by staging, its outputs' avals computed by its primitive's abstract evaluation? */
export const isStagedEqn = (e: Eqn): boolean => e instanceof StagedEqn

/** The operands as the CSE table keys them: a 0-d concrete constant by its value (it becomes
 *  a literal), anything else by its variable. */
const operands = (vars: readonly Var[], consts: readonly (ConcreteArray | null)[]): Operand[] => {
  const ops = new Array<Operand>(vars.length)
  for (let i = 0; i < vars.length; i++) {
    const c = consts[i]
    ops[i] = c === null ? vars[i] : { dtype: c.dtype, weakType: c.weakType, value: c.item() }
  }
  return ops
}

const isOne = (c: ConcreteArray | null): boolean => c !== null && c.item() === 1
const neutralAdd = (c: ConcreteArray | null, float: boolean): boolean => {
  if (c === null) return false
  const x = c.item()
  return x === 0 && (!float || Object.is(x, -0))
}
const isIdentity = (dims: readonly number[]): boolean => {
  for (let i = 0; i < dims.length; i++) if (dims[i] !== i) return false
  return true
}

/** Elementwise arithmetic that is exact and cheap enough to evaluate while staging (rules
 *  compare and select on constants too: pow's jvp asks whether its exponent is 0). */
const STAGING_FOLDABLE: ReadonlySet<PrimName> = new Set<PrimName>([
  'mul', 'div', 'add', 'sub', 'neg', 'convert_element_type',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'not', 'max', 'min', 'select_n',
  'reshape', 'broadcast_in_dim', 'transpose',
])
const STRUCTURAL: ReadonlySet<PrimName> = new Set<PrimName>(['reshape', 'broadcast_in_dim', 'transpose'])

const sameAval = (a: ShapedArray, b: ShapedArray): boolean => {
  if (a.dtype !== b.dtype || a.weakType !== b.weakType || a.shape.length !== b.shape.length) return false
  for (let i = 0; i < a.shape.length; i++) if (a.shape[i] !== b.shape[i]) return false
  return true
}

/**
 * Trace `f` on abstract inputs of the given avals. `f` receives tracers and returns a list of
 * arrays (JS numbers are lifted by the caller's flattening).
 */
export const traceToJaxpr = (
  f: (...xs: Tracer[]) => readonly Tracer[],
  inAvals: readonly ShapedArray[],
): ClosedJaxpr<Tracer> =>
  withMain(JaxprTrace, new JaxprBuilder(), (main: MainTrace) =>
    withDynamic(main, () => {
      const trace = main.trace() as JaxprTrace
      const ins = inAvals.map((a) => trace.newArg(a))
      const outs = f(...ins).map((o) => fullRaise(trace, o))
      return trace.builder.build(ins, outs)
    }),
  )
