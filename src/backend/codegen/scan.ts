/**
 * Backend, JS code generator: the loop of a `scan` whose body compiled to loop kernels only,
 * as one function — `for (t…) { k0(…); k1(…); copies; swap carries }` — so a step costs a few
 * direct kernel calls and nothing else: no per-step dispatch through the program runner, and
 * one hot loop for the JIT to optimize early (W5: 10,000 tiny steps). The kernels stay separate
 * functions: inlining their loops into this one was measured faster in the steady state but
 * slower on the first call (one large function takes longer to optimize than several small ones).
 *
 * Buffers: body temps and constants come from the body program's slot table `b`; carries are
 * double-buffered (`cur`, `nxt`, `spare`: the caller's initial values are read, never
 * written); xs rows and ys rows are views of the stacked arrays.
 */
import { int } from '../emit'
import type { ProgramSpec } from '../program'

export interface ScanShape {
  readonly nConsts: number
  readonly nCarry: number
  readonly xSizes: readonly number[]
  readonly ySizes: readonly number[]
  readonly length: number
  readonly reverse: boolean
}

/** Source of `(k) => (b, cst, cur, nxt, spare, xs, ys) => void`; null if the body has other steps. */
export const genScanLoop = (body: ProgramSpec, s: ScanShape): string | null => {
  if (!body.steps.every((st) => st.kind === 'kernel')) return null
  const { nConsts: nC, nCarry: nK } = s
  // what each slot is called inside the loop
  const name = new Map<number, string>()
  body.inputs.forEach((slot, q) => {
    if (name.has(slot)) return
    if (q < nC) name.set(slot, `cst[${int(q)}]`)
    else if (q < nC + nK) name.set(slot, `c${int(q - nC)}`)
    else name.set(slot, `r${int(q - nC - nK)}`)
  })
  const dst = (o: number) => (o < nK ? `n${int(o)}` : `w${int(o - nK)}`)
  const written = new Set<number>()
  body.outs.forEach((o, q) => {
    if (o.kind === 'slot' && body.slots[o.slot].kind === 'output' && !name.has(o.slot)) {
      name.set(o.slot, dst(q))
      written.add(q)
    }
  })
  body.slots.forEach((sl, j) => {
    if ((sl.kind === 'temp' || sl.kind === 'const') && !name.has(j)) name.set(j, `s${int(j)}`)
  })
  const ref = (j: number): string => {
    const n = name.get(j)
    if (n === undefined) throw new Error('internal: scan body slot without a name')
    return n
  }
  const hoisted = body.slots.flatMap((sl, j) => (sl.kind === 'temp' || sl.kind === 'const' ? [`const s${int(j)} = b[${int(j)}];`] : []))
  const ks = body.steps.map((_, i) => `const k${int(i)} = k[${int(i)}];`)
  const calls = body.steps.map((st, i) => `k${int(i)}(${[...st.ins, ...st.outs].map(ref).join(', ')});`)
  const copies = body.outs.flatMap((o, q) => {
    if (written.has(q)) return []
    if (o.kind === 'lit') return [`${dst(q)}.fill(lit[${int(q)}]);`]
    return [`${dst(q)}.set(${ref(o.slot)});`]
  })
  const carries = [...Array(nK).keys()]
  const L = int(s.length)
  return [
    '"use strict";',
    ...ks,
    'return function (b, cst, cur, nxt, spare, xs, ys, lit) {',
    ...hoisted,
    ...carries.map((k) => `let c${k} = cur[${k}], n${k} = nxt[${k}], p${k} = spare[${k}];`),
    ...s.xSizes.map((_, x) => `const x${x} = xs[${x}];`),
    ...s.ySizes.map((_, y) => `const y${y} = ys[${y}];`),
    `for (let t = 0; t < ${L}; t++) {`,
    `const i = ${s.reverse ? `${L} - 1 - t` : 't'};`,
    ...s.xSizes.map((n, x) => `const r${x} = x${x}.subarray(i * ${int(n)}, i * ${int(n)} + ${int(n)});`),
    ...s.ySizes.map((n, y) => `const w${y} = y${y}.subarray(i * ${int(n)}, i * ${int(n)} + ${int(n)});`),
    ...calls,
    ...copies,
    ...carries.map((k) => `{ const q = c${k}; c${k} = n${k}; n${k} = t === 0 ? p${k} : q; }`),
    '}',
    ...carries.map((k) => `cur[${k}] = c${k};`),
    '};',
  ].join('\n')
}
