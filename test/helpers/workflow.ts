import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { z } from 'zod'
import { DriftcoreError, type ErrorCode } from '../../src/errors/driftcore-error.js'
import type { Kernel } from '../../src/kernel/open.js'
import type { Contribution } from '../../src/registry/registry.js'
import type { ToolDefinition } from '../../src/registry/types.js'
import type { Clock } from '../../src/workflow/engine/clock.js'
import { WorkflowService } from '../../src/workflow/service.js'
import { fixturePluginContribution, tempProject, testKernel, type TempProject } from './project.js'

export const tester = { type: 'human', id: 'tester' }
export const alice = { type: 'human', id: 'alice' }

/** Calls per key, so a test can see how often the gate reached a handler. */
export const calls = new Map<string, number>()

const flaky: ToolDefinition = {
  id: 'wf.flaky',
  description: 'Fails the first `failures` calls for a key with `code`, then returns the call count.',
  capability: 'wf.read',
  risk: ['read'],
  input: z.object({ key: z.string(), failures: z.number().int(), code: z.string().default('unavailable') }),
  output: z.object({ calls: z.number() }),
  async run(input: { key: string; failures: number; code: string }) {
    const n = (calls.get(input.key) ?? 0) + 1
    calls.set(input.key, n)
    if (n <= input.failures) throw new DriftcoreError(input.code as ErrorCode, `${input.key} failure ${n}`)
    return { calls: n }
  },
}

const echo: ToolDefinition = {
  id: 'wf.echo',
  description: 'Returns its input as value, and counts calls per key.',
  capability: 'wf.read',
  risk: ['read'],
  input: z.object({ key: z.string().default('echo'), value: z.unknown() }),
  output: z.object({ value: z.unknown() }),
  async run(input: { key: string; value: unknown }) {
    calls.set(input.key, (calls.get(input.key) ?? 0) + 1)
    return { value: input.value }
  },
}

const hang: ToolDefinition = {
  id: 'wf.hang',
  description: 'Waits until its signal is aborted.',
  capability: 'wf.read',
  risk: ['read'],
  input: z.object({}),
  output: z.object({}),
  async run(_input, ctx) {
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }))
    return {}
  },
}

const write: ToolDefinition = {
  id: 'wf.write',
  description: 'Pretends to change something; the default policy asks a person first.',
  capability: 'wf.write',
  risk: ['write'],
  input: z.object({ key: z.string() }),
  output: z.object({ written: z.string() }),
  async run(input: { key: string }) {
    calls.set(input.key, (calls.get(input.key) ?? 0) + 1)
    return { written: input.key }
  },
}

export const workflowTools: Contribution = {
  plugin: 'wf-test',
  capabilities: { tools: [flaky, echo, hang, write] },
  claims: { prefixes: ['wf'], resources: [] },
}

/** A clock that moves at once: sleeps are recorded and advance `now`, nothing waits. */
export function fakeClock(start = Date.parse('2026-01-01T00:00:00.000Z')) {
  const sleeps: number[] = []
  let now = start
  const clock: Clock = {
    now: () => now,
    random: () => 0.5,
    async sleep(ms, signal) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted')
      sleeps.push(ms)
      now += Math.max(0, ms)
      await Promise.resolve()
    },
  }
  return { clock, sleeps, set: (t: number) => (now = t) }
}

export async function workflowKernel(project: TempProject, flags: string[] = []): Promise<Kernel> {
  return testKernel(project, [await fixturePluginContribution(), workflowTools], flags)
}

export function service(kernel: Kernel, options: { clock?: Clock; actor?: typeof tester } = {}) {
  return new WorkflowService(kernel, {
    actor: options.actor ?? tester,
    ...(options.clock ? { clock: options.clock } : {}),
  })
}

export async function writeWorkflow(
  project: TempProject,
  name: string,
  steps: string,
  head = '',
): Promise<string> {
  const file = path.join(project.dir, `${name}.yaml`)
  await writeFile(file, `apiVersion: driftcore/v1\nkind: Workflow\nname: ${name}\n${head}steps:\n${steps}`)
  return file
}

export const ALLOW_ALL =
  'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: all\nrules:\n  - id: all\n    decision: ALLOW\n'

/**
 * A fresh project and kernel (host tools, the hello fixture, the wf test tools) for each test
 * of a file. `t.kernel` may be replaced by a test that reopens it with other config.
 */
export function useWorkflowProject(options: { config?: string; policy?: Record<string, string> } = {}) {
  const t = {} as { project: TempProject; kernel: Kernel }
  beforeEach(async () => {
    calls.clear()
    t.project = await tempProject(options)
    t.kernel = await workflowKernel(t.project)
  })
  afterEach(async () => {
    await t.kernel.close()
    await t.project.cleanup()
  })
  return t
}
