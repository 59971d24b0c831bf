/**
 * Backend: a compiled program as text, for people and snapshot tests — one line per step
 * (kernel kind, loop domain, what it reads and writes), then each kernel's generated source.
 * A program compiled as one function (scalarmode.ts) says so first; its steps are then those
 * its code was generated from.
 */
import type { Program } from './program'

export const describeProgram = (p: Program, opts: { source?: boolean } = {}, indent = ''): string => {
  const { spec } = p
  const slot = (j: number) => `${spec.slots[j].kind}${j}`
  const lines = spec.steps.map((s, i) => {
    const io = `(${s.ins.map(slot).join(', ')}) → (${s.outs.map(slot).join(', ')})`
    if (s.kind === 'fn') {
      const subs = s.subs.map((q, k) => `\n${indent}   body ${k}:\n${describeProgram(q, opts, indent + '     ')}`).join('')
      return `${indent}${i}: ${s.label} ${io}${subs}`
    }
    const k = s.kernel
    if (s.engine === 'wasm') return `${indent}${i}: ${s.source} ${io}`
    if (k.kind === 'dot') return `${indent}${i}: matmul B=${k.B} M=${k.M} K=${k.K} N=${k.N} ${io}`
    const red = k.reductions.length === 0 ? '' : `, ${k.reductions.map((r) => r.op).join(', ')} over the last ${k.nReduced} loop(s)`
    const epi = k.epilogue.length === 0 ? '' : `, then ${k.epilogue.length} epilogue store(s)`
    return `${indent}${i}: loop [${k.domain.join(', ')}]${red}, ${k.stores.length} store(s)${epi}, ${k.nodes.length} nodes ${io}`
  })
  // (a program compiled as one function runs none of these steps: they are what its code is made of)
  if (p.whole !== null) lines.unshift(`${indent}program, compiled whole, from:`)
  if (opts.source) {
    spec.steps.forEach((s, i) => {
      if (s.kind === 'kernel') lines.push(`${indent}-- kernel ${i}\n${s.source}`)
      else if (s.source !== undefined) lines.push(`${indent}-- function ${i}\n${s.source}`)
    })
  }
  return lines.join('\n')
}
