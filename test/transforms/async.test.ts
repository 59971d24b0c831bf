// An async function given to a transformation: one AsyncFunctionError, and the promise the
// function returned (which rejects later, when its body touches dead tracers) must not end
// the process. Only a child process can see the exit, so the cases run in one.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(__dirname, '..', '..')
let result: { code: number; stdout: string; stderr: string }

describe('async functions at transformation boundaries', () => {
  beforeAll(async () => {
    result = await new Promise((resolve) => {
      const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs')
      execFile(process.execPath, [tsx, join(__dirname, 'async_child.ts')], { cwd: ROOT, timeout: 55_000 }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
      })
    })
  })

  it('the process survives the orphaned promises (exit code 0, no unhandled rejection)', () => {
    expect(result.stderr).not.toMatch(/TracerLeakError|Unhandled/)
    expect(result.code).toBe(0)
  })

  it('every transformation throws one AsyncFunctionError that says what to do', () => {
    const got = JSON.parse(result.stdout) as Record<string, string>
    const { identityStillWorks, ...asyncCases } = got
    expect(identityStillWorks).toBe('no error')
    expect(Object.keys(asyncCases).length).toBeGreaterThan(20)
    for (const [name, message] of Object.entries(asyncCases)) {
      expect(message, name).toMatch(/^AsyncFunctionError: /)
      expect(message, name).toMatch(/returned a Promise/)
      expect(message, name).toMatch(/synchronously/)
      expect(message, name).toMatch(/Await any data before calling/)
    }
  })
})
