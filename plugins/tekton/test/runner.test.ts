import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpServer, recorded, auditRecords, type HttpServer } from '../../mcp/test/helpers.js'
import { runCli, tempProject, type TempProject } from '../../../test/helpers/project.js'
import { judgeVerdict } from '../src/runner/step.js'

// The runner in a pod, played by the real CLI in a folder with no project at all, calling a real
// `driftcore mcp serve` over HTTP: the call is decided by the service's policy and lands in the
// service's audit log, as one made on a laptop would.
const TOKEN = 'tekton-task-token-0123456789abcdef0123456789abcdef'
const POLICY = `apiVersion: driftcore/v1
kind: PolicyBundle
name: cluster
rules:
  - id: tasks-may-verify
    match: { tools: [audit.verify] }
    decision: ALLOW
  - id: no-config-writes
    match: { tools: [config.set] }
    decision: DENY
    reason: tasks never change config
`
let service: TempProject
let server: HttpServer
let pod: TempProject
let base: string

beforeAll(async () => {
  service = await tempProject({ policy: { 'cluster.yaml': POLICY } })
  server = await httpServer(service, { env: { DRIFTCORE_MCP_TOKEN: TOKEN } })
  base = new URL(server.url).origin
  pod = await tempProject()
})
afterAll(async () => {
  await server?.stop()
  await service?.cleanup()
  await pod?.cleanup()
})

async function step(
  definition: object,
  options: { inputs?: object; upstream?: string[]; token?: string } = {},
) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-tekton-results-'))
  const files = { status: path.join(dir, 'status'), output: path.join(dir, 'output') }
  const id = (definition as { id: string }).id
  const result = await runCli(
    { dir: pod.dir, env: { ...pod.env, DRIFTCORE_MCP_TOKEN: options.token ?? TOKEN } },
    [
      'tekton',
      'step',
      '--workflow',
      'w',
      '--step',
      id,
      '--definition',
      JSON.stringify({ depends_on: [], ...definition }),
      '--inputs',
      JSON.stringify(options.inputs ?? {}),
      '--server',
      base,
      '--run-id',
      'w-run-1',
      '--status-file',
      files.status,
      '--output-file',
      files.output,
      '--',
      ...(options.upstream ?? []),
    ],
  )
  const read = (f: string) => readFile(f, 'utf8').catch(() => undefined)
  return { ...result, status: await read(files.status), output: await read(files.output) }
}

describe('a tool verdict in the pod', () => {
  it('fails the step under on_verdict: fail, naming what the tool said, and only reports under ignore', () => {
    const drift = { ok: false, summary: 'drift left in 2 objects: system.site, node.type.page' }
    expect(() => judgeVerdict('w: steps.recheck', 'fail', drift)).toThrow(
      /steps.recheck: drift left in 2 objects/,
    )
    expect(() => judgeVerdict('w: steps.check', 'ignore', drift)).not.toThrow()
    expect(() => judgeVerdict('w: steps.ok', 'fail', { ok: true, summary: 'no drift' })).not.toThrow()
  })
})

describe('driftcore tekton step (the runner image’s command)', () => {
  it('makes the tool call on the service: decided by its policy, recorded in its audit log', async () => {
    const r = await step({ id: 'verify', type: 'worker', tool: 'audit.verify', with: {}, on_verdict: 'fail' })
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.status).toBe('succeeded')
    expect(JSON.parse(r.output!)).toHaveProperty('ok')
    const [record] = await recorded(service, 'tool.call', (rec) => rec.subject === 'audit.verify')
    expect(record!.actor.id).toMatch(/^driftcore-tekton\.w-run-1\//)
    expect(record!.data.rule_ids).toEqual(['tasks-may-verify'])
    expect(record!.data.outcome).toBe('ok')
  })

  it('decides when: in the task: a skipped step succeeds with status skipped and output null, calling nothing', async () => {
    const before = (await auditRecords(service, 'tool.call')).length
    const r = await step(
      {
        id: 'maybe',
        type: 'worker',
        tool: 'audit.verify',
        with: {},
        when: 'inputs.go && steps.check.output',
        on_verdict: 'fail',
      },
      { inputs: { go: true }, upstream: ['check=succeeded:false'] },
    )
    expect(r.exitCode, r.stderr).toBe(0)
    expect([r.status, r.output]).toEqual(['skipped', 'null'])
    expect((await auditRecords(service, 'tool.call')).length).toBe(before)
  })

  it('evaluates a condition over the run input and what earlier steps gave', async () => {
    const r = await step(
      { id: 'enough', type: 'condition', expression: 'steps.count.output.n >= inputs.min' },
      { inputs: { min: 2 }, upstream: ['count=succeeded:{"n":3}'] },
    )
    expect(r.exitCode, r.stderr).toBe(0)
    expect([r.status, r.output]).toEqual(['succeeded', 'true'])
  })

  it('fails the task with the service’s policy_denied (exit 4) when its policy denies the call', async () => {
    const r = await step({
      id: 'sneak',
      type: 'worker',
      tool: 'config.set',
      with: { key: 'audit.fsync', value: 'off' },
      on_verdict: 'fail',
    })
    expect(r.exitCode).toBe(4)
    expect(r.stderr).toMatch(/tasks never change config|denied/i)
    expect(r.status).toBeUndefined()
  })

  it('gets nothing done with a wrong token: refused before anything is decided', async () => {
    const before = (await auditRecords(service, 'tool.call')).length
    const r = await step(
      { id: 'verify', type: 'worker', tool: 'audit.verify', with: {}, on_verdict: 'fail' },
      { token: 'guessed' },
    )
    expect(r.exitCode).not.toBe(0)
    expect(r.status).toBeUndefined()
    expect((await auditRecords(service, 'tool.call')).length).toBe(before)
  })

  it('fails a step that reads an output too large for a Tekton result, naming it, instead of reading the pointer', async () => {
    const r = await step(
      { id: 'use', type: 'condition', expression: 'size(steps.big.output.items) > 0' },
      { upstream: ['big=succeeded:{"driftcore.dev/too-large":{"artifact":null,"bytes":9000}}'] },
    )
    expect(r.exitCode).toBe(9)
    expect(r.stderr).toMatch(/reads steps\.big\.output, which was too large for a Tekton result/)
    expect(r.status).toBeUndefined()
  })

  it('refuses an upstream argument that is not id=status:output, instead of guessing', async () => {
    const r = await step({ id: 'c', type: 'condition', expression: 'true' }, { upstream: ['check={"x":1}'] })
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/not id=status:output/)
  })
})
