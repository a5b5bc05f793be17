import { existsSync, writeFileSync } from 'node:fs'

/**
 * A named point where a process can be held, for the fault tests only: with
 * DRIFTCORE_FAULT_PAUSE=<point>:<file>, reaching <point> writes <file>.reached and waits until
 * <file> is removed. It stands in for a process descheduled at the worst moment, so a race is
 * reproduced every time instead of once in a thousand runs. Unset, it costs one env lookup.
 */
export async function faultPoint(point: string): Promise<void> {
  const setting = process.env.DRIFTCORE_FAULT_PAUSE
  if (!setting?.startsWith(`${point}:`)) return
  const file = setting.slice(point.length + 1)
  writeFileSync(`${file}.reached`, `${process.pid}\n`)
  while (existsSync(file)) await new Promise((resolve) => setTimeout(resolve, 10))
}

let seen: Map<string, number> | undefined

/**
 * For the crash campaign of the fault tests only: with DRIFTCORE_FAULT_KILL=<event type>:<n>,
 * the process kills itself with SIGKILL right after the n-th event of that type is journaled
 * (and, for the events the engine makes durable first, flushed): a crash at exactly that point.
 */
export function faultKill(type: string): void {
  const setting = process.env.DRIFTCORE_FAULT_KILL
  if (!setting) return
  const [want, nth] = setting.split(':')
  if (want !== type) return
  seen ??= new Map()
  const n = (seen.get(type) ?? 0) + 1
  seen.set(type, n)
  if (n === Number(nth ?? '1')) process.kill(process.pid, 'SIGKILL')
}
