import { z } from 'zod'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/

/** `500ms`, `30s`, `5m`, `2h`, `1d`, or a number of milliseconds. */
export const durationSchema = z
  .union([
    z.number().int().nonnegative(),
    z.string().regex(PATTERN, 'a duration such as 500ms, 30s, 5m, 2h or 1d, or a number of milliseconds'),
  ])
  .describe('500ms, 30s, 5m, 2h, 1d, or milliseconds')

export type Duration = z.input<typeof durationSchema>

export function durationMs(value: Duration): number {
  if (typeof value === 'number') return value
  const match = PATTERN.exec(value)
  if (!match) throw new Error(`not a duration: ${value}`)
  return Math.round(Number(match[1]) * UNITS[match[2]!]!)
}
