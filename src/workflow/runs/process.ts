import { readFileSync } from 'node:fs'

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
