/**
 * Taylor-mode rules: linear and structural primitives (applied to each coefficient, integer
 * operands such as indices taken from the primal), integer-valued primitives (zero series),
 * reductions, contractions, sorting and linear algebra.
 */
import { NonDifferentiableError } from '../core/errors'
import { Zero, isZero } from '../core/rules'
import { type Tracer, bind } from '../core/tracer'
import { isFloat } from '../ir/dtypes'
import type { BinaryPrim, BitwisePrim, PrimName, UnaryPrim } from '../ir/params'
import { type Coef, type JetRule, type JetRuleTable, type Series, isZeroSeries, jetFromJvp, sumCoefs, zeroSeries } from '../interpret/jet'
import { dotGeneral } from '../primitives/dot'
import { takeAlongAxis } from '../primitives/gather'
import { iota } from '../primitives/shape'
import { sort } from '../primitives/sort'
import { instantiate } from '../primitives/util'

/**
 * A primitive linear in its float operands jointly (its integer operands — indices, a
 * predicate — fixed): y_k = prim(x_k) for every k, with the primal's integer operands.
 */
export const linearRule =
  <P extends PrimName>(prim: P): JetRule<P> =>
  (primals, series, params, K) => {
    const outs = bind(prim, primals, params)
    const floatIn = primals.map((p) => isFloat(p.dtype))
    const seriesOut: Coef[][] = outs.map(() => [])
    for (let k = 0; k < K; k++) {
      const cs = series.map((s) => s[k])
      if (cs.every((c, i) => !floatIn[i] || isZero(c))) {
        outs.forEach((o, j) => seriesOut[j].push(new Zero(o.aval)))
        continue
      }
      const args = primals.map((p, i) => (floatIn[i] ? instantiate(cs[i]) : p))
      bind(prim, args, params).forEach((y, j) => seriesOut[j].push(y))
    }
    return [outs, seriesOut]
  }

/** A primitive whose outputs are piecewise constant or integer: zero series. */
export const zeroRule =
  <P extends PrimName>(prim: P): JetRule<P> =>
  (primals, _series, params, K) => {
    const outs = bind(prim, primals, params)
    return [outs, outs.map((o) => zeroSeries(o.aval, K))]
  }

const bitwise = (prim: BitwisePrim) => zeroRule(prim)

/** dot_general is bilinear: (a·b)_k = Σ_{i=0}^{k} dot(a_i, b_{k−i}). */
const dotRule: JetRule<'dot_general'> = ([a, b], [sa, sb], p, K) => {
  const dot = (x: Tracer, y: Tracer) => dotGeneral(x, y, p.dimensionNumbers, p.preferredElementType)
  const y0 = dot(a, b)
  const fa: Coef[] = [a, ...sa]
  const fb: Coef[] = [b, ...sb]
  const out: Series = Array.from({ length: K }, (_, m) => {
    const k = m + 1
    const terms: Coef[] = []
    for (let i = 0; i <= k; i++) {
      const [x, y] = [fa[i], fb[k - i]]
      if (!isZero(x) && !isZero(y)) terms.push(dot(x, y))
    }
    return sumCoefs(terms, y0.aval)
  })
  return [[y0], [out]]
}

/** sort: every coefficient follows the permutation of the primal sort (an iota sorted along). */
const sortRule: JetRule<'sort'> = (primals, series, p) => {
  const ys = sort([...primals, iota('int32', primals[0].shape, p.dimension)], p.dimension, p.numKeys)
  const perm = ys.pop() as Tracer
  return [ys, series.map((s) => s.map((c) => (isZero(c) ? c : takeAlongAxis(c, perm, p.dimension))))]
}

/**
 * The linear map of a customVjp function at a point (inputs: bwdConsts, residuals, tangents):
 * linear in the tangents, so applied to each of their coefficients. A series in the point
 * itself would need the function's higher derivatives, which a customVjp rule does not give.
 */
