/**
 * Backend layer (wasm): a WebAssembly binary encoder — just enough of the format for our
 * kernels. A `ModuleBuilder` collects function types, one imported memory, functions,
 * exports and data segments and writes the binary; a `FunctionBuilder` emits one function's
 * body (locals, structured control flow, scalar and v128 instructions).
 *
 * Instructions are named as in the text format (`f32x4.add`, `v128.load`), looked up in one
 * opcode table, so a misspelt name is a type error. The encoder does no validation of its
 * own: `WebAssembly.validate` is the judge (the tests run it on every kernel we generate).
 */

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128'

const VALTYPE: Readonly<Record<ValType, number>> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b }

/** Instructions without immediates: name → opcode bytes (0xfd-prefixed ones are SIMD). */
const PLAIN = {
  unreachable: 0x00, nop: 0x01, return: 0x0f, drop: 0x1a, select: 0x1b,
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.ne': 0x47, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49,
  'i32.gt_s': 0x4a, 'i32.gt_u': 0x4b, 'i32.le_s': 0x4c, 'i32.le_u': 0x4d, 'i32.ge_s': 0x4e, 'i32.ge_u': 0x4f,
  'i64.eqz': 0x50, 'i64.eq': 0x51, 'i64.ne': 0x52, 'i64.lt_s': 0x53, 'i64.lt_u': 0x54,
  'i64.gt_s': 0x55, 'i64.gt_u': 0x56, 'i64.le_s': 0x57, 'i64.le_u': 0x58, 'i64.ge_s': 0x59, 'i64.ge_u': 0x5a,
  'f32.eq': 0x5b, 'f32.ne': 0x5c, 'f32.lt': 0x5d, 'f32.gt': 0x5e, 'f32.le': 0x5f, 'f32.ge': 0x60,
  'f64.eq': 0x61, 'f64.ne': 0x62, 'f64.lt': 0x63, 'f64.gt': 0x64, 'f64.le': 0x65, 'f64.ge': 0x66,
  'i32.clz': 0x67, 'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c, 'i32.div_s': 0x6d, 'i32.div_u': 0x6e,
  'i32.rem_s': 0x6f, 'i32.rem_u': 0x70, 'i32.and': 0x71, 'i32.or': 0x72, 'i32.xor': 0x73,
  'i32.shl': 0x74, 'i32.shr_s': 0x75, 'i32.shr_u': 0x76,
  'i64.clz': 0x79, 'i64.add': 0x7c, 'i64.sub': 0x7d, 'i64.mul': 0x7e, 'i64.div_s': 0x7f, 'i64.div_u': 0x80,
  'i64.and': 0x83, 'i64.or': 0x84, 'i64.xor': 0x85, 'i64.shl': 0x86, 'i64.shr_s': 0x87, 'i64.shr_u': 0x88,
  'f32.abs': 0x8b, 'f32.neg': 0x8c, 'f32.ceil': 0x8d, 'f32.floor': 0x8e, 'f32.trunc': 0x8f, 'f32.nearest': 0x90,
  'f32.sqrt': 0x91, 'f32.add': 0x92, 'f32.sub': 0x93, 'f32.mul': 0x94, 'f32.div': 0x95,
  'f32.min': 0x96, 'f32.max': 0x97, 'f32.copysign': 0x98,
  'f64.abs': 0x99, 'f64.neg': 0x9a, 'f64.ceil': 0x9b, 'f64.floor': 0x9c, 'f64.trunc': 0x9d, 'f64.nearest': 0x9e,
  'f64.sqrt': 0x9f, 'f64.add': 0xa0, 'f64.sub': 0xa1, 'f64.mul': 0xa2, 'f64.div': 0xa3,
  'f64.min': 0xa4, 'f64.max': 0xa5, 'f64.copysign': 0xa6,
  'i32.wrap_i64': 0xa7, 'i32.trunc_f64_s': 0xaa, 'i64.extend_i32_s': 0xac, 'i64.extend_i32_u': 0xad,
  'f32.convert_i32_s': 0xb2, 'f32.demote_f64': 0xb6, 'f64.convert_i32_s': 0xb7, 'f64.convert_i64_s': 0xb9,
  'f64.promote_f32': 0xbb, 'i32.reinterpret_f32': 0xbc, 'i64.reinterpret_f64': 0xbd,
  'f32.reinterpret_i32': 0xbe, 'f64.reinterpret_i64': 0xbf,
} as const

