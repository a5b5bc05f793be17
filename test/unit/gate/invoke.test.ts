import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { queryAudit } from '../../../src/audit/query.js'
import { verifyAudit } from '../../../src/audit/verify.js'
import type { Kernel } from '../../../src/kernel/open.js'
import {
  fixturePluginContribution,
  tempProject,
  testKernel,
  type TempProject,
} from '../../helpers/project.js'

let project: TempProject
let kernel: Kernel
const agent = { type: 'agent', id: 'copilot-1' }
const alice = { type: 'human', id: 'alice' }

beforeEach(async () => {
  project = await tempProject({
    config: 'launcher:\n  allowlist: [echo, sleep, node]\n  kill_grace_ms: 200\n',
  })
  kernel = await testKernel(project, [await fixturePluginContribution()])
})
afterEach(async () => {
  await kernel.close()
  await project.cleanup()
})

describe('the gate', () => {
  it('runs an allowed read-only tool and records one tool.call with decision, rule and input hash', async () => {
    const result = await kernel.gate.invoke('hello.greet', { name: 'Ada' }, agent)
    expect(result.output).toMatchObject({ greeting: 'hello Ada' })
    expect(result.decision.decision).toBe('ALLOW')
    await kernel.close()
    const records = await queryAudit(kernel.paths.audit, { type: 'tool.call' })
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({
      subject: 'hello.greet',
      actor: agent,
      data: { outcome: 'ok', decision: 'ALLOW', rule_ids: ['allow-read-only'] },
    })
    expect(records[0]!.data.input_hash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('rejects input that fails the schema, naming the path, and records invalid input without running', async () => {
    await expect(kernel.gate.invoke('hello.greet', { name: 42 }, agent)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('name'),
    })
  })

  it('refuses an input padded with a key the tool does not take when its schema is a z.lazy object, as for a plain one', async () => {
    const lazyKernel = await testKernel(project, [
      {
        plugin: 'driftcore-plugin-lazy',
        claims: { prefixes: ['lazy'], resources: [] },
        capabilities: {
          tools: [
            {
              id: 'lazy.echo',
              description: 'Echoes its name.',
              capability: 'lazy.read',
              risk: ['read'],
              input: z.lazy(() => z.object({ name: z.string() })),
              output: () => z.object({ name: z.string() }),
              run: async (input: { name: string }) => ({ name: input.name }),
            },
          ],
        },
      },
    ])
    try {
      await expect(
        lazyKernel.gate.invoke('lazy.echo', { name: 'a', admin: true }, agent),
      ).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringContaining('admin'),
      })
      const ok = await lazyKernel.gate.invoke('lazy.echo', { name: 'a' }, agent)
      expect(ok.output).toEqual({ name: 'a' })
    } finally {
      await lazyKernel.close()
    }
  })

  it('refuses an unknown tool with a suggestion', async () => {
    await expect(kernel.gate.invoke('hello.gret', {}, agent)).rejects.toMatchObject({
      code: 'not_found',
      hint: expect.stringContaining('hello.greet'),
    })
  })

  it('turns REQUIRE_APPROVAL into a pending request bound to the input, and runs it once approved', async () => {
    const error = await kernel.gate
      .invoke('hello.shout', { words: ['a;b', '$(whoami)'] }, agent)
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'approval_required' })
    const approvalId = (error as { details: { approval_id: string } }).details.approval_id
    await expect(kernel.approvals.decide(approvalId, agent, 'approved')).rejects.toMatchObject({
      code: 'forbidden',
    })
    await kernel.approvals.decide(approvalId, alice, 'approved')
    await expect(
      kernel.gate.invoke('hello.shout', { words: ['different'] }, agent, { approvalId }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    const result = await kernel.gate.invoke('hello.shout', { words: ['a;b', '$(whoami)'] }, agent, {
      approvalId,
    })
    expect(result.output).toEqual({ stdout: 'a;b $(whoami)\n', exit_code: 0 })
    await expect(
      kernel.gate.invoke('hello.shout', { words: ['a;b', '$(whoami)'] }, agent, { approvalId }),
    ).rejects.toMatchObject({ code: 'forbidden' })
  })

  it('reports in a dry run the input hash that an approval for the same call is bound to', async () => {
    const dry = await kernel.gate.invoke('hello.shout', { words: ['x'] }, agent, { dryRun: true })
    expect(dry.decision.decision).toBe('REQUIRE_APPROVAL')
    const error = await kernel.gate.invoke('hello.shout', { words: ['x'] }, agent).catch((e: unknown) => e)
    const approval = await kernel.approvals.get(
      (error as { details: { approval_id: string } }).details.approval_id,
    )
    expect(dry.input_hash).toBe(approval.input_hash)
  })

  it('records the input and output of the call as they were, whatever handler and caller do with them afterwards', async () => {
    // The record is built after the caller has its answer; a handler that edits its input and a
    // caller that edits the output it got must not change what the audit log says happened.
    const careless = {
      id: 'careless.edit',
      description: 'Edits its own input, then returns it. Read-only.',
      capability: 'careless.read',
      risk: ['read' as const],
      input: z.object({ words: z.array(z.string()) }),
      output: z.object({ words: z.array(z.string()) }),
      async run(input: { words: string[] }) {
        const output = { words: [...input.words] }
        input.words.push('edited by the handler')
        return output
      },
    }
    const k = await testKernel(project, [{ plugin: 'careless', capabilities: { tools: [careless] } }])
    const dry = await k.gate.invoke('careless.edit', { words: ['as', 'sent'] }, agent, { dryRun: true })
    const result = await k.gate.invoke('careless.edit', { words: ['as', 'sent'] }, agent)
    ;(result.output as { words: string[] }).words.push('edited by the caller')
    await k.close()
    const [record] = await queryAudit(k.paths.audit, { type: 'tool.call', subject: 'careless.edit' })
    expect(record!.data.input_hash).toBe(dry.input_hash)
    expect(record!.data.result).toMatchObject({ inline: { words: ['as', 'sent'] } })
  })

  it('returns the first result for a repeated idempotency key and refuses the key for another input', async () => {
    const first = await kernel.gate.invoke('hello.greet', { name: 'x' }, agent, { idempotencyKey: 'k1' })
    const again = await kernel.gate.invoke('hello.greet', { name: 'x' }, agent, { idempotencyKey: 'k1' })
    expect(again.replayed).toBe(true)
    expect(again.output).toEqual(first.output)
    await expect(
      kernel.gate.invoke('hello.greet', { name: 'y' }, agent, { idempotencyKey: 'k1' }),
    ).rejects.toMatchObject({ code: 'conflict' })
  })

  it('keeps a secret used in a call out of every output, record and file', async () => {
    const secret = 'sup3r-s3cret-value-4711'
    const k = await testKernel(
      { ...project, env: { ...project.env, HELLO_TOKEN: secret } },
      // node is on the project's launcher.allowlist (a protected key, which -c may not set).
      [await fixturePluginContribution()],
    )
    // useToken carries the secrets risk tag: the default policy denies it, so allow it here.
    await k.close()
    const fs = await import('node:fs/promises')
    await fs.mkdir(path.join(project.home, 'policy'), { recursive: true })
    await fs.writeFile(
      path.join(project.home, 'policy', 'p.yaml'),
      'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: p\nrules:\n  - id: all\n    decision: ALLOW\n',
    )
    const k2 = await testKernel(
      { ...project, env: { ...project.env, HELLO_TOKEN: secret } },
      // node is on the project's launcher.allowlist (a protected key, which -c may not set).
      [await fixturePluginContribution()],
    )
    const result = await k2.gate.invoke('hello.useToken', { token: 'secret://env/HELLO_TOKEN' }, alice)
    await k2.close()
    const text = JSON.stringify(result)
    expect(text).not.toContain(secret)
    expect(text).toContain('token=[REDACTED]')
    expect((result.output as { log?: string }).log).toMatch(/^artifact:\/\//)
    const files = await listFiles(project.home)
    for (const file of files) expect(await readFile(file, 'utf8'), file).not.toContain(secret)
    expect((await verifyAudit(k2.paths.audit)).ok).toBe(true)
  })

  it('times out a call at the policy timeout and kills its child', async () => {
    const fs = await import('node:fs/promises')
    await fs.mkdir(path.join(project.home, 'policy'), { recursive: true })
    await fs.writeFile(
      path.join(project.home, 'policy', 'p.yaml'),
      'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: p\nrules:\n  - id: quick\n    decision: ALLOW\n    constraints: { timeout_ms: 300 }\n',
    )
    const k = await testKernel(project, [await fixturePluginContribution()])
    await expect(k.gate.invoke('hello.sleep', { seconds: 31.7 }, alice)).rejects.toMatchObject({
      code: 'timeout',
    })
    await k.close()
    expect(await processesRunning('sleep 31.7')).toEqual([])
    const [record] = await queryAudit(k.paths.audit, { type: 'tool.call', subject: 'hello.sleep' })
    expect(record!.data).toMatchObject({
      decision: 'ALLOW_WITH_CONSTRAINTS',
      outcome: 'error',
      error: { code: 'timeout' },
    })
  })
})

async function processesRunning(commandLine: string): Promise<string[]> {
  const { execa } = await import('execa')
  const ps = await execa('ps', ['-eo', 'args'], { reject: false })
  return String(ps.stdout)
    .split('\n')
    .filter((line) => line.trim() === commandLine)
}

async function listFiles(dir: string): Promise<string[]> {
  const fs = await import('node:fs/promises')
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))
}
