import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditRecords, eventually, httpServer, type HttpServer } from '../../plugins/mcp/test/helpers.js'
import { runCli, tempProject, type TempProject } from '../helpers/project.js'

// A workflow approval step in a Tekton task: the real runner (`driftcore tekton step`, in a folder
// with no project, as in a pod) against a real `driftcore mcp serve`. The task opens the step's
// decision request on the service and waits; a person decides with `driftcore approvals approve`.
const TOKEN = 'tekton-task-token-0123456789abcdef0123456789abcdef'
const POLICY = `apiVersion: driftcore/v1
kind: PolicyBundle
name: cluster
rules:
  - id: tasks-may-ask
    match: { tools: [approvals.request, approvals.status] }
    decision: ALLOW
`
const ALICE = { DRIFTCORE_ACTOR: 'human:alice' }
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

const confirm = { id: 'confirm', type: 'approval', depends_on: [], message: 'deploy ${{ inputs.tag }}?' }

/** Starts the task's step; resolves when the task ends. */
async function task(runId: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-tekton-results-'))
  const files = { status: path.join(dir, 'status'), output: path.join(dir, 'output') }
  const result = await runCli({ dir: pod.dir, env: { ...pod.env, DRIFTCORE_MCP_TOKEN: TOKEN } }, [
    'tekton',
    'step',
    '--workflow',
    'deploy',
    '--step',
    'confirm',
    '--definition',
    JSON.stringify(confirm),
    '--inputs',
    JSON.stringify({ tag: 'v1.2' }),
    '--server',
    base,
    '--run-id',
    runId,
    '--poll-ms',
    '100',
    '--status-file',
    files.status,
    '--output-file',
    files.output,
  ])
  const read = (f: string) => readFile(f, 'utf8').catch(() => undefined)
  return { ...result, status: await read(files.status), output: await read(files.output) }
}

interface Listed {
  id: string
  status: string
  tool: string
  requester: { type: string; id: string }
  workflow?: { run_id: string; step: string }
}
async function list(): Promise<Listed[]> {
  const r = await runCli(service, ['approvals', 'list', '--status', 'all', '--json'])
  const parsed = JSON.parse(r.stdout) as Listed[] | { approvals: Listed[] }
  return Array.isArray(parsed) ? parsed : parsed.approvals
}
/** The step's request on the service, once the task has opened it. */
async function requestOf(runId: string): Promise<Listed> {
  return eventually(async () => (await list()).find((r) => r.workflow?.run_id === runId))
}

describe('an approval step in a Tekton task', () => {
  it('waits for a person: approved with driftcore approvals approve, the task succeeds with the local output', async () => {
    const running = task('deploy-run-1')
    const request = await requestOf('deploy-run-1')
    expect(request.tool).toBe('workflow:deploy/confirm')
    expect(request.requester.id).toMatch(/^driftcore-tekton\.deploy-run-1\//)
    const approve = await runCli(service, ['approvals', 'approve', request.id], { env: ALICE })
    expect(approve.exitCode, approve.stderr).toBe(0)
    const r = await running
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.status).toBe('succeeded')
    expect(JSON.parse(r.output!)).toMatchObject({
      approved: true,
      approval_id: request.id,
      decided_by: { type: 'human', id: 'alice' },
    })
    // One request for the whole wait, used once, and the asking is audited as tool calls.
    const mine = (await list()).filter((x) => x.workflow?.run_id === 'deploy-run-1')
    expect(mine.map((x) => x.status)).toEqual(['used'])
    const calls = (await auditRecords(service, 'tool.call')).filter((x) => x.subject === 'approvals.request')
    expect(calls.length).toBeGreaterThan(0)
    expect(calls.every((x) => (x.data.rule_ids as string[] | undefined)?.includes('tasks-may-ask'))).toBe(
      true,
    )
  })

  it('fails the task naming the request when a person denies it', async () => {
    const running = task('deploy-run-2')
    const request = await requestOf('deploy-run-2')
    const deny = await runCli(service, ['approvals', 'deny', request.id], { env: ALICE })
    expect(deny.exitCode, deny.stderr).toBe(0)
    const r = await running
    expect(r.exitCode).not.toBe(0)
    expect(r.stderr).toContain(`approval ${request.id} was denied`)
    expect(r.status).toBeUndefined()
  })
})

describe('a task that tries to approve its own step', () => {
  it('answers its own elicitation and claims to be a person: the request stays pending, nothing approves it', async () => {
    // The attacker: the task's own MCP client (same token, same client name as the runner),
    // accepting every elicitation the service might send it.
    let elicited = 0
    const url = new URL('/mcp', base)
    const mcp = new Client(
      { name: 'driftcore-tekton.deploy-run-3', version: '1.0.0' },
      { capabilities: { elicitation: { form: {} } } },
    )
    mcp.setRequestHandler(ElicitRequestSchema, () => {
      elicited++
      return { action: 'accept', content: { approve: true, comment: 'fine by me' } }
    })
    await mcp.connect(
      new StreamableHTTPClientTransport(url, {
        requestInit: { headers: { Origin: url.origin, Authorization: `Bearer ${TOKEN}` } },
      }),
    )
    try {
      const ask = { workflow: 'deploy', step: 'confirm', run_id: 'deploy-run-3', message: 'deploy v1.2?' }
      const text = async () => {
        const r = await mcp.callTool({ name: 'approvals.request', arguments: ask })
        const c = (r.content as { type: string; text: string }[])[0]!
        return JSON.parse(c.text) as { id: string; status: string }
      }
      const first = await text()
      expect(first.status).toBe('pending')
      // The same client again (also as a "human" it names itself): still the one pending request.
      const again = await text()
      expect(again).toMatchObject({ id: first.id, status: 'pending' })
      expect(elicited).toBe(0)
      // The requester's actor on the CLI cannot decide it either: agents never approve.
      const [request] = (await list()).filter((x) => x.id === first.id)
      const self = await runCli(service, ['approvals', 'approve', first.id], {
        env: { DRIFTCORE_ACTOR: `agent:${request!.requester.id}` },
      })
      expect(self.exitCode).not.toBe(0)
      expect((await text()).status).toBe('pending')
      // A person's grant of another run's step is not this run's: asking for run 3 under
      // run 1's approved step id changes nothing for run 1 and gives run 3 nothing.
      const other = await mcp.callTool({
        name: 'approvals.request',
        arguments: { ...ask, run_id: 'deploy-run-1', message: 'deploy v1.2?' },
      })
      const o = JSON.parse((other.content as { text: string }[])[0]!.text) as { id: string; status: string }
      expect(o.status).toBe('pending')
      const run1 = (await list()).filter((x) => x.workflow?.run_id === 'deploy-run-1')
      expect(run1.find((x) => x.id === o.id)).toBeDefined()
      expect(run1.filter((x) => x.status === 'used').length).toBe(1)
    } finally {
      await mcp.close()
    }
  })
})
