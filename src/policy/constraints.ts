import { z } from 'zod'

export const constraintsSchema = z.strictObject({
  timeout_ms: z.number().int().positive().optional(),
  max_output_bytes: z.number().int().positive().optional(),
  network: z.enum(['none', 'any']).optional(),
  deny_paths: z.array(z.string()).optional(),
  max_retries: z.number().int().min(0).optional(),
  cpu_seconds: z.number().int().positive().optional(),
  memory_bytes: z.number().int().positive().optional(),
  open_files: z.number().int().positive().optional(),
  /** A change's size budget (files touched, lines added + removed), checked on the computed diff. */
  max_files_changed: z.number().int().min(0).optional(),
  max_lines_changed: z.number().int().min(0).optional(),
})

/** Limits a rule puts on a call; the launcher and the gate enforce them. */
export type Constraints = z.output<typeof constraintsSchema>

const LOWEST_WINS = [
  'timeout_ms',
  'max_output_bytes',
  'max_retries',
  'cpu_seconds',
  'memory_bytes',
  'open_files',
  'max_files_changed',
  'max_lines_changed',
] as const

/** The tightest of two constraint sets: lower limits, no network over any, every denied path. */
export function mergeConstraints(a: Constraints, b: Constraints): Constraints {
  const out: Constraints = { ...a }
  for (const key of LOWEST_WINS) {
    const values = [a[key], b[key]].filter((v): v is number => v !== undefined)
    if (values.length > 0) out[key] = Math.min(...values)
  }
  if (a.network === 'none' || b.network === 'none') out.network = 'none'
  else if (a.network ?? b.network) out.network = 'any'
  if (a.deny_paths ?? b.deny_paths)
    out.deny_paths = [...new Set([...(a.deny_paths ?? []), ...(b.deny_paths ?? [])])]
  return out
}
