/** The binary encoder: LEB128, hand-written modules that validate and run, late imports. */
import { describe, expect, it } from 'vitest'
import { ModuleBuilder, sleb, uleb } from '../../../src/backend/wasm/encode'
import { wasm } from '../../../src/backend/wasm'

const instantiate = (m: ModuleBuilder, imports: object = {}) => {
  const bytes = m.bytes()
  expect(wasm.validate(bytes)).toBe(true)
  return new wasm.Instance(new wasm.Module(bytes), imports).exports as Record<string, (...a: number[]) => number>
}

describe('encoder', () => {
  it('LEB128', () => {
    expect(uleb(0)).toEqual([0])
    expect(uleb(127)).toEqual([0x7f])
    expect(uleb(128)).toEqual([0x80, 0x01])
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26])
    expect(uleb(2 ** 32 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f])
    expect(sleb(0n)).toEqual([0])
    expect(sleb(-1n)).toEqual([0x7f])
    expect(sleb(63n)).toEqual([0x3f])
    expect(sleb(64n)).toEqual([0xc0, 0x00])
    expect(sleb(-64n)).toEqual([0x40])
    expect(sleb(-65n)).toEqual([0xbf, 0x7f])
    expect(sleb(-123456n)).toEqual([0xc0, 0xbb, 0x78])
  })

  it('scalar code, loops and typed blocks', () => {
    const m = new ModuleBuilder()
    const [, add] = m.func(['i32', 'i32'], ['i32'], 'add')
    add.get(add.params[0]).get(add.params[1]).op('i32.add')
    // Σ_{i=1..n} i with a loop; then (s > 100) ? s : −s through an if with a result
    const [, tri] = m.func(['i32'], ['i32'], 'tri')
    const s = tri.local('i32')
    tri.block().loop()
    tri.get(tri.params[0]).op('i32.eqz').brIf(1)
    tri.get(s).get(tri.params[0]).op('i32.add').set(s)
    tri.get(tri.params[0]).i32(1).op('i32.sub').set(tri.params[0]).br(0)
    tri.end().end()
    tri.get(s).i32(100).op('i32.gt_s').if('i32').get(s).else().i32(0).get(s).op('i32.sub').end()
    const [, big] = m.func([], ['i64'], 'big')
    big.i64(-(2n ** 62n)).i64(3n).op('i64.add')
    const [, fl] = m.func(['f64'], ['f64'], 'fl')
    fl.get(fl.params[0]).f64(0.1).op('f64.mul').op('f32.demote_f64').f32(1.5).op('f32.add').op('f64.promote_f32')
    const e = instantiate(m)
    expect(e.add(2, 40)).toBe(42)
    expect(e.tri(20)).toBe(210)
    expect(e.tri(5)).toBe(-15)
    expect((e.big as unknown as () => bigint)()).toBe(-(2n ** 62n) + 3n)
    expect(e.fl(10)).toBe(Math.fround(Math.fround(1) + 1.5))
  })

  it('SIMD: constants, lane ops, shuffles, loads and stores on an imported memory', () => {
    const memory = new wasm.Memory({ initial: 1 })
    // mem[q..q+16) = reverse(mem[q..q+16) + 1) with lane 0 replaced by 9; returns mem[q + 4] after
    const m2 = new ModuleBuilder().importMemory({ module: 'env', name: 'memory', initialPages: 1 })
    const [, g] = m2.func(['i32'], ['f32'], 'run')
    const q = g.params[0]
    const v = g.local('v128')
    g.get(q).mem('v128.load').f32x4(1).op('f32x4.add').set(v)
    g.get(q).get(v).get(v).shuffle([12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3]).f32(9).lane('f32x4.replace_lane', 0).mem('v128.store')
    g.get(q).mem('v128.load32_splat', 4).lane('f32x4.extract_lane', 3)
    const e = instantiate(m2, { env: { memory } })
    const view = new Float32Array(memory.buffer, 16, 4)
    view.set([10, 20, 30, 40])
    expect(e.run(16)).toBe(31) // lane 1 after the reverse: 30 + 1
    expect(Array.from(view)).toEqual([9, 31, 21, 11])
  })

  it('imports declared after the functions that call them; multi-value results; data segments', () => {
    const memory = new wasm.Memory({ initial: 1 })
    const m = new ModuleBuilder().importMemory({ module: 'env', name: 'memory', initialPages: 1 })
    const [, caller] = m.func(['f64'], ['f64'], 'caller')
    const [pairRef, pair] = m.func(['f64'], ['f64', 'i32'])
    pair.get(pair.params[0]).f64(2).op('f64.mul').i32(7)
    const host = m.importFunc('host', 'half', ['f64'], ['f64'])
    const n = caller.local('i32')
    caller.get(caller.params[0]).call(pairRef).set(n).call(host).get(n).op('f64.convert_i32_s').op('f64.add')
    m.dataAt(100, [1, 2, 3, 250])
    const e = instantiate(m, { env: { memory }, host: { half: (x: number) => x / 2 } })
    expect(e.caller(5)).toBe(12) // (5·2)/2 + 7
    expect(Array.from(new Uint8Array(memory.buffer, 100, 4))).toEqual([1, 2, 3, 250])
  })

  it('a type error in a body is caught by WebAssembly.validate', () => {
    const m = new ModuleBuilder()
    const [, f] = m.func(['i32'], ['f32'], 'f')
    f.get(f.params[0]).get(f.params[0]).op('f32.add')
    expect(wasm.validate(m.bytes())).toBe(false)
  })
})
