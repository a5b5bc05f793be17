import { realpathSync } from 'node:fs'
import path from 'node:path'
import { DriftcoreError, toDriftcoreError } from '../errors/driftcore-error.js'
import type { Constraints } from '../policy/constraints.js'
import type { ToolDescriptor } from '../registry/registry.js'
import type { ProjectPaths } from '../store/paths.js'

/**
 * Holding a call's constraints on the work a handler does in-process, where no launcher
 * applies them. Each constraint is enforced for every tool, or the call is refused:
 *
 * - timeout_ms: the gate's deadline (ctx.signal, then it stops waiting) — every tool;
 * - max_output_bytes: the gate measures the output itself ({@link outputRefusal}) — every tool;
 * - max_retries: a workflow step's attempt number, from the call's meta ({@link constraintRefusal});
 * - network, deny_paths, cpu_seconds, memory_bytes, open_files, max_files_changed,
 *   max_lines_changed: only as far as the tool's `inProcess` declaration covers them;
 *   otherwise `unavailable`, naming each.
 */
export function constraintRefusal(
  tool: ToolDescriptor,
  constraints: Constraints,
  input: unknown,
  env: { config: Readonly<Record<string, unknown>>; paths: ProjectPaths },
  meta: Record<string, unknown> | undefined,
): DriftcoreError | undefined {
  const attempt = meta?.attempt
  if (
    constraints.max_retries !== undefined &&
    typeof attempt === 'number' &&
    attempt > constraints.max_retries + 1
  ) {
    return new DriftcoreError(
      'policy_denied',
      `${tool.id}: attempt ${attempt} is past the policy's max_retries (${constraints.max_retries})`,
      { details: { constraint: 'max_retries', attempt, max_retries: constraints.max_retries } },
    )
  }
  const work = tool.inProcess ?? {}
  const missing: string[] = []
  if (
    constraints.network === 'none' &&
    (work.network ?? (tool.risk.includes('network') ? undefined : 'none')) === undefined
  )
    missing.push('network: none')
  for (const key of ['cpu_seconds', 'memory_bytes', 'open_files'] as const)
    if (constraints[key] !== undefined && !work.bounded) missing.push(key)
  for (const key of ['max_files_changed', 'max_lines_changed'] as const)
    if (constraints[key] !== undefined && !work.changes) missing.push(key)
  let overlap: { denied: string; path: string } | undefined
  if (constraints.deny_paths?.length) {
    if (!work.paths) missing.push('deny_paths')
    else {
      try {
        overlap = deniedOverlap(work.paths(input, env), constraints.deny_paths, env.paths.root)
      } catch (error) {
        return toDriftcoreError(error)
      }
    }
  }
  if (missing.length > 0) {
    return new DriftcoreError(
      'unavailable',
      `${tool.id} does part of its work inside driftcore's own process, where ${missing.join(', ')} cannot be enforced; the call did not run`,
      {
        hint: `narrow the policy rule that sets ${missing.join(', ')} to tools that run their work as processes (see driftcore policy explain --tool ${tool.id})`,
        details: { constraints: missing },
      },
    )
  }
  if (overlap) {
    return new DriftcoreError(
      'unavailable',
      `${tool.id} reads or writes ${overlap.path} itself, which deny_paths entry ${overlap.denied} covers; the call did not run`,
      { details: { constraints: ['deny_paths'], path: overlap.path, denied: overlap.denied } },
    )
  }
  return undefined
}

/** The policy's max_output_bytes applied to a tool's output: too big, and none of it is returned. */
export function outputRefusal(
  toolId: string,
  bytes: number,
  constraints: Constraints,
): DriftcoreError | undefined {
  const limit = constraints.max_output_bytes
  if (limit === undefined || bytes <= limit) return undefined
  return new DriftcoreError(
    'policy_denied',
    `the output of ${toolId} is ${bytes} bytes, over the policy's max_output_bytes (${limit}); it was withheld`,
    { details: { constraint: 'max_output_bytes', bytes, max_output_bytes: limit } },
  )
}

// Two paths overlap when one holds the other; compared as the filesystem resolves them, so a
// symlink into a denied folder is no way around it.
function deniedOverlap(
  used: readonly string[],
  denied: readonly string[],
  root: string,
): { denied: string; path: string } | undefined {
  const real = (p: string) => resolveReal(path.resolve(root, p))
  const deniedReal = denied.map((d) => ({ denied: d, real: real(d) }))
  for (const p of used) {
    const r = real(p)
    for (const d of deniedReal)
      if (within(r, d.real) || within(d.real, r)) return { denied: d.denied, path: p }
  }
  return undefined
}

// realpath of the longest existing prefix, the rest appended: a path that does not exist yet
// is judged by where it would be created.
function resolveReal(p: string): string {
  let rest = ''
  let head = p
  for (;;) {
    try {
      return path.join(realpathSync(head), rest)
    } catch {
      const parent = path.dirname(head)
      if (parent === head) return p
      rest = path.join(path.basename(head), rest)
      head = parent
    }
  }
}

function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}