const customVjpLinRule: JetRule<'custom_vjp_lin'> = (primals, series, p, K) => {
  const fixed = p.bwdNumConsts + p.numResiduals
  if (series.slice(0, fixed).some((s) => !isZeroSeries(s))) {
    throw new NonDifferentiableError(
      `jet of the linearization of customVjp function ${p.name} at a point that itself moves: its rule gives first derivatives only. ` +
        'Take the jet of the original function instead (it follows the primal body), or use customJvp.',
    )
  }
  const outs = bind('custom_vjp_lin', primals, p)
  const seriesOut: Coef[][] = outs.map(() => [])
  for (let k = 0; k < K; k++) {
    const ts = series.slice(fixed).map((s) => s[k])
    if (ts.every(isZero)) outs.forEach((o, j) => seriesOut[j].push(new Zero(o.aval)))
    else bind('custom_vjp_lin', [...primals.slice(0, fixed), ...ts.map(instantiate)], p).forEach((y, j) => seriesOut[j].push(y))
  }
  return [outs, seriesOut]
}

export const structuralJetRules: Omit<
  JetRuleTable,
  | UnaryPrim
  | BinaryPrim
  | 'integer_pow' | 'jit' | 'custom_jvp_call' | 'custom_vjp_call' | 'checkpoint' | 'cond' | 'while' | 'scan'
> = {
  xor: bitwise('xor'),
  shift_left: bitwise('shift_left'),
  shift_right_logical: bitwise('shift_right_logical'),
  shift_right_arithmetic: bitwise('shift_right_arithmetic'),
  select_n: linearRule('select_n'),
  convert_element_type: linearRule('convert_element_type'),
  broadcast_in_dim: linearRule('broadcast_in_dim'),
  reshape: linearRule('reshape'),
  transpose: linearRule('transpose'),
  squeeze: linearRule('squeeze'),
  reduce_sum: linearRule('reduce_sum'),
  // max/min: the coefficients at the arg-extremum (ties averaged, as the jvp): from the jvp rule,
  // which is linear in the tangent with a primal-dependent mask, so O(K²).
  reduce_max: jetFromJvp('reduce_max'),
  reduce_min: jetFromJvp('reduce_min'),
  reduce_prod: jetFromJvp('reduce_prod'),
  argmax: zeroRule('argmax'),
  argmin: zeroRule('argmin'),
  dot_general: dotRule,
  slice: linearRule('slice'),
  dynamic_slice: linearRule('dynamic_slice'),
  dynamic_update_slice: linearRule('dynamic_update_slice'),
  pad: linearRule('pad'),
  concatenate: linearRule('concatenate'),
  gather: linearRule('gather'),
  scatter_add: linearRule('scatter_add'),
  iota: zeroRule('iota'),
  cumsum: linearRule('cumsum'),
  sort: sortRule,
  // Linear algebra: derived from the jvp rules (documented fallback; O(K³) in the order).
  cholesky: jetFromJvp('cholesky'),
  triangular_solve: jetFromJvp('triangular_solve'),
  lu: jetFromJvp('lu'),
  eigh: jetFromJvp('eigh'),
  svd: jetFromJvp('svd'),
  qr: jetFromJvp('qr'),
  // Implicit differentiation: the jvp rules bind the solve / root again (the solver itself is
  // never differentiated), so the derived rule is the implicit-function series.
  custom_linear_solve: jetFromJvp('custom_linear_solve'),
  custom_root: jetFromJvp('custom_root'),
  // A host callback sees the primals (as under jvp) and has no outputs to carry a series.
  debug_callback: (primals, _series, params) => [bind('debug_callback', primals, params), []],
  // A convolution is bilinear (the rule derived from its product-rule jvp is the Cauchy
  // product); a window sum is linear; a window max/min follows its extremum's coefficients.
  conv_general_dilated: jetFromJvp('conv_general_dilated'),
  reduce_window_sum: linearRule('reduce_window_sum'),
  reduce_window_max: jetFromJvp('reduce_window_max'),
  reduce_window_min: jetFromJvp('reduce_window_min'),
  custom_vjp_lin: customVjpLinRule,
}
