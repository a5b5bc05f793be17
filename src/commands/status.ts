import { palette } from '../cli/color.js'
import { DriftcoreCommand } from '../cli/base-command.js'
import { table, terminalWidth } from '../cli/format.js'
import type { ProjectStatus } from '../project/status.js'

export default class Status extends DriftcoreCommand<typeof Status> {
  static override summary =
    'One screen: the project, pending approvals, suspended and failed runs, the last drift check, policy and audit head'
  static override description =
    'Read-only: it changes nothing and records nothing of its own. The same facts are in --json. ' +
    'For a health check of the state files themselves, run driftcore doctor.'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']

  async run(): Promise<ProjectStatus> {
    const { projectStatus } = await import('../project/status.js')
    const status = await projectStatus(await this.kernel())
    if (!this.jsonEnabled()) this.log(formatStatus(status))
    return status
  }
}

function formatStatus(s: ProjectStatus): string {
  const paint = palette()
  const heading = (text: string) => paint.bold(text)
  const actor = (a: { type: string; id: string }) => `${a.type}:${a.id}`
  const lines = [
    `${heading('project')}   ${s.project.name ?? '(unnamed)'} · ${s.project.environment} · ${s.project.root}`,
    '',
    `${heading('approvals')} ${s.approvals.pending === 0 ? 'none pending' : paint.waiting(`${s.approvals.pending} pending`)}`,
  ]
  if (s.approvals.pending > 0) {
    const rows = s.approvals.requests.map((r) => ({ ...r, requester: actor(r.requester) }))
    lines.push(
      indent(table(rows.slice(0, 10), ['id', 'tool', 'requester', 'reason'], { width: terminalWidth() - 2 })),
    )
    if (rows.length > 10) lines.push(`  … and ${rows.length - 10} more: driftcore approvals list`)
    lines.push('  decide: driftcore approvals review')
  }
  const stopped = [...s.runs.suspended, ...s.runs.failed, ...s.runs.interrupted]
  lines.push(
    '',
    `${heading('runs')}      ${s.runs.suspended.length} suspended · ${s.runs.failed.length} failed · ${s.runs.interrupted.length} interrupted`,
  )
  if (stopped.length > 0) {
    const rows = stopped.map((r) => ({ ...r, status: r.interrupted ? 'interrupted' : r.status }))
    lines.push(
      indent(
        table(rows.slice(0, 10), ['run_id', 'workflow', 'status', 'summary'], { width: terminalWidth() - 2 }),
      ),
    )
    lines.push('  more: driftcore workflow status RUN_ID')
  }
  const d = s.drift
  lines.push(
    '',
    `${heading('drift')}     ${
      !d
        ? 'never checked (driftcore drift check)'
        : `${d.drift === null ? d.outcome : d.drift ? paint.waiting('drift') : paint.good('no drift')}${
            d.summary
              ? ` (${d.summary.changed ?? 0} changed, ${d.summary.added ?? 0} added, ${d.summary.removed ?? 0} removed)`
              : ''
          } · last checked ${d.at} by ${actor(d.actor)}`
    }`,
  )
  const p = s.policy
  lines.push(
    `${heading('policy')}    snapshot ${p.version}${p.pinned ? ' (pinned)' : ''} · ${p.bundles.join(', ') || 'no bundles'} · sha256 ${p.hash.slice(0, 16)}…`,
  )
  if (p.refused) lines.push(`  ${paint.bad('refused')}: ${p.refused}`)
  lines.push(
    `${heading('audit')}     ${s.audit ? `record ${s.audit.seq} · head ${s.audit.hash.slice(0, 16)}… (${s.audit.segment})` : 'empty'} · verify: driftcore audit verify`,
  )
  return lines.join('\n')
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
}
