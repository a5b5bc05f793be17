import { table } from 'driftcore/api'

export interface StatusView {
  path: string
  initialised: boolean
  snapshot: { commit: string; tree_hash: string; files: number; created_at: string } | null
  changes: { path: string; status: string }[] | null
  tree_hash?: string
  matches_snapshot?: boolean
}

export function formatStatus(s: StatusView): string {
  if (!s.initialised)
    return `no sandbox at ${s.path}\ncreate one with: driftcore sandbox init --from PATH/TO/SITE`
  const lines = [`sandbox ${s.path}`]
  if (!s.snapshot) return [...lines, 'no snapshot yet: driftcore sandbox snapshot'].join('\n')
  lines.push(
    `snapshot ${s.snapshot.commit.slice(0, 12)} of ${s.snapshot.created_at} · ${s.snapshot.files} files`,
  )
  if (s.matches_snapshot !== undefined)
    lines.push(`tree hash ${s.tree_hash} ${s.matches_snapshot ? 'matches' : 'differs from'} the snapshot`)
  const changes = s.changes ?? []
  lines.push(
    changes.length === 0 ? 'no changes since the snapshot' : `${changes.length} changed since the snapshot:`,
  )
  if (changes.length > 0) lines.push(table(changes, ['status', 'path']))
  return lines.join('\n')
}

export interface RunView {
  command: string[]
  exit_code: number | null
  signal: string | null
  timed_out: boolean
  duration_ms: number
  log: string
}

export function formatRun(r: RunView): string {
  const how = r.timed_out ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit ${r.exit_code}`
  return `${r.command.join(' ')} · ${how} · ${r.duration_ms} ms · log ${r.log}`
}
