/**
 * Compiling the library's hot code when it loads, not on its first use.
 *
 * V8 compiles a function lazily: loading a script only pre-parses it, and the function's first
 * call parses it again in full and generates its bytecode. A jitted function's first call runs a
 * few hundred of the library's functions for the first time (the tracer, the IR, the passes,
 * the code generator), so about half of it used to be V8 compiling them: 6.8 ms of a 13 ms
 * order-10 `jet` program.
 *
 * V8 compiles a function expression eagerly, with the code around it, when it is wrapped in
 * parentheses — `(function (x) { … })` — its heuristic for a function about to be called. This
 * plugin writes the functions named in `tsup.eager.json` (the compile hints) in that form in
 * the built chunks, so that they are compiled at import — in a browser, by the streaming
 * compiler off the main thread — where their full parse replaces the pre-parse.
 *
 * A function is named by its module and the names around it: `src/transforms/jit.ts` `jit.lookup`
 * is the `lookup` declared in `jit`. An anonymous function (a callback) belongs to the name
 * around it, so hinting `jit` also makes the callbacks written directly in `jit` eager. Only a
 * function whose enclosing functions are all compiled at import gains, so only those are
 * rewritten: none inside a class member (V8 compiles a method when it is first called).
 * bench/first/hints.ts writes the hints from what V8 compiles during representative first
 * calls.
 *
 * The rewrite keeps the meaning of the code: an arrow that reads `this`, `arguments`, `super`
 * or `new.target` (which a `function` would bind itself) is left as it is; a concise body
 * becomes `{ return … }`; a parenthesized anonymous function is still named by its binding
 * (`f.name`); lines do not move, and esbuild's source map is moved column by column with the
 * edits, so stack traces still lead to the TypeScript sources.
 */
import { readFileSync } from 'node:fs'
import { decode, encode } from '@jridgewell/sourcemap-codec'
import { build, type Options } from 'tsup'
import ts from 'typescript'

type Plugin = NonNullable<Options['plugins']>[number]

/** Compile hints: per module (as esbuild's `// src/…` markers print it), the name paths of
 *  the functions to compile at import. */
export type EagerHints = Readonly<Record<string, readonly string[]>>

/** A function of a chunk: its module and its name path. */
export interface FunctionSite {
  readonly node: ts.ArrowFunction | ts.FunctionExpression
  readonly module: string | undefined
  readonly path: string
  /** whether every function around it is compiled with its script (none is a class member) */
  readonly topChain: boolean
}

/** Where each module of a chunk begins: esbuild prints `// <path>` before each module's code
 *  in an unminified bundle. */
const moduleStarts = (code: string): { at: number; path: string }[] => {
  const out: { at: number; path: string }[] = []
  const re = /^\/\/ ((?:src|laws)\/[\w./-]+\.ts)$/gm
  for (let m = re.exec(code); m !== null; m = re.exec(code)) out.push({ at: m.index, path: m[1] })
  return out
}

const moduleFinder = (code: string): ((pos: number) => string | undefined) => {
  const starts = moduleStarts(code)
  return (pos) => {
    let lo = 0
    let hi = starts.length - 1
    let found: string | undefined
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (starts[mid].at <= pos) {
        found = starts[mid].path
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }
}

/** The name a node declares for what it holds, if any: a variable, a property, a function or
 *  class declaration, a class member. Without the number esbuild appends to a name that
 *  collides with another module's (`sameAval` may be printed `sameAval2` or `sameAval5`
 *  depending on the rest of the bundle): a hint names a function within its module. */
const declaredName = (n: ts.Node): string | undefined => {
  if (ts.isVariableDeclaration(n) || ts.isPropertyAssignment(n) || ts.isFunctionDeclaration(n) || ts.isClassLike(n) || ts.isClassElement(n)) {
    const name = n.name
    if (name !== undefined && (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name))) return name.text.replace(/(?<=\D)\d+$/, '')
    if (ts.isConstructorDeclaration(n)) return 'constructor'
  }
  return undefined
}

/** Whether `node` (an arrow) reads a binding an arrow takes from its surroundings and a
 *  `function` would bind itself. Nested arrows share them; nested functions and classes have
 *  their own. */
const usesLexicalBindings = (node: ts.Node): boolean => {
  let found = false
  const visit = (n: ts.Node): void => {
    if (found) return
    if (n.kind === ts.SyntaxKind.ThisKeyword || n.kind === ts.SyntaxKind.SuperKeyword || ts.isMetaProperty(n) || (ts.isIdentifier(n) && n.text === 'arguments')) {
      found = true
      return
    }
    if (n !== node && (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isClassLike(n))) return
    ts.forEachChild(n, visit)
  }
  visit(node)
  return found
}

