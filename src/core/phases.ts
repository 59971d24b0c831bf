/**
 * Where a first call spends its time: tracing, passes, planning, code generation, running.
 * Off by default (one boolean test per phase entered); the first-call benchmark
 * (bench/first/) turns it on. Times are exclusive: a phase entered inside another (JS code
 * generation inside building a program) is not counted again in the outer one.
 */
export const phaseClock = { on: false, ms: {} as Record<string, number>, now: (): number => performance.now() }

const stack: string[] = []
let since = 0

const charge = (now: number): void => {
  if (stack.length > 0) {
    const top = stack[stack.length - 1]
    phaseClock.ms[top] = (phaseClock.ms[top] ?? 0) + now - since
  }
  since = now
}

/** Run `f`, charging its time (less that of phases nested in it) to `name`. */
export const timed = <T>(name: string, f: () => T): T => {
  if (!phaseClock.on) return f()
  charge(phaseClock.now())
  stack.push(name)
  try {
    return f()
  } finally {
    charge(phaseClock.now())
    stack.pop()
  }
}
