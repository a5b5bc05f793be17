import { existsSync } from 'node:fs'
import { cp, mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Actor } from '../audit/record.js'
import { verifyProjectAudit } from '../audit/project-audit.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import type { Kernel } from '../kernel/open.js'
import { initProject } from '../project/init.js'
import { projectPaths } from '../store/paths.js'
import type { RunState } from '../workflow/journal/state.js'
import { WorkflowService } from '../workflow/service.js'

/** The example site that ships with driftcore: a baseline export and the live site's export. */
export const EXAMPLE_SITE = fileURLToPath(new URL('../../sandbox/example-site', import.meta.url))

export interface DemoStep {
  title: string
  lines: string[]
}

export interface DemoResult {
  project: string
  steps: DemoStep[]
  runs: { metadata: string; drift: string }
  approval: string
  audit: { ok: boolean; records: number; last_hash: string }
}

const AGENT: Actor = { type: 'agent', id: 'demo-copilot' }
const REVIEWER: Actor = { type: 'human', id: 'demo-reviewer' }

// The new Event content type is the site's to keep; everything else goes back to the baseline.
const DEMO_CONFIG = `project:
  name: riverside-library
drift:
  accept_site: [node.type.event, 'field.*.node.event.*', field.storage.node.field_event_date]
`

/**
 * The quick-start job, on the embedded example site, with no Drupal and no server: an agent
 * inspects the content model and checks configuration drift with the flagship workflows; the
 * remediation waits for a person; the person approves; the run finishes; the audit log verifies.
 */
export async function runDemo(options: {
  dir?: string
  open: (home: string) => Promise<Kernel>
  onStep?: (step: DemoStep) => void
}): Promise<DemoResult> {
  // Absolute, so the workflows' relative sources resolve against the project, not the cwd.
  const root = options.dir
    ? path.resolve(options.dir)
    : await mkdtemp(path.join(os.tmpdir(), 'driftcore-demo-'))
  const paths = projectPaths(path.join(root, '.driftcore'), root)
  // The demo writes its own config, approvals and audit records: never into a real project.
  if (existsSync(paths.home)) {
    throw new DriftcoreError('conflict', `${root} already holds a driftcore project (${paths.home})`, {
      hint: 'the demo makes a project of its own: give --dir a new folder, or leave it out for a temporary one',
      details: { home: paths.home },
    })
  }
  await initProject(paths)
  await writeFile(paths.config, DEMO_CONFIG)
  const baseline = path.join(root, 'config/baseline')
  const live = path.join(root, 'config/live')
  await cp(path.join(EXAMPLE_SITE, 'config/baseline'), baseline, { recursive: true })
  await cp(path.join(EXAMPLE_SITE, 'config/current'), live, { recursive: true })
  const steps: DemoStep[] = []
  const step = (title: string, lines: string[]) => {
    const s = { title, lines }
    steps.push(s)
    options.onStep?.(s)
  }

  const kernel = await options.open(paths.home)
  try {
    const agent = new WorkflowService(kernel, { actor: AGENT })
    step(`a project for the Riverside Library site in ${root}`, [
      `${kernel.registry.tools().length} tools; the default policy: reads run, changes wait for a person`,
    ])

    await agent.start('metadata-inspection', { from: 'config', source: baseline })
    const metadata = await agent.start('metadata-inspection', { from: 'config', source: live })
    const compare = output(metadata.state, 'compare') as {
      deltas: { kind: string; change: string; id: string }[]
    }
    step('agent: metadata-inspection (harvest the content model, compare with the last snapshot)', [
      `run ${metadata.state.run_id} ${metadata.state.status}`,
      ...compare.deltas.map((d) => `${d.change} ${d.kind} ${d.id}`),
    ])

    const started = await agent.start('config-drift', { baseline: 'config/baseline', current: 'config/live' })
    const check = output(started.state, 'check') as DriftCheck
    const approval = started.state.steps.accept?.approval_id
    step('agent: config-drift (compare the live config with the baseline)', [
      `${check.summary.added} added, ${check.summary.removed} removed, ${check.summary.changed} changed; not drift: ${check.summary.noise_only} noise-only, ${check.summary.equivalent} reordered`,
      ...check.plan.steps.map((s) => `plan: ${s.tool} — ${s.why}`),
      `run ${started.state.run_id} ${started.state.status}: accepting into the baseline needs a person (${approval ?? 'no approval'})`,
    ])
    if (!approval)
      throw new Error(`the demo expected the run to wait for an approval, but it is ${started.state.status}`)

    await kernel.approvals.decide(approval, REVIEWER, 'approved', 'the Event type is meant to stay')
    const resumed = await agent.resume(started.state.run_id)
    const recheck = output(resumed.state, 'recheck') as DriftCheck
    step(`person: ${REVIEWER.id} approves ${approval}; the run resumes`, [
      // The recheck's verdict fails the run while drift is left: here that is the part only an
      // import on the live site can clear, and the demo has no site to import into.
      `run ${resumed.state.run_id} ${resumed.state.status}${resumed.state.status === 'failed' ? ': its recheck still finds the drift only an import clears' : ''}`,
      `accepted into the baseline: ${(output(resumed.state, 'accept') as { written: string[] }).written.join(', ')}`,
      `left for an import on the live site (needs Drush): ${recheck.plan.import.map((o) => o.name).join(', ')}`,
    ])

    await kernel.close()
    const audit = await verifyProjectAudit(paths, kernel.config.values.audit)
    step('audit log', [
      `${audit.ok ? 'chain intact' : 'FAILED verification'}: ${audit.records} records, last hash ${audit.last_hash.slice(0, 16)}…`,
    ])
    return {
      project: root,
      steps,
      runs: { metadata: metadata.state.run_id, drift: resumed.state.run_id },
      approval,
      audit: { ok: audit.ok, records: audit.records, last_hash: audit.last_hash },
    }
  } finally {
    await kernel.close()
  }
}

interface DriftCheck {
  summary: Record<'added' | 'removed' | 'changed' | 'noise_only' | 'equivalent', number>
  plan: { import: { name: string }[]; steps: { tool: string; why: string }[] }
}

function output(state: RunState, step: string): unknown {
  return state.steps[step]?.output
}