/** SIMD instructions without immediates: name → opcode after the 0xfd prefix. */
const SIMD = {
  'i8x16.swizzle': 14,
  'i32x4.splat': 17, 'i64x2.splat': 18, 'f32x4.splat': 19, 'f64x2.splat': 20,
  'i32x4.eq': 55, 'i32x4.ne': 56, 'i32x4.lt_s': 57, 'i32x4.gt_s': 59, 'i32x4.le_s': 61, 'i32x4.ge_s': 63,
  'f32x4.eq': 65, 'f32x4.ne': 66, 'f32x4.lt': 67, 'f32x4.gt': 68, 'f32x4.le': 69, 'f32x4.ge': 70,
  'f64x2.eq': 71, 'f64x2.ne': 72, 'f64x2.lt': 73, 'f64x2.gt': 74, 'f64x2.le': 75, 'f64x2.ge': 76,
  'v128.not': 77, 'v128.and': 78, 'v128.andnot': 79, 'v128.or': 80, 'v128.xor': 81,
  'v128.bitselect': 82, 'v128.any_true': 83,
  'f32x4.demote_f64x2_zero': 94, 'f64x2.promote_low_f32x4': 95,
  'f32x4.ceil': 103, 'f32x4.floor': 104, 'f32x4.trunc': 105, 'f32x4.nearest': 106,
  'f64x2.ceil': 116, 'f64x2.floor': 117, 'f64x2.trunc': 122, 'f64x2.nearest': 148,
  'i32x4.abs': 160, 'i32x4.neg': 161, 'i32x4.all_true': 163, 'i32x4.bitmask': 164,
  'i32x4.shl': 171, 'i32x4.shr_s': 172, 'i32x4.shr_u': 173, 'i32x4.add': 174, 'i32x4.sub': 177,
  'i32x4.mul': 181, 'i32x4.min_s': 182, 'i32x4.max_s': 184,
  'i64x2.neg': 193, 'i64x2.bitmask': 196, 'i64x2.extend_low_i32x4_s': 199, 'i64x2.extend_high_i32x4_s': 200,
  'i64x2.shl': 203, 'i64x2.shr_s': 204, 'i64x2.shr_u': 205, 'i64x2.add': 206, 'i64x2.sub': 209, 'i64x2.mul': 213,
  'i64x2.eq': 214, 'i64x2.ne': 215, 'i64x2.lt_s': 216, 'i64x2.gt_s': 217, 'i64x2.le_s': 218, 'i64x2.ge_s': 219,
  'f32x4.abs': 224, 'f32x4.neg': 225, 'f32x4.sqrt': 227, 'f32x4.add': 228, 'f32x4.sub': 229,
  'f32x4.mul': 230, 'f32x4.div': 231, 'f32x4.min': 232, 'f32x4.max': 233, 'f32x4.pmin': 234, 'f32x4.pmax': 235,
  'f64x2.abs': 236, 'f64x2.neg': 237, 'f64x2.sqrt': 239, 'f64x2.add': 240, 'f64x2.sub': 241,
  'f64x2.mul': 242, 'f64x2.div': 243, 'f64x2.min': 244, 'f64x2.max': 245, 'f64x2.pmin': 246, 'f64x2.pmax': 247,
  'i32x4.trunc_sat_f32x4_s': 248, 'f32x4.convert_i32x4_s': 250,
  'i32x4.trunc_sat_f64x2_s_zero': 252, 'f64x2.convert_low_i32x4_s': 254,
} as const

