/**
 * Export layer (StableHLO): `exportStableHlo(f)(...exampleArgs)` — the traced, transformed
 * program as a StableHLO module in MLIR text, `func.func public @main`, for XLA, IREE and JAX
 * users. Arguments and results are in the flattened pytree order; a comment at the top names
 * them by pytree path (`arg0.w`, `out.loss`). Every value that reaches the text goes through
 * the whitelist of ./text.ts.
 */
import { ExportError } from '../../core/errors'
import { type Atom, type Jaxpr, isLit } from '../../ir/jaxpr'
import type { PrimName } from '../../ir/params'
import type { ExampleArgs, ExportableFn } from '../types'
import { traceForExport } from '../signature'
import { SHLO_TABLE, type ShloEntry, type ShloSub, refuseShlo } from './rules'
import { Block, Names, type Value, typeOf } from './text'

/** Options of `exportStableHlo`. */
export interface StableHloExportOptions {
  /** Run leibniz's simplification passes on the traced program first (default true). */
  readonly simplify?: boolean
}

const lowerJaxpr: ShloSub = (b: Block, jaxpr: Jaxpr, inputs: readonly Value[]): Value[] => {
  const env = new Map<unknown, Value>()
  jaxpr.inVars.forEach((v, i) => env.set(v, inputs[i]))
  const read = (a: Atom): Value => {
    if (isLit(a)) return b.constant([a.value], [], a.aval.dtype)
    const v = env.get(a)
    if (v === undefined) throw new Error('internal: exportStableHlo: unbound variable in a jaxpr')
    return v
  }
  for (const e of jaxpr.eqns) {
    const entry = SHLO_TABLE[e.prim] as ShloEntry<PrimName>
    if ('refuse' in entry) refuseShlo(e.prim, entry.refuse)
    else {
      const outs = entry.lower(b, e.inputs.map(read), e.params, e.outVars.map((v) => v.aval), lowerJaxpr)
      e.outVars.forEach((v, i) => env.set(v, outs[i]))
    }
  }
  return jaxpr.outs.map(read)
}

/** Names are built from pytree keys with [A-Za-z0-9_] only; anything else never reaches the text. */
const safeName = (n: string): string => {
  if (!/^[A-Za-z0-9_.[\]]*$/.test(n)) throw new ExportError(`internal: exportStableHlo: unexpected name ${JSON.stringify(n)}`, 'stablehlo')
  return n
}

export const exportStableHlo =
  <F extends ExportableFn>(f: F, opts: StableHloExportOptions = {}) =>
  (...exampleArgs: ExampleArgs<F>): string => {
    const t = traceForExport(f, exampleArgs, 'exportStableHlo', opts.simplify ?? true)
    const names = new Names()
    const body = new Block(names, '    ')
    const args: Value[] = t.signature.inAvals.map((aval, i) => ({ name: `%arg${i}`, aval }))
    const consts = t.consts.map((c) => body.constant(c.toTypedArray(), c.shape, c.dtype))
    const outs = lowerJaxpr(body, t.jaxpr, [...consts, ...args])
    body.lines.push(`    "func.return"(${outs.map((o) => o.name).join(', ')}) : (${outs.map((o) => typeOf(o.aval)).join(', ')}) -> ()`)
    const header = [
      '// StableHLO exported by leibniz',
      `// arguments: ${t.inNames.map(safeName).join(', ') || '(none)'}`,
      `// results: ${t.outNames.map(safeName).join(', ') || '(none)'}`,
    ]
    const sig = `${args.map((a) => `${a.name}: ${typeOf(a.aval)}`).join(', ')}`
    return [
      ...header,
      'module @leibniz {',
      `  func.func public @main(${sig}) -> (${outs.map((o) => typeOf(o.aval)).join(', ')}) {`,
      ...body.lines,
      '  }',
      '}',
      '',
    ].join('\n')
  }
