import { readdirSync, readFileSync, statSync } from 'node:fs'
import { RUN_ID_ENV } from '../../gate/bound-launcher.js'

/**
 * The kernel's start time of a process (Linux: /proc/<pid>/stat field 22), so a pid recorded
 * before a crash is recognised only if it still names the same process, never a reused pid.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/** Alive and, when we know its start time, the very process we recorded. */
export function isSameProcess(pid: number, startTime: string | undefined): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (startTime === undefined) return true
  return processStartTime(pid) === startTime
}

/** Ends a process group left behind by a crashed run; only if its leader is still the recorded one. */
export function killOrphanGroup(pid: number, startTime: string | undefined): boolean {
  if (startTime === undefined || !isSameProcess(pid, startTime)) return false
  try {
    process.kill(-pid, 'SIGKILL')
    return true
  } catch {
    return false
  }
}

/**
 * Ends every process that still carries `runId` in its environment: what a crashed owner's
 * attempts started, found even when their pids never reached the journal (a kill between the
 * spawn and the batch's fsync), and even when they left their process group. Only a new owner
 * calls it, once the old one is known dead, so anything found belongs to no live attempt.
 * A process that rewrote its own environment escapes it; the journaled pids are the other net.
 */
export function reapRunProcesses(runId: string): number[] {
  const marker = Buffer.from(`\0${RUN_ID_ENV}=${runId}\0`)
  const reaped: number[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return reaped
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid === process.pid) continue
    let environ: Buffer
    try {
      environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${pid}/environ`)])
    } catch {
      continue // gone, or another user's
    }
    if (!environ.includes(marker)) continue
    // Run as root, driftcore reads every user's environment: a marker there is not ours to act on.
    if (statSync(`/proc/${pid}`, { throwIfNoEntry: false })?.uid !== process.getuid?.()) continue
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL')
      } catch {
        // not a group leader, or already gone
      }
    }
    reaped.push(pid)
  }
  return reaped
}
