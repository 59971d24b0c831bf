/**
 * Export layer (StableHLO): the text under construction. Operations are written in MLIR's
 * generic form, `%v = "stablehlo.op"(%a, %b) {attrs} : (types) -> type`, one vocabulary for
 * every op. Nothing from the user reaches the text as written: types come from a closed set,
 * every integer goes through `int` (a checked safe integer) and every float through `hexFloat`
 * (its IEEE bit pattern), value names are generated. That is the whitelist of this module.
 */
import type { Shape, ShapedArray } from '../../ir/aval'
import type { DType } from '../../ir/dtypes'

const ELEM: Readonly<Record<DType, string>> = { float64: 'f64', float32: 'f32', int32: 'i32', bool: 'i1' }

/** A checked integer, printed in decimal. */
export const int = (n: number): string => {
  if (!Number.isSafeInteger(n)) throw new Error(`internal: exportStableHlo: ${String(n)} is not an integer`)
  return String(n)
}

export const ints = (xs: readonly number[]): string => xs.map(int).join(', ')
export const i64Array = (xs: readonly number[]): string => `array<i64${xs.length > 0 ? `: ${ints(xs)}` : ''}>`
export const i64 = (n: number): string => `${int(n)} : i64`

export const tensorType = (shape: Shape, dtype: DType): string => `tensor<${shape.map((d) => `${int(d)}x`).join('')}${ELEM[dtype]}>`
export const typeOf = (a: ShapedArray): string => tensorType(a.shape, a.dtype)

/** The bytes of a float64/float32 as 0x-hex (little endian, MLIR's raw dense form). */
const hexBytes = (bytes: Uint8Array): string => {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0').toUpperCase()
  return s
}

/** A dense constant attribute: floats by their bits, ints in decimal, bools as true/false. */
export const denseAttr = (values: ArrayLike<number>, dtype: DType): string => {
  const n = values.length
  switch (dtype) {
    case 'float64': return `dense<"0x${hexBytes(new Uint8Array(Float64Array.from(values).buffer))}">`
    case 'float32': return `dense<"0x${hexBytes(new Uint8Array(Float32Array.from(values).buffer))}">`
    case 'int32': {
      const xs = Array.from(Int32Array.from(values), int)
      return n === 1 ? `dense<${xs[0]}>` : `dense<[${xs.join(', ')}]>`
    }
    case 'bool': {
      const xs = Array.from(values, (v) => (v ? 'true' : 'false'))
      return n === 1 ? `dense<${xs[0]}>` : `dense<[${xs.join(', ')}]>`
    }
  }
}

export interface Value {
  readonly name: string
  readonly aval: ShapedArray
}

/** Names shared by a module (MLIR value names are unique per function including its regions). */
export class Names {
  private n = 0
  fresh(): string {
    return `%v${this.n++}`
  }
}

/** A block of operations (a function body or a region). */
export class Block {
  readonly lines: string[] = []
  constructor(readonly names: Names, readonly indent: string) {}

  /** One operation with results of these avals. */
  opN(op: string, operands: readonly Value[], outs: readonly ShapedArray[], attrs = '', regions: readonly string[] = []): Value[] {
    const names = outs.map(() => this.names.fresh())
    const lhs = outs.length === 0 ? '' : outs.length === 1 ? `${names[0]} = ` : `${names[0].slice(0)}:${int(outs.length)} = `
    const regionText = regions.length > 0 ? ` (${regions.join(', ')})` : ''
    const attrText = attrs === '' ? '' : ` {${attrs}}`
    const outTypes = outs.length === 1 ? typeOf(outs[0]) : `(${outs.map(typeOf).join(', ')})`
    this.lines.push(`${this.indent}${lhs}"${op}"(${operands.map((o) => o.name).join(', ')})${regionText}${attrText} : (${operands.map((o) => typeOf(o.aval)).join(', ')}) -> ${outTypes}`)
    if (outs.length <= 1) return names.map((name, i) => ({ name, aval: outs[i] }))
    // a multi-result op binds %vN:k; its results are %vN#0 …
    return outs.map((aval, i) => ({ name: `${names[0]}#${int(i)}`, aval }))
  }

  op(op: string, operands: readonly Value[], out: ShapedArray, attrs = ''): Value {
    return this.opN(op, operands, [out], attrs)[0]
  }

  constant(values: ArrayLike<number>, shape: Shape, dtype: DType): Value {
    const name = this.names.fresh()
    const t = tensorType(shape, dtype)
    this.lines.push(`${this.indent}${name} = "stablehlo.constant"() {value = ${denseAttr(values, dtype)} : ${t}} : () -> ${t}`)
    return { name, aval: { shape, dtype, weakType: false } }
  }

  /** A nested region: `{ ^bb0(args): … "stablehlo.return"(results) }`. */
  region(args: readonly ShapedArray[], body: (b: Block, args: Value[]) => readonly Value[]): string {
    const b = new Block(this.names, `${this.indent}    `)
    const argVals = args.map((aval) => ({ name: this.names.fresh(), aval }))
    const results = body(b, argVals)
    b.lines.push(`${b.indent}"stablehlo.return"(${results.map((r) => r.name).join(', ')}) : (${results.map((r) => typeOf(r.aval)).join(', ')}) -> ()`)
    const head = argVals.length === 0 ? '' : `${this.indent}  ^bb0(${argVals.map((a) => `${a.name}: ${typeOf(a.aval)}`).join(', ')}):\n`
    return `{\n${head}${b.lines.join('\n')}\n${this.indent}}`
  }
}
