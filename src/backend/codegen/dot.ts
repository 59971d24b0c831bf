/**
 * Backend, JS code generator: the contraction out[b,m,n] = Σ_k lhs[b,m,k] · rhs[b,k,n]
 * (`DotKernel`), written into a contiguous [B, M, N] output.
 *
 * Register blocking: a 4×4 block of outputs lives in 16 local variables while k runs, fed by
 * two packed panels of doubles — four rows of lhs as [k][4] (packed once per batch) and four
 * columns of rhs as [k][4] (packed per column block, reused by every row block) — so the
 * inner loop does 8 sequential loads for 16 multiply-adds. Packing reads the operands through
 * their strides, so transposed operands cost nothing extra. Rows and columns left over (M or
 * N not multiples of 4) are done by the same sums with smaller blocks.
 *
 * Every output is summed over k = 0, 1, … in order from 0, exactly as the reference impl does,
 * so results are equal bit for bit (float64 products and sums; wrapping int32 for int32).
 */
import { int } from '../emit'
import type { DotKernel } from '../kernel'

const view = (a: string, off: number, sb: number, sr: number, sc: number) =>
  (b: string, r: string, c: string): string => {
    const t: string[] = []
    if (off !== 0) t.push(int(off))
    if (sb !== 0) t.push(`${b} * ${int(sb)}`)
    if (sr !== 0) t.push(sr === 1 ? r : `${r} * ${int(sr)}`)
    if (sc !== 0) t.push(sc === 1 ? c : `${c} * ${int(sc)}`)
    return `${a}[${t.length === 0 ? '0' : t.join(' + ')}]`
  }

const range = (n: number) => [...Array(n).keys()]

/** The factory body: `return function (a0, a1, o0) {…}` with its packing buffers in the closure. */
export const genDotBody = (k: DotKernel): string => {
  const { B, M, K, N, lhs, rhs } = k
  ;[B, M, K, N, lhs.off, lhs.sb, lhs.sr, lhs.sc, rhs.off, rhs.sb, rhs.sr, rhs.sc].forEach(int)
  const A = view('a0', lhs.off, lhs.sb, lhs.sr, lhs.sc)
  const C = view('a1', rhs.off, rhs.sb, rhs.sr, rhs.sc)
  const intAcc = k.acc === 'int32'
  const madd = (acc: string, v: string, w: string) => (intAcc ? `${acc} = ${acc} + Math.imul(${v}, ${w}) | 0;` : `${acc} += ${v} * ${w};`)
  const out = (i: string, j: string) => `o0[ob + ${i} * ${int(N)} + ${j}]`
  if (B * M * N === 0) return 'return function (a0, a1, o0) {};'
  if (K === 0) return 'return function (a0, a1, o0) { o0.fill(0); };'
  const M4 = M - (M % 4)
  const N4 = N - (N % 4)
  const cells = range(16)
  return [
    `const pa = new Float64Array(${int(Math.max(M4, 1) * K)});`,
    `const pb = new Float64Array(${int(4 * K)});`,
    'return function (a0, a1, o0) {',
    `for (let b = 0; b < ${int(B)}; b++) {`,
    `const ob = b * ${int(M * N)};`,
    // four rows of lhs at a time, as [k][4]
    `for (let i0 = 0; i0 < ${int(M4)}; i0 += 4) for (let k = 0; k < ${int(K)}; k++) {`,
    ...range(4).map((r) => `pa[i0 * ${int(K)} + k * 4 + ${r}] = ${A('b', `(i0 + ${r})`, 'k')};`),
    '}',
    `for (let j0 = 0; j0 < ${int(N4)}; j0 += 4) {`,
    `for (let k = 0; k < ${int(K)}; k++) {`,
    ...range(4).map((q) => `pb[k * 4 + ${q}] = ${C('b', 'k', `(j0 + ${q})`)};`),
    '}',
    `for (let i0 = 0; i0 < ${int(M4)}; i0 += 4) {`,
    `const base = i0 * ${int(K)};`,
    cells.map((t) => `let s${t} = 0;`).join(' '),
    `for (let k = 0; k < ${int(K)}; k++) {`,
    range(4).map((r) => `const x${r} = pa[base + k * 4 + ${r}];`).join(' '),
    range(4).map((q) => `const y${q} = pb[k * 4 + ${q}];`).join(' '),
    ...cells.map((t) => madd(`s${t}`, `x${t >> 2}`, `y${t & 3}`)),
    '}',
    ...cells.map((t) => `${out(`(i0 + ${t >> 2})`, `(j0 + ${t & 3})`)} = s${t};`),
    '}',
    // leftover rows, four columns at a time
    `for (let i = ${int(M4)}; i < ${int(M)}; i++) {`,
    range(4).map((q) => `let s${q} = 0;`).join(' '),
    `for (let k = 0; k < ${int(K)}; k++) {`,
    `const x = ${A('b', 'i', 'k')};`,
    ...range(4).map((q) => madd(`s${q}`, 'x', `pb[k * 4 + ${q}]`)),
    '}',
    ...range(4).map((q) => `${out('i', `(j0 + ${q})`)} = s${q};`),
    '}',
    '}',
    // leftover columns: one running sum per output
    `for (let j = ${int(N4)}; j < ${int(N)}; j++) for (let i = 0; i < ${int(M)}; i++) {`,
    'let s = 0;',
    `for (let k = 0; k < ${int(K)}; k++) ${madd('s', A('b', 'i', 'k'), C('b', 'k', 'j'))}`,
    `${out('i', 'j')} = s;`,
    '}',
    '}',
    '};',
  ].join('\n')
}
