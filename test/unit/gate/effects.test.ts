import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { queryAudit } from '../../../src/audit/query.js'
import { DriftcoreError } from '../../../src/errors/driftcore-error.js'
import type { Kernel } from '../../../src/kernel/open.js'
import { defineTool } from '../../../src/registry/define.js'
import { tempProject, testKernel, type TempProject } from '../../helpers/project.js'

// When an approved call uses its approval: a tool that marks its effects uses it at
// ctx.beginEffects() (or on success), one that does not as its handler starts; a precheck that
// fails asks nobody and uses nothing.
let project: TempProject
let kernel: Kernel
const agent = { type: 'agent', id: 'copilot-1' }
const alice = { type: 'human', id: 'alice' }
const ran: string[] = []

const when = z.object({ fail: z.enum(['before', 'after', 'never', 'silently']) })
const marked = defineTool({
  id: 'fx.marked',
  description: 'fails before or after it begins its effects',
  capability: 'fx.write',
  risk: ['write'],
  input: when,
  output: z.object({ ok: z.boolean() }),
  effects: 'marked',
  async run({ fail }, ctx) {
    if (fail === 'before') throw new DriftcoreError('conflict', 'found a problem before changing anything')
    if (fail === 'silently') return { ok: true }
    await ctx.beginEffects()
    ran.push(fail)
    if (fail === 'after') throw new DriftcoreError('internal', 'broke halfway')
    return { ok: true }
  },
})
const plain = defineTool({
  id: 'fx.plain',
  description: 'says nothing of when its effects begin',
  capability: 'fx.write',
  risk: ['write'],
  input: z.object({}),
  output: z.object({ ok: z.boolean() }),
  async run() {
    throw new DriftcoreError('conflict', 'failed at once')
  },
})
const checked = defineTool({
  id: 'fx.checked',
  description: 'has a precheck',
  capability: 'fx.write',
  risk: ['write'],
  input: z.object({ possible: z.boolean() }),
  output: z.object({ ok: z.boolean() }),
  precheck({ possible }) {
    if (!possible) throw new DriftcoreError('unavailable', 'fx needs something that is not here')
  },
  async run() {
    return { ok: true }
  },
})

beforeEach(async () => {
  ran.length = 0
  project = await tempProject({
    policy: {
      'p.yaml': `apiVersion: driftcore/v1
kind: PolicyBundle
name: p
rules:
  - id: fx-needs-a-person
    decision: REQUIRE_APPROVAL
    match: { tools: ['fx.*'] }
`,
    },
  })
  kernel = await testKernel(project, [
    {
      plugin: 'driftcore-plugin-fx',
      capabilities: { tools: [marked, plain, checked] },
      packageJson: { driftcore: { prefixes: ['fx'] } },
    },
  ])
})
afterEach(async () => {
  await kernel.close()
  await project.cleanup()
})

async function granted(tool: string, input: Record<string, unknown>): Promise<string> {
  const asked = (await kernel.gate.invoke(tool, input, agent).catch((e: unknown) => e)) as DriftcoreError
  expect(asked).toMatchObject({ code: 'approval_required' })
  const id = asked.details.approval_id as string
  await kernel.approvals.decide(id, alice, 'approved')
  return id
}

const status = async (id: string) => (await kernel.approvals.get(id)).status

describe('when an approved call uses its approval', () => {
  it('a marked tool that fails before beginEffects keeps it, recorded as approval_used: false', async () => {
    const id = await granted('fx.marked', { fail: 'before' })
    await expect(
      kernel.gate.invoke('fx.marked', { fail: 'before' }, agent, { approvalId: id }),
    ).rejects.toMatchObject({ code: 'conflict' })
    expect(await status(id)).toBe('approved')
    await kernel.audit.flush()
    const [failed] = await queryAudit(kernel.paths.audit, { type: 'tool.call' }).then((r) =>
      r.filter((c) => c.data.outcome === 'error'),
    )
    expect(failed!.data).toMatchObject({ approval_id: id, approval_used: false })
  })

  it('a marked tool that fails after beginEffects used it: the repeat is refused and does not run', async () => {
    const id = await granted('fx.marked', { fail: 'after' })
    await expect(
      kernel.gate.invoke('fx.marked', { fail: 'after' }, agent, { approvalId: id }),
    ).rejects.toMatchObject({ code: 'internal' })
    expect(await status(id)).toBe('used')
    await expect(
      kernel.gate.invoke('fx.marked', { fail: 'after' }, agent, { approvalId: id }),
    ).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('is used') })
    expect(ran).toEqual(['after'])
  })

  it('a marked tool that succeeds without beginEffects still uses it', async () => {
    const id = await granted('fx.marked', { fail: 'silently' })
    const result = await kernel.gate.invoke('fx.marked', { fail: 'silently' }, agent, { approvalId: id })
    expect(result.approval).toMatchObject({ id, approved_by: alice })
    expect(await status(id)).toBe('used')
  })

  it('a tool that does not mark its effects uses it as its handler starts, even if it fails at once', async () => {
    const id = await granted('fx.plain', {})
    await expect(kernel.gate.invoke('fx.plain', {}, agent, { approvalId: id })).rejects.toMatchObject({
      code: 'conflict',
    })
    expect(await status(id)).toBe('used')
  })

  it('two calls racing with one approval: one begins its effects, the other is refused before it changes anything', async () => {
    const id = await granted('fx.marked', { fail: 'never' })
    const both = await Promise.allSettled(
      [1, 2].map(() => kernel.gate.invoke('fx.marked', { fail: 'never' }, agent, { approvalId: id })),
    )
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect(ran).toEqual(['never'])
  })

  it('a failing precheck creates no request', async () => {
    await expect(kernel.gate.invoke('fx.checked', { possible: false }, agent)).rejects.toMatchObject({
      code: 'unavailable',
    })
    expect(await kernel.approvals.list()).toEqual([])
  })
})
