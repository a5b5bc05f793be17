import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Actor } from '../audit/record.js'
import { verifyAudit } from '../audit/verify.js'
import { isDriftcoreError } from '../errors/driftcore-error.js'
import type { Kernel } from '../kernel/open.js'
import { initProject } from '../project/init.js'
import { projectPaths } from '../store/paths.js'

export interface DemoStep {
  title: string
  outcome: string
  detail?: unknown
}

export interface DemoResult {
  project: string
  steps: DemoStep[]
}

/**
 * The quick-start job on the embedded defaults: a throwaway project, the default policy, and
 * calls through the gate as an agent and as a person, ending with an audit verification.
 */
export async function runDemo(options: {
  dir?: string
  open: (home: string) => Promise<Kernel>
  onStep?: (step: DemoStep) => void
}): Promise<DemoResult> {
  const root = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'driftcore-demo-')))
  const paths = projectPaths(path.join(root, '.driftcore'), root)
  await initProject(paths)
  const kernel = await options.open(paths.home)
  const steps: DemoStep[] = []
  const step = (s: DemoStep) => {
    steps.push(s)
    options.onStep?.(s)
  }
  const agent: Actor = { type: 'agent', id: 'demo-copilot' }
  try {
    step({
      title: `project created in ${root}`,
      outcome: `${kernel.registry.tools().length} tools registered`,
    })
    const read = await kernel.gate.invoke('config.effective', {}, agent)
    step({
      title: 'agent reads the effective config (read-only tool)',
      outcome: `${read.decision.decision} by rule ${read.decision.deciding_rule}`,
    })
    const simulated = kernel.gate.simulate({
      tool: { id: 'drush.configImport', capability: 'drupal.write', risk_tags: ['write'] },
      input: {},
      actor: agent,
    })
    step({
      title: 'policy simulate: may the agent import config (a write)?',
      outcome: `${simulated.decision}: ${simulated.reason}`,
    })
    try {
      await kernel.gate.invoke('policy.simulate', { tool: 'nope.tool' }, agent)
    } catch (error) {
      if (!isDriftcoreError(error)) throw error
      step({ title: 'agent asks about an unknown tool', outcome: `${error.code}: ${error.message}` })
    }
    await kernel.close()
    const audit = await verifyAudit(paths.audit)
    step({
      title: 'audit log verified',
      outcome: `${audit.ok ? 'intact' : 'FAILED'}: ${audit.records} records, last hash ${audit.last_hash.slice(0, 16)}…`,
    })
    return { project: root, steps }
  } finally {
    await kernel.close()
  }
}
