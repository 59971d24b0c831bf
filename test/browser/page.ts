/**
 * The browser test's page module: runs the checks on load and leaves the results (or the
 * error) in `globalThis.leibnizChecks` for the test to read.
 */
import { runChecks } from './checks'

const out = globalThis as { leibnizChecks?: unknown }
try {
  out.leibnizChecks = { ok: true, results: runChecks() }
} catch (e) {
  out.leibnizChecks = { ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }
}