/** Loads and stores: name → [opcode bytes, natural alignment (log2 bytes)]. */
const MEM = {
  'i32.load': [[0x28], 2], 'i64.load': [[0x29], 3], 'f32.load': [[0x2a], 2], 'f64.load': [[0x2b], 3],
  'i32.store': [[0x36], 2], 'i64.store': [[0x37], 3], 'f32.store': [[0x38], 2], 'f64.store': [[0x39], 3],
  'v128.load': [[0xfd, 0], 4], 'v128.load32_splat': [[0xfd, 9], 2], 'v128.load64_splat': [[0xfd, 10], 3],
  'v128.store': [[0xfd, 11], 4], 'v128.load32_zero': [[0xfd, 92], 2], 'v128.load64_zero': [[0xfd, 93], 3],
} as const satisfies Record<string, readonly [readonly number[], number]>

/** Lane loads/stores (memarg then lane index). */
const MEM_LANE = {
  'v128.load32_lane': [86, 2], 'v128.load64_lane': [87, 3], 'v128.store32_lane': [90, 2], 'v128.store64_lane': [91, 3],
} as const

/** Lane extract/replace (lane index immediate). */
const LANE = {
  'i32x4.extract_lane': 27, 'i32x4.replace_lane': 28, 'i64x2.extract_lane': 29, 'i64x2.replace_lane': 30,
  'f32x4.extract_lane': 31, 'f32x4.replace_lane': 32, 'f64x2.extract_lane': 33, 'f64x2.replace_lane': 34,
} as const

export type PlainOp = keyof typeof PLAIN
export type SimdOp = keyof typeof SIMD
export type Op = PlainOp | SimdOp
export type MemOp = keyof typeof MEM
export type MemLaneOp = keyof typeof MEM_LANE
export type LaneOp = keyof typeof LANE

// ---- byte helpers ------------------------------------------------------------------------

/** Appends the unsigned LEB128 of a non-negative integer below 2^32 to `out`. */
const pushUleb = (out: number[], n: number): void => {
  let v = n >>> 0
  do {
    let b = v & 0x7f
    v >>>= 7
    if (v !== 0) b |= 0x80
    out.push(b)
  } while (v !== 0)
}

/** Unsigned LEB128 of a non-negative integer below 2^32. */
export const uleb = (n: number): number[] => {
  const out: number[] = []
  pushUleb(out, n)
  return out
}

/** Signed LEB128 of a bigint (covers i32 and i64 immediates). */
export const sleb = (n: bigint): number[] => {
  const out: number[] = []
  let v = n
  for (;;) {
    const b = Number(v & 0x7fn)
    v >>= 7n
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)
    out.push(done ? b : b | 0x80)
    if (done) return out
  }
}

const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)]
const vec = (items: readonly number[][]): number[] => [...uleb(items.length), ...items.flat()]

/** The parts one after another. Large parts (function bodies) are copied with `set`, a
 *  builtin, rather than spread element by element: a module's bytes are written on the
 *  first call of a jitted function, usually before the engine has optimized this code. */
