import { spawn, type ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { reapRunProcesses } from '../../src/workflow/runs/process.js'
import { RUN_ID_ENV } from '../../src/gate/bound-launcher.js'

// A new owner of a crashed run kills whatever still carries the run's id in its environment.
// Run as root (a service), it reads every user's environment, so an agent running as another OS
// user could plant that marker in a process of its own: the reaper must act only on processes
// of the user it runs as, and leave every other user's alone.
const root = process.getuid?.() === 0
const NOBODY = 65534
const children: ChildProcess[] = []

function sleeper(runId: string, uid?: number): Promise<ChildProcess> {
  const child = spawn('sleep', ['60'], {
    env: { PATH: process.env.PATH, [RUN_ID_ENV]: runId },
    stdio: 'ignore',
    ...(uid === undefined ? {} : { uid, gid: NOBODY }),
  })
  children.push(child)
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child))
    child.once('error', reject)
  })
}

function alive(child: ChildProcess): boolean {
  try {
    process.kill(child.pid!, 0)
    return child.exitCode === null && child.signalCode === null
  } catch {
    return false
  }
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()))

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})

describe.skipIf(!root)('reaping a crashed run’s processes as root', () => {
  it('kills the run’s own processes and leaves another user’s process with the same marker alive', async () => {
    const runId = `run_reap_${process.pid}`
    const ours = await sleeper(runId)
    const theirs = await sleeper(runId, NOBODY)
    const unrelated = await sleeper(`${runId}_other`)

    const reaped = reapRunProcesses(runId)
    await exited(ours)

    expect(reaped).toEqual([ours.pid])
    expect(ours.signalCode).toBe('SIGKILL')
    expect(alive(theirs)).toBe(true)
    expect(alive(unrelated)).toBe(true)
  })
})
