import { DriftcoreError } from '../errors/driftcore-error.js'

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** An ISO date, or an age such as `30m`, `2h`, `7d` (that long ago). */
export function parseTime(value: string, flag: string, now = Date.now()): Date {
  const age = /^(\d+)([smhd])$/.exec(value)
  if (age) return new Date(now - Number(age[1]) * UNITS[age[2]!]!)
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) {
    throw new DriftcoreError('invalid_input', `${flag} "${value}" is neither a date nor an age`, {
      hint: 'e.g. 2026-11-01T00:00:00Z, 30m, 2h, 7d',
    })
  }
  return date
}