const isPife = (n: ts.Node): boolean => ts.isFunctionExpression(n) && ts.isParenthesizedExpression(n.parent)

/**
 * Every arrow and function expression of a chunk with its name path. `eager(site)` says which
 * are (to be) compiled with their script: the chain below one that is not stays lazy.
 */
export const functionSites = (sf: ts.SourceFile, code: string, eager: (site: FunctionSite) => boolean = (s) => isPife(s.node)): FunctionSite[] => {
  const moduleAt = moduleFinder(code)
  const out: FunctionSite[] = []
  const visit = (n: ts.Node, names: readonly string[], topChain: boolean): void => {
    const own = declaredName(n)
    const inner = own === undefined ? names : [...names, own]
    // a class member runs when called (a method) or constructed (a field): compiled then
    const chain = topChain && !ts.isClassElement(n)
    if (ts.isArrowFunction(n) || ts.isFunctionExpression(n)) {
      const site: FunctionSite = { node: n, module: moduleAt(n.getStart(sf)), path: inner.join('.'), topChain: chain }
      out.push(site)
      ts.forEachChild(n, (c) => visit(c, inner, chain && eager(site)))
      return
    }
    // a declaration or method's body is compiled lazily, when first called
    const body = ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isAccessor(n) || ts.isConstructorDeclaration(n)
    ts.forEachChild(n, (c) => visit(c, inner, chain && !body))
  }
  visit(sf, [], true)
  return out
}

/** An edit of a chunk: at `at`, `remove` characters replaced by `text`. Edits at one position
 *  apply in `order`: closings first, innermost first, then openings, outermost first. */
interface Edit {
  readonly at: number
  readonly remove: number
  readonly text: string
  readonly order: readonly number[]
}

/** A source map as esbuild and tsup pass it. */
interface RawMap {
  readonly version: number
  readonly sources: readonly string[]
  readonly mappings: string
  readonly [key: string]: unknown
}

/** The chunk `code` with its hinted functions compiled at load (see the module comment), its
 *  source map `map` (esbuild's) moved to match, and which hints matched a function. */
export const markEager = (code: string, file: string, hints: EagerHints, map?: RawMap): { code: string; map: RawMap | undefined; rewritten: number; matched: Set<string> } => {
  const sf = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  const wanted = new Map(Object.entries(hints).map(([m, paths]) => [m, new Set(paths)]))
  const matched = new Set<string>()
  const hinted = (site: FunctionSite): boolean => {
    if (site.module === undefined || wanted.get(site.module)?.has(site.path) !== true) return false
    matched.add(`${site.module} ${site.path}`)
    return site.topChain && (ts.isFunctionExpression(site.node) || !usesLexicalBindings(site.node))
  }
  const edits: Edit[] = []
  let rewritten = 0
  for (const site of functionSites(sf, code, hinted)) {
    if (!hinted(site) || isPife(site.node)) continue
    edits.push(...(ts.isArrowFunction(site.node) ? arrowEdits(sf, code, site.node) : wrapEdits(sf, site.node)))
    rewritten++
  }
  edits.sort((a, b) => a.at - b.at || a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.order[2] - b.order[2])
  let out = ''
  let from = 0
  for (const e of edits) {
    out += code.slice(from, e.at) + e.text
    from = e.at + e.remove
  }
  out += code.slice(from)
  return { code: out, map: map === undefined ? undefined : moveMap(map, code, edits), rewritten, matched }
}

const opening = (at: number, text: string, node: ts.Node, sf: ts.SourceFile, seq: number): Edit => ({ at, remove: 0, text, order: [1, node.getStart(sf), seq] })
const closing = (at: number, text: string, node: ts.Node, sf: ts.SourceFile): Edit => ({ at, remove: 0, text, order: [0, -node.getStart(sf), 0] })

/** `async (a, b) => body` → `(async function (a, b) body)`; `x => e` → `(function (x) { return e })`. */
const arrowEdits = (sf: ts.SourceFile, code: string, n: ts.ArrowFunction): Edit[] => {
  const arrow = n.equalsGreaterThanToken
  const asyncKeyword = n.modifiers?.find((m) => m.kind === ts.SyntaxKind.AsyncKeyword)
  const edits: Edit[] = [
    { at: arrow.getStart(sf), remove: arrow.end - arrow.getStart(sf), text: '', order: [1, n.getStart(sf), 0] },
    ...(asyncKeyword !== undefined
      ? [opening(asyncKeyword.getStart(sf), '(', n, sf, 0), opening(asyncKeyword.end, ' function', n, sf, 0)]
      : [opening(n.getStart(sf), '(function ', n, sf, 0)]),
  ]
  // `x => …` has its parameter without parentheses
  if (code[n.parameters.pos - 1] !== '(') {
    edits.push(opening(n.parameters[0].getStart(sf), '(', n, sf, 1), closing(n.parameters[0].end, ')', n, sf))
  }
  if (ts.isBlock(n.body)) edits.push(closing(n.end, ')', n, sf))
  else edits.push(opening(n.body.getStart(sf), '{ return ', n, sf, 2), closing(n.end, ' })', n, sf))
  return edits
}

