import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  calls,
  service,
  workflowKernel,
  writeWorkflow,
  useWorkflowProject,
} from '../../../helpers/workflow.js'

const t = useWorkflowProject()

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    out[file] = `${(await stat(file)).mtimeMs}:${await readFile(file, 'utf8')}`
  }
  return out
}

describe('a dry run', () => {
  it('decides every step by policy and plans skips, blocks and routes, without running or recording anything', async () => {
    const file = await writeWorkflow(
      t.project,
      'plan',
      `  - { id: read, type: worker, tool: wf.echo, with: { key: read, value: 1 } }
  - { id: change, type: worker, tool: wf.write, depends_on: [read], with: { key: change } }
  - { id: prod_only, type: worker, tool: wf.echo, when: "inputs.env == 'prod'", with: { key: p, value: 1 } }
  - { id: secret, type: worker, tool: hello.useToken, with: { token: "secret://env/T" } }
  - { id: after_secret, type: worker, tool: wf.echo, depends_on: [secret], with: { key: s, value: 1 } }
  - { id: routed, type: worker, topic: nowhere }
  - { id: later, type: worker, tool: wf.echo, depends_on: [read], with: { key: l, value: "\${{ steps.read.output }}" } }
  - { id: ok, type: approval, message: go?, approvers: [alice] }
`,
    )
    await t.kernel.close()
    const before = await snapshot(t.project.home)
    t.kernel = await workflowKernel(t.project)
    const plan = await service(t.kernel).plan(file, { env: 'dev' })
    const by = Object.fromEntries(plan.map((p) => [p.step, p]))
    expect(by.read).toMatchObject({
      action: 'allowed',
      decision: 'ALLOW',
      rule: 'allow-read-only',
      target: 'tool:wf.echo',
    })
    expect(by.change).toMatchObject({ action: 'needs_approval', rule: 'approve-write-exec' })
    expect(by.prod_only).toMatchObject({ action: 'skipped' })
    expect(by.secret).toMatchObject({ action: 'denied', decision: 'DENY' })
    expect(by.after_secret).toMatchObject({ action: 'blocked' })
    expect(by.routed).toMatchObject({ action: 'dlq', reason: expect.stringContaining('no_pool_mapping') })
    expect(by.later).toMatchObject({ action: 'allowed', input_known: false })
    expect(by.ok).toMatchObject({ action: 'human_gate', reason: 'a person approves (alice)' })
    await t.kernel.close()
    expect(calls.size).toBe(0)
    expect(await snapshot(t.project.home)).toEqual(before)
  })
})
