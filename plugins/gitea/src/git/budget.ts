import { DriftcoreError, type Constraints } from 'driftcore/api'
import picomatch from 'picomatch'

/** One file of a computed diff: git's status letter, its path (and the old one for a rename). */
export interface ChangedFile {
  path: string
  status: string
  from?: string
  additions: number
  deletions: number
  binary: boolean
}

/** `git diff --cached -z --numstat` and `--name-status` output, joined per file. */
export function parseDiff(numstat: string, nameStatus: string): ChangedFile[] {
  const files: ChangedFile[] = []
  const parts = nameStatus.split('\0')
  for (let i = 0; i < parts.length - 1;) {
    const status = parts[i++]!
    if (!status) continue
    if (status.startsWith('R') || status.startsWith('C')) {
      const from = parts[i++]!
      files.push({ status: status[0]!, from, path: parts[i++]!, additions: 0, deletions: 0, binary: false })
    } else files.push({ status, path: parts[i++]!, additions: 0, deletions: 0, binary: false })
  }
  const counts = numstat.split('\0')
  for (let i = 0; i < counts.length;) {
    const line = counts[i++]
    if (!line) continue
    const [add, del, name] = line.split('\t')
    // A rename's line has an empty name and the two paths in the next two fields.
    const file = name ? name : (i++, counts[i++]!)
    const entry = files.find((f) => f.path === file)
    if (!entry) continue
    entry.binary = add === '-'
    entry.additions = add === '-' ? 0 : Number(add)
    entry.deletions = del === '-' ? 0 : Number(del)
  }
  return files
}

/**
 * Holds a computed change to the policy's budgets before anything is pushed: files touched,
 * lines added plus removed, and paths no change may touch (globs on repository paths; a plain
 * folder covers everything below it). Over budget is policy_denied with the numbers.
 */
export function checkBudget(files: readonly ChangedFile[], constraints: Constraints, subject: string): void {
  const lines = files.reduce((n, f) => n + f.additions + f.deletions, 0)
  if (constraints.max_files_changed !== undefined && files.length > constraints.max_files_changed) {
    throw new DriftcoreError(
      'policy_denied',
      `${subject} changes ${files.length} files, over the policy's max_files_changed (${constraints.max_files_changed}); nothing was pushed`,
      {
        hint: 'split the change into smaller commits, or ask the policy owner for a larger budget',
        details: {
          constraint: 'max_files_changed',
          files_changed: files.length,
          max_files_changed: constraints.max_files_changed,
        },
      },
    )
  }
  if (constraints.max_lines_changed !== undefined && lines > constraints.max_lines_changed) {
    throw new DriftcoreError(
      'policy_denied',
      `${subject} changes ${lines} lines (added + removed), over the policy's max_lines_changed (${constraints.max_lines_changed}); nothing was pushed`,
      {
        hint: 'split the change into smaller commits, or ask the policy owner for a larger budget',
        details: {
          constraint: 'max_lines_changed',
          lines_changed: lines,
          max_lines_changed: constraints.max_lines_changed,
        },
      },
    )
  }
  const denied = constraints.deny_paths ?? []
  if (denied.length === 0) return
  const matchers = denied.map((pattern) => {
    const clean = pattern.replace(/^\.?\/+/, '').replace(/\/+$/, '')
    const match = picomatch([clean, `${clean}/**`], { dot: true, nocase: true })
    return { pattern, match }
  })
  for (const file of files) {
    for (const p of [file.path, ...(file.from ? [file.from] : [])]) {
      const hit = matchers.find((m) => m.match(p))
      if (hit) {
        throw new DriftcoreError(
          'policy_denied',
          `${subject} touches ${p}, which the policy's deny_paths entry ${hit.pattern} forbids; nothing was pushed`,
          {
            hint: 'leave that path out of the change',
            details: { constraint: 'deny_paths', path: p, denied: hit.pattern },
          },
        )
      }
    }
  }
}

export function linesOf(files: readonly ChangedFile[]): number {
  return files.reduce((n, f) => n + f.additions + f.deletions, 0)
}