const cat = (parts: readonly ArrayLike<number>[]): Uint8Array => {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
const nameBytes = (s: string): number[] => { const b = utf8(s); return [...uleb(b.length), ...b] }

// Constants are written into these scratch bytes (little-endian, as in the binary format) and
// copied into a body with `set`, a builtin: cheaper in cold code than a loop over the bytes.
const scratch = new DataView(new ArrayBuffer(16))
const scratch4 = new Uint8Array(scratch.buffer, 0, 4)
const scratch8 = new Uint8Array(scratch.buffer, 0, 8)
const scratch16 = new Uint8Array(scratch.buffer, 0, 16)

// ---- functions ---------------------------------------------------------------------------

/** A function of a module: an import or a defined function (indices resolved at the end). */
export interface FuncRef { readonly kind: 'import' | 'func'; readonly pos: number }

/** A local variable (parameters are locals 0..params−1). */
export interface Local { readonly index: number; readonly type: ValType }

/** Structured-control block type: no value, or one value type. */
export type BlockType = ValType | null

/** Emits one function body. Branch depths are relative, as in the binary format.
 *  The code is written into a growing byte buffer rather than a `number[]`: a body is built on
 *  the first call of a jitted function, in cold code, where every element of a JS array costs
 *  8 bytes and every spread of an immediate's bytes a temporary array. */
export class FunctionBuilder {
  readonly params: readonly Local[]
  private readonly extra: ValType[] = []
  private code = new Uint8Array(256)
  private size = 0
  private readonly calls: [number, FuncRef][] = []

  constructor(readonly paramTypes: readonly ValType[], readonly resultTypes: readonly ValType[]) {
    this.params = paramTypes.map((type, index) => ({ index, type }))
  }

  /** A fresh local of `type`. */
  local(type: ValType): Local {
    this.extra.push(type)
    return { index: this.paramTypes.length + this.extra.length - 1, type }
  }

  /** Room for `n` more bytes (the buffer doubles, so appending stays linear). */
  private room(n: number): void {
    if (this.size + n <= this.code.length) return
    const grown = new Uint8Array(Math.max(this.code.length * 2, this.size + n))
    grown.set(this.code.subarray(0, this.size))
    this.code = grown
  }

  /** Appends one byte. */
  private b(byte: number): void {
    if (this.size === this.code.length) this.room(1)
    this.code[this.size++] = byte
  }

  /** Appends `bytes` (a scratch view or a short list). */
  private bytes(bytes: ArrayLike<number>): void {
    this.room(bytes.length)
    this.code.set(bytes, this.size)
    this.size += bytes.length
  }

  /** Appends the unsigned LEB128 of n (the hot path of every local access). */
  private u(n: number): void {
    if (this.size + 5 > this.code.length) this.room(5)
    let v = n >>> 0
    while (v >= 0x80) { this.code[this.size++] = (v & 0x7f) | 0x80; v >>>= 7 }
    this.code[this.size++] = v
  }

  /** Appends the signed LEB128 of a 32-bit integer. */
  private s32(n: number): void {
    if (this.size + 5 > this.code.length) this.room(5)
    let v = n | 0
    for (;;) {
      const b = v & 0x7f
      v >>= 7
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)
      this.code[this.size++] = done ? b : b | 0x80
      if (done) return
    }
  }

  op(name: Op): this {
    const simd = (SIMD as Record<string, number>)[name]
    if (simd !== undefined) { this.b(0xfd); this.u(simd) }
    else this.b((PLAIN as Record<string, number>)[name])
    return this
  }

  get(l: Local): this { this.b(0x20); this.u(l.index); return this }
  set(l: Local): this { this.b(0x21); this.u(l.index); return this }
  tee(l: Local): this { this.b(0x22); this.u(l.index); return this }

  i32(v: number): this { this.b(0x41); this.s32(v); return this }
  i64(v: bigint): this { this.b(0x42); this.bytes(sleb(BigInt.asIntN(64, v))); return this }
  f32(v: number): this { scratch.setFloat32(0, v, true); this.b(0x43); this.bytes(scratch4); return this }
  f64(v: number): this { scratch.setFloat64(0, v, true); this.b(0x44); this.bytes(scratch8); return this }
  /** v128.const from 16 raw bytes. */
  v128(bytes: readonly number[]): this {
    if (bytes.length !== 16) throw new Error(`internal: v128.const needs 16 bytes, got ${bytes.length}`)
    this.b(0xfd)
    this.b(12)
    this.bytes(bytes)
    return this
  }
  /** v128.const of the 16 scratch bytes. */
  private v128Scratch(): this {
    this.b(0xfd)
    this.b(12)
    this.bytes(scratch16)
    return this
  }
  f32x4(v: number): this {
    for (let at = 0; at < 16; at += 4) scratch.setFloat32(at, v, true)
    return this.v128Scratch()
  }
  f64x2(v: number): this { scratch.setFloat64(0, v, true); scratch.setFloat64(8, v, true); return this.v128Scratch() }
  i32x4(v: number): this {
    for (let at = 0; at < 16; at += 4) scratch.setInt32(at, v, true)
    return this.v128Scratch()
  }
  i64x2(v: bigint): this { scratch.setBigInt64(0, v, true); scratch.setBigInt64(8, v, true); return this.v128Scratch() }

  /** A load or store with a constant byte offset; alignment defaults to the natural one. */
  mem(name: MemOp, offset = 0, alignLog2?: number): this {
    const [bytes, natural] = MEM[name]
    if (bytes[0] === 0xfd) { this.b(0xfd); this.u(bytes[1]) }
    else this.b(bytes[0])
    this.u(alignLog2 ?? natural)
    this.u(offset)
    return this
  }
  memLane(name: MemLaneOp, lane: number, offset = 0): this {
    const [op, natural] = MEM_LANE[name]
    this.b(0xfd)
    this.u(op)
    this.u(natural)
    this.u(offset)
    this.b(lane)
    return this
  }
  lane(name: LaneOp, lane: number): this { this.b(0xfd); this.u(LANE[name]); this.b(lane); return this }
  /** i8x16.shuffle with 16 lane indices into the concatenation of the two operands. */
  shuffle(lanes: readonly number[]): this { this.b(0xfd); this.u(13); this.bytes(lanes); return this }

  block(t: BlockType = null): this { this.b(0x02); this.b(t ? VALTYPE[t] : 0x40); return this }
  loop(t: BlockType = null): this { this.b(0x03); this.b(t ? VALTYPE[t] : 0x40); return this }
  if(t: BlockType = null): this { this.b(0x04); this.b(t ? VALTYPE[t] : 0x40); return this }
  else(): this { this.b(0x05); return this }
  end(): this { this.b(0x0b); return this }
  br(depth: number): this { this.b(0x0c); this.u(depth); return this }
  brIf(depth: number): this { this.b(0x0d); this.u(depth); return this }
  /** Calls a function of the module; its index is resolved when the module is written
   *  (imports come first in the index space and may be declared later). */
  call(fn: FuncRef): this {
    this.b(0x10)
    this.calls.push([this.size, fn])
    this.bytes(CALL_PLACEHOLDER)
    return this
  }

  /** The body in binary form: size, locals (run-length), code, final `end`. */
  body(indexOf: (f: FuncRef) => number): Uint8Array {
    for (let c = 0; c < this.calls.length; c++) {
      const [at, fn] = this.calls[c]
      let v = indexOf(fn)
      for (let i = 0; i < 5; i++, v >>>= 7) this.code[at + i] = (v & 0x7f) | (i < 4 ? 0x80 : 0)
    }
    // locals as runs of one type: count of runs, then (count, type) per run
    const runs: number[] = []
    let nRuns = 0
    for (let i = 0; i < this.extra.length; ) {
      let j = i
      while (j < this.extra.length && this.extra[j] === this.extra[i]) j++
      pushUleb(runs, j - i)
      runs.push(VALTYPE[this.extra[i]])
      nRuns++
      i = j
    }
    const locals = uleb(nRuns).concat(runs)
    return cat([uleb(locals.length + this.size + 1), locals, this.code.subarray(0, this.size), [0x0b]])
  }
}

