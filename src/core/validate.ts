/**
 * Core layer: checks of what users hand to the public API — the results of their functions
 * (never a Promise) and option objects (known keys must have the documented type). Unknown
 * option keys are ignored, as JS APIs usually do; a known key with a wrong type is an error,
 * because silently ignoring `{ reverse: 'yes' }` runs a different program than the user meant.
 */
import { AsyncFunctionError, ValueError } from './errors'

const isThenable = (x: unknown): x is PromiseLike<unknown> =>
  (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as { then?: unknown }).then === 'function'

/**
 * `x`, unless it is a Promise (or any thenable): then the function that returned it was async.
 * Tracing is synchronous, so the rest of that function would run after its transformation has
 * ended and use dead tracers; its promise would reject later with a TracerLeakError that
 * nobody awaits, which ends a Node process. A no-op rejection handler is attached first, so the
 * orphan promise cannot crash anything, and the caller gets one clear error instead.
 */
export const requireSync = <T>(x: T, where: string): T => {
  if (!isThenable(x)) return x
  try {
    Promise.resolve(x).catch(() => undefined)
  } catch {
    // a hostile thenable whose `then` throws: nothing is pending, nothing to silence
  }
  throw new AsyncFunctionError(
    `${where}: the function returned a Promise (it is async, or returns one). Transformations trace ` +
      `functions synchronously and need the result itself. Await any data before calling the ` +
      `transformed function and pass it in as arguments, and compute the result without await.`,
  )
}

/** A value for messages: strings quoted, objects by constructor, arrays by length. */
export const show = (x: unknown): string => {
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x)}`
  if (x === null || x === undefined || typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint') return String(x)
  if (typeof x === 'function') return 'a function'
  if (Array.isArray(x)) return `a JS array of length ${x.length}`
  return `an object (${(x as object).constructor?.name ?? 'Object'})`
}

/** One option's check: a predicate and the words that say what it accepts. */
export interface OptionCheck {
  readonly ok: (x: unknown) => boolean
  readonly expected: string
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x)

/** Reusable option checks. */
export const opt = {
  boolean: { ok: (x: unknown) => typeof x === 'boolean', expected: 'true or false' },
  integer: { ok: isInt, expected: 'an integer' },
  string: { ok: (x: unknown) => typeof x === 'string', expected: 'a string' },
  list: { ok: (x: unknown) => Array.isArray(x), expected: 'a list (JS array)' },
  nonNegInt: { ok: (x: unknown) => isInt(x) && x >= 0, expected: 'a non-negative integer' },
  intOrInts: {
    ok: (x: unknown) => isInt(x) || (Array.isArray(x) && x.every(isInt)),
    expected: 'an integer or a list of integers',
  },
  oneOf: (...values: readonly unknown[]): OptionCheck => ({
    ok: (x: unknown) => values.includes(x),
    expected: `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`,
  }),
  either: (a: OptionCheck, b: OptionCheck): OptionCheck => ({
    ok: (x: unknown) => a.ok(x) || b.ok(x),
    expected: `${a.expected}, or ${b.expected}`,
  }),
}

/**
 * Check an options object: it must be an object (or undefined), and every listed key that is
 * present (and not undefined) must pass its check. Throws a ValueError naming the option, what
 * it accepts and what it got.
 */
export const checkOptions = (opts: unknown, spec: Readonly<Record<string, OptionCheck>>, where: string): void => {
  if (opts === undefined) return
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new ValueError(`${where}: options must be an object such as { ${Object.keys(spec).join(', ')} }, got ${show(opts)}`)
  }
  for (const [key, check] of Object.entries(spec)) {
    const v = (opts as Record<string, unknown>)[key]
    if (v !== undefined && !check.ok(v)) {
      throw new ValueError(`${where}: option ${key} must be ${check.expected}, got ${show(v)}`)
    }
  }
}

/** Edit distance of two short strings (for "did you mean"). */
const distance = (a: string, b: string): number => {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]
}

/**
 * Keys that are not options. With `strict`, any such key is a ValueError; otherwise only a near
 * misspelling of an option is (`{ reversed: true }` for `reverse` would run a scan forwards,
 * `{ checkpiont }` would store every step), and other keys are ignored as JS APIs do. The
 * message names the closest option: a JavaScript caller, or an object built elsewhere, is not
 * checked by TypeScript.
 */
export const checkOptionKeys = (opts: unknown, known: readonly string[], where: string, strict = false): void => {
  if (opts === undefined || typeof opts !== 'object' || opts === null) return
  for (const k of Object.keys(opts)) {
    if (known.includes(k)) continue
    const near = closestOption(k, known)
    if (near === undefined && !strict) continue
    throw new ValueError(`${where}: unknown option '${k}'${near !== undefined ? ` (did you mean '${near}'?)` : ''}; the options are ${known.join(', ')}`)
  }
}

/** The option `k` is probably a misspelling of (at most two edits, ignoring case), if any. */
export const closestOption = (k: string, known: readonly string[]): string | undefined =>
  known.find((o) => distance(o.toLowerCase(), k.toLowerCase()) <= Math.min(2, o.length - 2))