/** `function (…) {…}` → `(function (…) {…})`. */
const wrapEdits = (sf: ts.SourceFile, n: ts.FunctionExpression): Edit[] => [opening(n.getStart(sf), '(', n, sf, 0), closing(n.end, ')', n, sf)]

/** `map` with its generated columns moved by `edits` (which never cross a line). */
const moveMap = (map: RawMap, code: string, edits: readonly Edit[]): RawMap => {
  const lineStarts = [0]
  for (let i = code.indexOf('\n'); i !== -1; i = code.indexOf('\n', i + 1)) lineStarts.push(i + 1)
  const byLine = new Map<number, Edit[]>()
  for (const e of edits) {
    let lo = 0
    let hi = lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (lineStarts[mid] <= e.at) lo = mid
      else hi = mid - 1
    }
    const list = byLine.get(lo) ?? []
    list.push(e)
    byLine.set(lo, list)
  }
  const lines = decode(map.mappings)
  const moved = lines.map((segments, line) => {
    const list = byLine.get(line)
    if (list === undefined) return segments
    const start = lineStarts[line]
    return segments.flatMap((seg) => {
      const at = start + seg[0]
      let shift = 0
      let insertedHere = 0
      for (const e of list) {
        // a removed character (an arrow's `=>`) is nowhere in the output
        if (e.at <= at && at < e.at + e.remove) return []
        // text inserted at or before a character moves it
        if (e.at + e.remove <= at) shift += e.text.length - e.remove
        if (e.at === at && e.remove === 0) insertedHere += e.text.length
      }
      const to = [seg[0] + shift, ...seg.slice(1)] as typeof seg
      // text inserted just before the character maps where the character does, so a position
      // inside the inserted text still finds its source
      return insertedHere === 0 ? [to] : [[to[0] - insertedHere, ...seg.slice(1)] as typeof seg, to]
    })
  })
  return { ...map, mappings: encode(moved) }
}

/** The compile hints committed beside this file. */
export const readEagerHints = (path: string | URL = new URL('./tsup.eager.json', import.meta.url)): EagerHints => JSON.parse(readFileSync(path, 'utf8')) as EagerHints

/** The tsup plugin: the hinted functions of every chunk compiled at load. Warns when hints no
 *  longer match a function (the code changed since bench/first/hints.ts wrote them). */
export const eagerCompile = (hints: EagerHints): Plugin => {
  const total = Object.values(hints).reduce((n, paths) => n + paths.length, 0)
  // per output format (tsup builds them side by side with the same plugin)
  const matched = new Map<string, Set<string>>()
  return {
    name: 'eager-compile',
    buildStart() {
      matched.set(this.format, new Set())
    },
    renderChunk(code, chunk) {
      if (!/\.c?js$/.test(chunk.path) || total === 0) return
      const map = typeof chunk.map === 'string' ? (JSON.parse(chunk.map) as RawMap) : (chunk.map ?? undefined)
      const out = markEager(code, chunk.path, hints, map === undefined ? undefined : (map as RawMap))
      for (const m of out.matched) matched.get(this.format)?.add(m)
      if (out.rewritten === 0) return
      // the map already leads to the sources: tsup's composition finds nothing left to do
      return { code: out.code, map: out.map as never }
    },
    buildEnd() {
      const n = matched.get(this.format)?.size ?? 0
      if (total > 0 && n < 0.95 * total) {
        this.logger.warn(this.format, `eager-compile: ${total - n} of ${total} compile hints match no function; run \`npx tsx bench/first/hints.ts\` to write them again`)
      }
    },
  }
}

/** The package's ESM build as `config` makes it, without the hints and without declarations,
 *  into `outDir`: the code the hints are written from and checked against. */
export const buildWithoutHints = async (config: Options | Options[] | ((o: Options) => unknown), outDir: string): Promise<void> => {
  const base = Array.isArray(config) ? config[0] : config
  if (typeof base === 'function') throw new Error('tsup.config.ts: expected an options object')
  await build({ ...base, config: false, format: ['esm'], dts: false, sourcemap: false, outDir, silent: true, plugins: (base.plugins ?? []).filter((p) => p.name !== 'eager-compile') })
}
