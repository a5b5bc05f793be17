import { table } from 'driftcore/api'

export interface QaView {
  ok: boolean
  stopped_early: boolean
  changed_files: string[]
  report: string
  steps: {
    name: string
    status: string
    reason?: string
    exit_code: number | null
    duration_ms: number
    runs: number
    output_tail: string
    log?: string
    junit?: {
      tests: number
      failures: number
      errors: number
      failed_cases: { suite: string; name: string; message: string }[]
    }
  }[]
}

export function formatQa(qa: QaView): string {
  const rows = qa.steps.map((s) => ({
    ...s,
    tests: s.junit ? `${s.junit.tests - s.junit.failures - s.junit.errors}/${s.junit.tests} passed` : '',
  }))
  const lines = [table(rows, ['name', 'status', 'exit_code', 'runs', 'duration_ms', 'tests', 'reason'])]
  for (const step of qa.steps.filter((s) => s.status === 'failed')) {
    lines.push('', `── ${step.name} (full log: ${step.log ?? 'none'})`, step.output_tail)
    for (const c of step.junit?.failed_cases ?? []) lines.push(`  ✗ ${c.suite}::${c.name}: ${c.message}`)
  }
  lines.push(
    '',
    `${qa.ok ? 'QA passed' : 'QA failed'} · ${qa.changed_files.length} changed files · report ${qa.report}`,
  )
  return lines.join('\n')
}
