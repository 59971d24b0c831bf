/**
 * IR layer: the text form of a jaxpr (stable; snapshot-tested).
 *
 *   { lambda a:f64[3] b:f64[] .
 *     let c:f64[3] = mul a b
 *         d:f64[] = reduce_sum[axes=(0,)] c
 *     in ( d ) }
 *
 * Variables are named a, b, …, z, ba, bb, … in order of appearance; constants come before `;`.
 */
import { avalStr } from './aval'
import type { Atom, Eqn, Jaxpr, Lit, Var } from './jaxpr'

const varName = (n: number): string => {
  let s = ''
  do {
    s = String.fromCharCode(97 + (n % 26)) + s
    n = Math.floor(n / 26)
  } while (n > 0)
  return s
}

/** Numbers in the closed formats the text form and code generators use. */
export const formatNumber = (x: number, isFloat: boolean): string => {
  if (Number.isNaN(x)) return 'nan'
  if (x === Infinity) return 'inf'
  if (x === -Infinity) return '-inf'
  if (Object.is(x, -0)) return isFloat ? '-0.0' : '0'
  const s = String(x)
  return isFloat && Number.isInteger(x) && !s.includes('e') ? `${s}.0` : s
}

/** A literal as the text form shows it: `2.0`, `3`, `true`. */
export const litStr = (l: Lit): string => {
  const d = l.aval.dtype
  if (d === 'bool') return l.value ? 'true' : 'false'
  return formatNumber(l.value, d === 'float32' || d === 'float64')
}

class Namer {
  private readonly names = new Map<Var, string>()
  constructor(private next = 0) {}
  name(v: Var): string {
    let n = this.names.get(v)
    if (n === undefined) {
      n = varName(this.next++)
      this.names.set(v, n)
    }
    return n
  }
  atom(a: Atom): string {
    return a._tag === 'Var' ? this.name(a) : litStr(a)
  }
  binder(v: Var): string {
    return `${this.name(v)}:${avalStr(v.aval)}`
  }
}

const isJaxpr = (x: unknown): x is Jaxpr =>
  typeof x === 'object' && x !== null && 'eqns' in x && 'inVars' in x && 'outs' in x

export const formatParam = (x: unknown, indent: string): string => {
  if (isJaxpr(x)) return printJaxpr(x, indent + '  ')
  if (Array.isArray(x)) {
    const items = x.map((v) => formatParam(v, indent))
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`
  }
  if (typeof x === 'number') return formatNumber(x, !Number.isInteger(x))
  if (x === null) return 'None'
  if (typeof x === 'object') {
    if ('shape' in x && 'dtype' in x && 'weakType' in x) return avalStr(x as never)
    return `{${Object.entries(x as object).map(([k, v]) => `${k}=${formatParam(v, indent)}`).join(' ')}}`
  }
  return String(x)
}

const formatEqn = (e: Eqn, namer: Namer, indent: string): string => {
  const outs = e.outVars.map((v) => namer.binder(v)).join(' ')
  const entries = Object.entries(e.params as object)
  const params = entries.length === 0 ? '' : `[${entries.map(([k, v]) => `${k}=${formatParam(v, indent + '        ')}`).join(' ')}]`
  const ins = e.inputs.map((a) => namer.atom(a)).join(' ')
  return `${outs} = ${e.prim}${params}${ins ? ' ' + ins : ''}`
}

export const printJaxpr = (j: Jaxpr, indent = ''): string => {
  const namer = new Namer()
  const consts = j.constVars.map((v) => namer.binder(v)).join(' ')
  const ins = j.inVars.map((v) => namer.binder(v)).join(' ')
  const head = `{ lambda ${consts ? consts + ' ; ' : ''}${ins}${ins ? ' ' : ''}.`
  const lines = j.eqns.map((e) => formatEqn(e, namer, indent))
  const outs = `( ${j.outs.map((a) => namer.atom(a)).join(' ')} ) }`
  if (lines.length === 0) return `${head}\n${indent}  in ${outs}`
  const body = lines.map((l, i) => `${indent}  ${i === 0 ? 'let ' : '    '}${l}`).join('\n')
  return `${head}\n${body}\n${indent}  in ${outs}`
}

/**
 * The names `printJaxpr` gives `j`'s variables (a, b, … in the same order of appearance), for
 * tools that show a jaxpr another way (src/graph). A sub-jaxpr in params is named on its own,
 * from `a` again, as the text form does.
 */
export const varNames = (j: Jaxpr): ReadonlyMap<Var, string> => {
  const namer = new Namer()
  const names = new Map<Var, string>()
  const see = (a: Atom): void => {
    if (a._tag === 'Var') names.set(a, namer.name(a))
  }
  j.constVars.forEach(see)
  j.inVars.forEach(see)
  for (const e of j.eqns) {
    e.outVars.forEach(see)
    e.inputs.forEach(see)
  }
  j.outs.forEach(see)
  return names
}
