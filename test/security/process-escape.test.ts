import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bwrapAvailable } from '../../src/launcher/isolation.js'
import { killOrphanGroup, processStartTime } from '../../src/workflow/runs/process.js'
import { testLauncher } from '../helpers/launcher.js'

// The attack (issue 10, hole 6): a launched program starts a grandchild in a session of its own
// (`setsid`), so that killing the program's process group on timeout or cancel misses it. The
// grandchild then outlives the call that reported "timed out", free to undo what came after
// (a `sandbox reset`, a restored file). Every launched process runs in a PID namespace of its
// own, so the end of the call is the end of everything it started.

let dir: string
let script: string
let marker: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-escape-'))
  // A unique sleep length: how the test finds the escaped grandchild in the host's /proc.
  marker = `${3000 + Math.floor(Math.random() * 1000)}.${process.pid}`
  script = path.join(dir, 'escape.mjs')
  await writeFile(
    script,
    `import { spawn } from 'node:child_process'
const child = spawn('setsid', ['sleep', ${JSON.stringify(marker)}], { detached: true, stdio: 'ignore' })
child.unref()
console.log('escaped', child.pid)
setInterval(() => {}, 1000)
`,
  )
})
afterEach(async () => {
  for (const pid of withMarker()) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
  await rm(dir, { recursive: true, force: true })
})

/** Host pids of live (not zombie) processes running `sleep <marker>`. */
function withMarker(): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
      if (argv[0]?.endsWith('sleep') && argv[1] === marker && state !== 'Z') found.push(Number(entry))
    } catch {
      // exited while we looked
    }
  }
  return found
}

async function escaped(): Promise<number[]> {
  for (;;) {
    const pids = withMarker()
    if (pids.length > 0) return pids
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const launcher = () => testLauncher(dir, { allowlist: ['node'], killGraceMs: 200 })

describe.runIf(bwrapAvailable())('a child that leaves its process group with setsid', () => {
  it('is gone, by pid, once the call reports "timed out"', async () => {
    const run = launcher().run({ file: 'node', args: [script], timeoutMs: 1500 })
    const grandchildren = await escaped()
    const result = await run
    expect(result.timedOut).toBe(true)
    expect(grandchildren.filter((pid) => withMarker().includes(pid))).toEqual([])
    expect(withMarker()).toEqual([])
  })

  it('is gone, by pid, once a cancelled call returns', async () => {
    const controller = new AbortController()
    const run = launcher().run({ file: 'node', args: [script], signal: controller.signal })
    const grandchildren = await escaped()
    controller.abort()
    expect(await run).toMatchObject({ cancelled: true })
    expect(grandchildren.filter((pid) => withMarker().includes(pid))).toEqual([])
  })

  it('is gone once the program itself exits: nothing it started lives on', async () => {
    await writeFile(
      script,
      `import { spawn } from 'node:child_process'
spawn('setsid', ['sleep', ${JSON.stringify(marker)}], { detached: true, stdio: 'ignore' }).unref()
`,
    )
    const result = await launcher().run({ file: 'node', args: [script] })
    expect(result.exitCode).toBe(0)
    expect(withMarker()).toEqual([])
  })

  it('dies with the pid reported to onSpawn: what a resumed workflow kills after a crash', async () => {
    let reported: number | undefined
    const run = launcher().run({
      file: 'node',
      args: [script],
      onSpawn: (pid) => {
        reported = pid
      },
    })
    const grandchildren = await escaped()
    expect(reported).toBeDefined()
    // Exactly what the workflow engine does on resume with a journaled step.process.
    expect(killOrphanGroup(reported!, processStartTime(reported!))).toBe(true)
    const result = await run
    expect(result.exitCode).not.toBe(0)
    expect(grandchildren.filter((pid) => withMarker().includes(pid))).toEqual([])
  })
})

describe('a launcher that cannot contain its processes', () => {
  // A machine without bubblewrap or unshare: PATH holds node and nothing else.
  async function bareLauncher(containment?: 'required' | 'off') {
    const { mkdir, symlink } = await import('node:fs/promises')
    await mkdir(path.join(dir, 'bin'))
    await symlink(process.execPath, path.join(dir, 'bin', 'node'))
    return testLauncher(dir, {
      allowlist: ['node'],
      env: { PATH: path.join(dir, 'bin') },
      ...(containment ? { containment } : {}),
    })
  }

  it('refuses to start anything rather than run it uncontained', async () => {
    const l = await bareLauncher()
    await expect(l.run({ file: 'node', args: ['-e', 'console.log("ran")'] })).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('PID namespace'),
      hint: expect.stringContaining('launcher.containment: off'),
    })
  })

  it('runs uncontained only where launcher.containment is off', async () => {
    const l = await bareLauncher('off')
    const result = await l.run({ file: 'node', args: ['-e', 'console.log("ran")'] })
    expect(result.stdout).toBe('ran\n')
  })
})
