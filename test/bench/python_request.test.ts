/**
 * The request the JAX columns send to Python (bench/harness/python.ts): typed arrays travel as
 * their exact little-endian bytes with their dtype, everything else as plain JSON.
 */
import { describe, expect, it } from 'vitest'
import { encodeRequest } from '../../bench/harness/python'

const decode = (t: { __typed: string; b64: string }): Float32Array | Float64Array => {
  const bytes = Buffer.from(t.b64, 'base64')
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  return t.__typed === 'float32' ? new Float32Array(buf) : new Float64Array(buf)
}

describe('encodeRequest', () => {
  it('round-trips float32 and float64 arrays bit for bit, including views at an offset', () => {
    const f32 = Float32Array.of(1.5, -2, Math.fround(0.1), 3.4e38, -0)
    const backing = Float64Array.of(9, 0.1, -1e-300, Math.PI, 7)
    const f64 = backing.subarray(1, 4)
    const req = JSON.parse(encodeRequest({ inputs: { x: f32, nested: { y: f64 }, n: 3, name: 'w1' } })) as {
      inputs: { x: { __typed: string; b64: string }; nested: { y: { __typed: string; b64: string } }; n: number; name: string }
    }
    expect(req.inputs.x.__typed).toBe('float32')
    expect(req.inputs.nested.y.__typed).toBe('float64')
    expect(Array.from(decode(req.inputs.x))).toEqual(Array.from(f32))
    expect(Object.is(decode(req.inputs.x)[4], -0)).toBe(true)
    expect(Array.from(decode(req.inputs.nested.y))).toEqual([0.1, -1e-300, Math.PI])
    expect(req.inputs.n).toBe(3)
    expect(req.inputs.name).toBe('w1')
  })
})
