/**
 * debug: JAX's format strings (Python's `str.format` subset that `jax.debug.print` uses):
 * `{}` takes the next positional argument, `{0}` a positional argument by number, `{name}` a
 * named one; `{{` and `}}` are literal braces; an optional `:.Nf`, `:.Ne` or `:.Ng` spec sets
 * the digits of every number in the value. The format is parsed once, on the host, when
 * `debug.print` is called; it is never part of a program.
 */
import { ValueError } from '../core/errors'
import type { Tracer } from '../core/tracer'

export type Piece =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'field'; readonly key: number | string; readonly spec: Spec | null }

export interface Spec {
  readonly digits: number
  readonly style: 'f' | 'e' | 'g'
}

const SPEC = /^\.(\d{1,2})([feg])$/

/** Parse `format`; throws a ValueError that points at the first malformed brace. */
export const parseFormat = (format: string): Piece[] => {
  const pieces: Piece[] = []
  let text = ''
  let auto = 0
  let numbered = false
  for (let i = 0; i < format.length; i++) {
    const c = format[i]
    if (c === '}') {
      if (format[i + 1] !== '}') throw new ValueError(`debug.print: a single '}' at position ${i} of the format; write '}}' for a literal brace`)
      text += '}'
      i++
      continue
    }
    if (c !== '{') {
      text += c
      continue
    }
    if (format[i + 1] === '{') {
      text += '{'
      i++
      continue
    }
    const end = format.indexOf('}', i)
    if (end < 0) throw new ValueError(`debug.print: the '{' at position ${i} of the format is not closed`)
    const body = format.slice(i + 1, end)
    const colon = body.indexOf(':')
    const name = colon < 0 ? body : body.slice(0, colon)
    const specText = colon < 0 ? null : body.slice(colon + 1)
    let spec: Spec | null = null
    if (specText !== null) {
      const m = SPEC.exec(specText)
      if (m === null) throw new ValueError(`debug.print: format spec '${specText.slice(0, 20)}' is not supported; use .Nf, .Ne or .Ng (N digits)`)
      spec = { digits: Number(m[1]), style: m[2] as Spec['style'] }
    }
    let key: number | string
    if (name === '') {
      if (numbered) throw new ValueError('debug.print: cannot mix automatic {} and numbered {0} fields')
      key = auto++
    } else if (/^\d+$/.test(name)) {
      if (auto > 0) throw new ValueError('debug.print: cannot mix automatic {} and numbered {0} fields')
      numbered = true
      key = Number(name)
    } else if (/^[A-Za-z_$][\w$]*$/.test(name)) {
      key = name
    } else {
      throw new ValueError(`debug.print: field '{${name.slice(0, 20)}}' is not {}, a number or a name`)
    }
    if (text !== '') pieces.push({ kind: 'text', text })
    text = ''
    pieces.push({ kind: 'field', key, spec })
    i = end
  }
  if (text !== '') pieces.push({ kind: 'text', text })
  return pieces
}

const num = (x: number | boolean, spec: Spec | null): string => {
  if (typeof x === 'boolean') return x ? 'True' : 'False'
  if (spec === null) return String(x)
  if (spec.style === 'f') return x.toFixed(Math.min(spec.digits, 100))
  if (spec.style === 'e') return x.toExponential(Math.min(spec.digits, 100))
  return x.toPrecision(Math.max(1, Math.min(spec.digits, 100)))
}

/** A value as text: numbers for 0-d arrays, nested lists for arrays, and the pytree around them. */
export const formatValue = (x: unknown, spec: Spec | null): string => {
  if (typeof x === 'number' || typeof x === 'boolean') return num(x, spec)
  if (Array.isArray(x)) return `[${x.map((v) => formatValue(v, spec)).join(', ')}]`
  if (x !== null && typeof x === 'object') {
    if ('tolist' in x && typeof (x as Tracer).tolist === 'function') {
      const t = x as Tracer
      return formatValue(t.tolist() as unknown, spec)
    }
    return `{${Object.entries(x).map(([k, v]) => `${k}: ${formatValue(v, spec)}`).join(', ')}}`
  }
  return String(x)
}

/** The text of `pieces` with the given positional and named values. */
export const render = (pieces: readonly Piece[], positional: readonly unknown[], named: Readonly<Record<string, unknown>>): string =>
  pieces.map((p) => (p.kind === 'text' ? p.text : formatValue(typeof p.key === 'number' ? positional[p.key] : named[p.key], p.spec))).join('')

/** Check that every field has a value: positional indices in range, names present. */
export const checkFields = (pieces: readonly Piece[], numPositional: number, names: readonly string[]): void => {
  for (const p of pieces) {
    if (p.kind !== 'field') continue
    if (typeof p.key === 'number' && p.key >= numPositional) {
      throw new ValueError(`debug.print: the format asks for positional argument ${p.key}, but ${numPositional} ${numPositional === 1 ? 'was' : 'were'} given`)
    }
    if (typeof p.key === 'string' && !names.includes(p.key)) {
      throw new ValueError(`debug.print: the format names {${p.key}}, but the named values (the last argument) are {${names.join(', ')}}`)
    }
  }
}
