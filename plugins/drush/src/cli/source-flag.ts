import { existsSync } from 'node:fs'
import path from 'node:path'

/**
 * A source named on the command line: a path that exists is resolved from the current folder
 * (tools resolve relative paths from the project); baseline names and artifact references
 * pass through unchanged.
 */
export function sourceArg(spec: string): string {
  if (spec.startsWith('artifact://')) return spec
  const full = path.resolve(spec)
  return existsSync(full) ? full : spec
}
