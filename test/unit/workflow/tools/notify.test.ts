import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { queryAudit } from '../../../../src/audit/query.js'
import type { Kernel } from '../../../../src/kernel/open.js'
import { allowOverrides, tempProject, type TempProject } from '../../../helpers/project.js'
import { ALLOW_ALL, service, workflowKernel, writeWorkflow } from '../../../helpers/workflow.js'

let project: TempProject
let kernel: Kernel
let received: { headers: IncomingHttpHeaders; body: string }[]
let server: ReturnType<typeof createServer>
const KEY = 'webhook-signing-key-4711'

beforeEach(async () => {
  received = []
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      received.push({ headers: req.headers, body })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  project = await tempProject({
    config: `workflow:\n  notify:\n    sinks:\n      ops: { type: webhook, url: "http://127.0.0.1:${port}/hook", secret: "secret://env/HOOK_KEY" }\n      log: { type: file, path: logs/notify.jsonl }\n`,
    policy: { 'all.yaml': ALLOW_ALL },
  })
  project.env.HOOK_KEY = KEY
  kernel = await workflowKernel(project)
})
async function reopenWithEscapingSink(): Promise<void> {
  await kernel.close()
  await allowOverrides(project, ['workflow.notify']) // a protected key
  kernel = await workflowKernel(project, [
    'workflow.notify.sinks.away.type=file',
    'workflow.notify.sinks.away.path=../outside.jsonl',
  ])
}

afterEach(async () => {
  await kernel.close()
  await project.cleanup()
  await new Promise((resolve) => server.close(resolve))
})

describe('notify steps', () => {
  it('deliver to a file and an HMAC-signed webhook, through the gate, with the key never recorded', async () => {
    const file = await writeWorkflow(
      project,
      'tell',
      '  - { id: tell, type: notify, message: "deployed ${{ inputs.site }}", sinks: [stdout, log, ops], data: { site: "${{ inputs.site }}" } }\n',
    )
    const { state } = await service(kernel).start(file, { site: 'main' })
    expect(state.status).toBe('succeeded')
    expect(state.steps.tell!.output).toMatchObject({
      message: 'deployed main',
      delivered: [{ sink: 'stdout' }, { sink: 'log' }, { sink: 'ops', status: 204 }],
    })
    const [hook] = received
    const timestamp = hook!.headers['x-driftcore-timestamp'] as string
    const expected = createHmac('sha256', KEY).update(`${timestamp}.${hook!.body}`).digest('hex')
    expect(hook!.headers['x-driftcore-signature']).toBe(`sha256=${expected}`)
    expect(JSON.parse(hook!.body)).toMatchObject({
      message: 'deployed main',
      data: { site: 'main' },
      run_id: state.run_id,
      step: 'tell',
    })
    const line = JSON.parse(await readFile(path.join(project.dir, 'logs/notify.jsonl'), 'utf8')) as object
    expect(line).toMatchObject({ message: 'deployed main', sinks: ['stdout', 'log', 'ops'] })
    await kernel.close()
    const [record] = await queryAudit(kernel.paths.audit, { type: 'tool.call', subject: 'workflow.notify' })
    expect(record!.data).toMatchObject({ outcome: 'ok', meta: { run_id: state.run_id, step: 'tell' } })
    const audit = await readFile(
      path.join(
        kernel.paths.audit,
        (await import('node:fs')).readdirSync(kernel.paths.audit).find((f) => f.endsWith('.jsonl'))!,
      ),
      'utf8',
    )
    expect(audit).not.toContain(KEY)
  })

  it('refuses a file sink outside the project', async () => {
    await reopenWithEscapingSink()
    const file = await writeWorkflow(
      project,
      'escape',
      '  - { id: tell, type: notify, message: hi, sinks: [away] }\n',
    )
    const { state } = await service(kernel).start(file, {})
    expect(state.steps.tell).toMatchObject({
      status: 'failed',
      error: { code: 'forbidden', message: expect.stringContaining('outside the project') },
    })
  })

  it('fails the step when the webhook answers with an error', async () => {
    server.removeAllListeners('request')
    server.on('request', (_req, res) => res.writeHead(500).end())
    const file = await writeWorkflow(
      project,
      'down',
      '  - { id: tell, type: notify, message: hi, sinks: [ops] }\n',
    )
    const { state } = await service(kernel).start(file, {})
    expect(state.steps.tell).toMatchObject({
      status: 'failed',
      error: { code: 'unavailable', message: expect.stringContaining('answered 500') },
    })
  })
})