/** A 5-byte LEB128 placeholder for a call's function index. */
const CALL_PLACEHOLDER: readonly number[] = [0x80, 0x80, 0x80, 0x80, 0x00]

// ---- modules -----------------------------------------------------------------------------

export interface MemoryImport {
  readonly module: string
  readonly name: string
  readonly initialPages: number
  readonly maximumPages?: number
  readonly shared?: boolean
}

interface FuncEntry { readonly type: number; readonly builder: FunctionBuilder }
interface FuncImport { readonly type: number; readonly module: string; readonly name: string }

/** Collects the parts of a module and writes its binary. */
export class ModuleBuilder {
  private readonly types: string[] = []
  private readonly funcs: FuncEntry[] = []
  private readonly funcImports: FuncImport[] = []
  private readonly exports: [string, FuncRef][] = []
  private readonly data: [number, readonly number[]][] = []
  private memory: MemoryImport | null = null

  /** Imports the module's one memory (every kernel works on a caller-owned memory). */
  importMemory(m: MemoryImport): this { this.memory = m; return this }

  /** Imports a function (a host function given at instantiation). */
  importFunc(module: string, name: string, params: readonly ValType[], results: readonly ValType[]): FuncRef {
    this.funcImports.push({ type: this.typeIndex(params, results), module, name })
    return { kind: 'import', pos: this.funcImports.length - 1 }
  }

  private typeIndex(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `${params.join(',')}->${results.join(',')}`
    const i = this.types.indexOf(key)
    if (i >= 0) return i
    this.types.push(key)
    return this.types.length - 1
  }

  /** Declares a function (exported if named); fill its builder before calling `bytes()`. */
  func(params: readonly ValType[], results: readonly ValType[], exportName?: string): [FuncRef, FunctionBuilder] {
    const builder = new FunctionBuilder(params, results)
    this.funcs.push({ type: this.typeIndex(params, results), builder })
    const ref: FuncRef = { kind: 'func', pos: this.funcs.length - 1 }
    if (exportName !== undefined) this.exports.push([exportName, ref])
    return [ref, builder]
  }

  /** An active data segment written into the memory at instantiation. */
  dataAt(offset: number, bytes: readonly number[]): this { this.data.push([offset, bytes]); return this }

  bytes(): Uint8Array {
    const indexOf = (f: FuncRef): number => (f.kind === 'import' ? f.pos : this.funcImports.length + f.pos)
    const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content]
    const typeSec = vec(this.types.map((key) => {
      const [p, r] = key.split('->').map((s) => (s === '' ? [] : (s.split(',') as ValType[])))
      return [0x60, ...vec(p.map((t) => [VALTYPE[t]])), ...vec(r.map((t) => [VALTYPE[t]]))]
    }))
    const out: ArrayLike<number>[] = [[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]]
    const append = (bytes: readonly number[]): void => void out.push(bytes)
    append(section(1, typeSec))
    const imports: number[][] = this.funcImports.map((f) => [...nameBytes(f.module), ...nameBytes(f.name), 0x00, ...uleb(f.type)])
    const m = this.memory
    if (m) {
      const flags = (m.maximumPages !== undefined ? 1 : 0) | (m.shared ? 2 : 0)
      const limits = [flags, ...uleb(m.initialPages), ...(m.maximumPages !== undefined ? uleb(m.maximumPages) : [])]
      imports.push([...nameBytes(m.module), ...nameBytes(m.name), 0x02, ...limits])
    }
    if (imports.length > 0) append(section(2, vec(imports)))
    append(section(3, vec(this.funcs.map((f) => uleb(f.type)))))
    append(section(7, vec(this.exports.map(([name, f]) => [...nameBytes(name), 0x00, ...uleb(indexOf(f))]))))
    const bodies = this.funcs.map((f) => f.builder.body(indexOf))
    const codeSize = uleb(this.funcs.length).length + bodies.reduce((n, b) => n + b.length, 0)
    out.push([10, ...uleb(codeSize), ...uleb(this.funcs.length)], ...bodies)
    if (this.data.length > 0) {
      append(section(11, vec(this.data.map(([off, bytes]) => [0x00, 0x41, ...sleb(BigInt(off)), 0x0b, ...uleb(bytes.length), ...bytes]))))
    }
    return cat(out)
  }
}
