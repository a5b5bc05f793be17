import { chmod, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryAudit } from '../../../src/audit/query.js'
import { json, runCli, tempProject, type TempProject } from '../../helpers/project.js'
import { addToken, privateHome, startServe, type Served } from '../../helpers/serve.js'
import { linkHello } from '../../helpers/workflow-cli.js'

const SHOUT = `apiVersion: driftcore/v1
kind: Workflow
name: shout
steps:
  - id: shout
    type: worker
    tool: hello.shout
    with: { words: [hello] }
`

let project: TempProject
let server: Served
let alice: string
let runId: string
let approvalId: string
let documentJson: Record<string, any>
let ajv: Ajv2020

const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => void

beforeAll(async () => {
  project = await tempProject({ config: 'launcher:\n  allowlist: [echo]\n' })
  await linkHello(project)
  await writeFile(path.join(project.dir, 'shout.yaml'), SHOUT)
  // The agent's run suspends on the approval its exec step needs.
  const run = await runCli(project, ['workflow', 'run', 'shout.yaml', '--json'], {
    env: { DRIFTCORE_ACTOR: 'agent:copilot' },
  })
  expect(run.exitCode).toBe(5)
  const last = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, any>
  runId = last.run_id
  approvalId = last.steps.shout.approval_id
  await privateHome(project)
  alice = await addToken(project, 'alice')
  server = await startServe(project)
  documentJson = (await (await fetch(`${server.base}/control/v1/openapi.json`)).json()) as Record<string, any>
  ajv = new Ajv2020({ allErrors: true, strict: false })
  addFormats(ajv)
  ajv.addSchema({ ...documentJson, $id: 'doc' })
}, 120_000)
afterAll(async () => {
  await server?.stop()
  await project?.cleanup()
})

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')

/** Checks a real response against the document: its status is listed, its body fits the schema. */
function expectConforms(route: string, method: string, status: number, body: unknown) {
  const responses = documentJson.paths[route]?.[method]?.responses
  expect(responses, `${method} ${route} is in the document`).toBeDefined()
  const response = responses[String(status)]
  expect(response, `${method} ${route} lists HTTP ${status}`).toBeDefined()
  const where = response.$ref
    ? `doc${response.$ref}/content/application~1json/schema`
    : `doc#/${pointer('paths', route, method, 'responses', String(status), 'content', 'application/json', 'schema')}`
  const validate = ajv.getSchema(where)!
  const valid = validate(body)
  expect(valid ? [] : validate.errors, `${method} ${route} ${status}`).toEqual([])
}

async function call(
  method: 'GET' | 'POST',
  route: string,
  options: { body?: unknown; token?: string; query?: string } = {},
) {
  const response = await fetch(`${server.base}${route.replace('{id}', options.query ?? '')}`, {
    method,
    headers: {
      ...(options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` }),
      ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  return { status: response.status, body: (await response.json()) as any }
}

const serverEnv = () => ({ DRIFTCORE_SERVER: server.base, DRIFTCORE_SERVER_TOKEN: alice })

describe('the control API of driftcore serve', () => {
  it('serves an OpenAPI 3.1 document that the OpenAPI schema validator accepts', async () => {
    const validator = new Validator()
    const result = await validator.validate(documentJson)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it('answers every operation as its document says, errors included', async () => {
    const v1 = '/control/v1'
    const checks: [
      method: 'GET' | 'POST',
      route: string,
      options: Parameters<typeof call>[2],
      status: number,
    ][] = [
      ['GET', `${v1}/whoami`, {}, 200],
      ['GET', `${v1}/approvals`, {}, 200],
      ['GET', `${v1}/approvals/{id}`, { query: approvalId }, 200],
      ['GET', `${v1}/approvals/{id}`, { query: 'apr_000000000000' }, 404],
      ['POST', `${v1}/approvals/{id}/decision`, { query: approvalId, body: { verdict: 'maybe' } }, 400],
      ['GET', `${v1}/runs`, {}, 200],
      ['GET', `${v1}/runs/{id}`, { query: runId }, 200],
      ['GET', `${v1}/audit/tail`, {}, 200],
      ['GET', `${v1}/audit/query`, {}, 200],
      ['POST', `${v1}/audit/verify`, { body: {} }, 200],
      ['POST', `${v1}/policy/simulate`, { body: { tool: 'hello.shout', actor: 'agent:copilot' } }, 200],
      ['POST', `${v1}/policy/explain`, { body: { tool: 'hello.shout', input: { words: ['x'] } } }, 200],
      ['POST', `${v1}/policy/simulate`, { body: { tool: 'hello.shout', extra: 1 } }, 400],
      [
        'POST',
        `${v1}/approvals/{id}/decision`,
        { query: approvalId, body: { verdict: 'approved', comment: 'ok' } },
        200,
      ],
      ['POST', `${v1}/approvals/{id}/decision`, { query: approvalId, body: { verdict: 'denied' } }, 409],
      ['POST', `${v1}/runs/{id}/resume`, { query: runId, body: {} }, 200],
      ['POST', `${v1}/runs/{id}/cancel`, { query: runId, body: { reason: 'late' } }, 400],
      ['GET', `${v1}/whoami`, { token: undefined }, 401],
    ]
    for (const [method, route, options, status] of checks) {
      const answer = await call(method, route, { token: alice, ...options })
      expect(
        answer.status,
        `${method} ${route} ${JSON.stringify(options)}: ${JSON.stringify(answer.body)}`,
      ).toBe(status)
      expectConforms(route, method.toLowerCase(), status, answer.body)
    }
    // The approved step ran in the server's process.
    const status = await call('GET', `${v1}/runs/{id}`, { token: alice, query: runId })
    expect(status.body.status.status).toBe('succeeded')
    expect(status.body.status.steps.shout.output).toEqual({ stdout: 'hello\n', exit_code: 0 })
  })

  it('audits every request under the token’s name, and the approval as that person', async () => {
    await call('GET', '/control/v1/whoami', { token: alice })
    await server.stop()
    const records = await queryAudit(path.join(project.home, 'audit'), { type: 'control.request' })
    expect(records.length).toBeGreaterThan(5)
    for (const record of records) {
      expect(record.actor).toEqual({ type: 'human', id: 'alice' })
      expect(record.identity?.token).toBe('alice')
    }
    expect(records.map((r) => r.subject)).toContain('approvalsDecide')
    const [approved] = await queryAudit(path.join(project.home, 'audit'), { type: 'approval.approved' })
    expect(approved?.subject).toBe(approvalId)
    expect(approved?.actor).toEqual({ type: 'human', id: 'alice' })
    expect(approved?.identity?.token).toBe('alice')
    server = await startServe(project)
  })

  it('refuses the MCP token and unknown tokens, and a person token opens nothing on /mcp', async () => {
    const mcpToken = (await readFile(path.join(project.home, 'state', 'mcp-token'), 'utf8')).trim()
    expect((await call('GET', '/control/v1/approvals', { token: mcpToken })).status).toBe(401)
    expect((await call('GET', '/control/v1/approvals', { token: `${alice}x` })).status).toBe(401)
    const mcp = await fetch(server.mcp, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice}`, 'Content-Type': 'application/json' },
      body: '{}',
    })
    expect(mcp.status).toBe(401)
    expect(server.stderr()).toMatch(/control API: refused GET \/control\/v1\/approvals .*unknown token/)
  })

  it('refuses a page on another host name (DNS rebinding) before looking at the token', async () => {
    const { request } = await import('node:http')
    const url = new URL(`${server.base}/control/v1/approvals`)
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          headers: { Host: 'evil.example', Authorization: `Bearer ${alice}` },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(403)
  })

  it('the same commands with --server print what they print locally, with the same exit codes', async () => {
    for (const args of [
      ['approvals', 'list', '--status', 'all', '--json'],
      ['approvals', 'show', approvalId, '--json'],
      ['workflow', 'list', '--json'],
      ['workflow', 'status', runId, '--json'],
      ['policy', 'simulate', '--tool', 'hello.shout', '--actor', 'agent:copilot', '--json'],
      ['policy', 'explain', '--tool', 'hello.greet', '--actor', 'agent:copilot'],
      ['approvals', 'show', 'apr_000000000000'],
      ['workflow', 'cancel', runId],
      ['audit', 'query', '--type', 'approval.*', '--json'],
    ]) {
      const local = await runCli(project, args)
      const remote = await runCli(project, args, { env: serverEnv() })
      expect(remote.exitCode, `${args.join(' ')}: ${remote.stderr}`).toBe(local.exitCode)
      expect(remote.stdout, args.join(' ')).toBe(local.stdout)
      // Opening the project locally may warn about the linked fixture plugin; nothing else differs.
      const said = (stderr: string) => stderr.replace(/^ ›.*(\n|$)/gm, '')
      expect(said(remote.stderr), args.join(' ')).toBe(said(local.stderr))
    }
    const verified = await runCli(project, ['audit', 'verify', '--server', server.base], {
      env: { DRIFTCORE_SERVER_TOKEN: alice },
    })
    expect(verified.exitCode).toBe(0)
    expect(verified.stdout).toMatch(/^audit log OK: \d+ records/)
    const tail = await runCli(project, ['audit', 'tail', '-n', '1'], { env: serverEnv() })
    expect(tail.stdout).toMatch(/control\.request human:alice auditVerify/)
  })

  it('says which variable to fix when the server is unreachable or the token is wrong', async () => {
    const none = await runCli(project, ['approvals', 'list'], { env: { DRIFTCORE_SERVER: server.base } })
    expect(none.exitCode).toBe(11)
    expect(none.stderr).toContain('set DRIFTCORE_SERVER_TOKEN')
    const wrong = await runCli(project, ['approvals', 'list'], {
      env: { DRIFTCORE_SERVER: server.base, DRIFTCORE_SERVER_TOKEN: 'dcp_wrong' },
    })
    expect(wrong.exitCode).toBe(11)
    expect(wrong.stderr).toContain('refused the token from DRIFTCORE_SERVER_TOKEN')
    const gone = await runCli(project, ['approvals', 'list', '--json'], {
      env: { DRIFTCORE_SERVER: 'http://127.0.0.1:9', DRIFTCORE_SERVER_TOKEN: alice },
    })
    expect(gone.exitCode).toBe(9)
    expect(json(gone).error.message).toMatch(
      /cannot reach the driftcore server at http:\/\/127\.0\.0\.1:9 \(from --server \/ DRIFTCORE_SERVER\)/,
    )
    const file = path.join(project.dir, 'token')
    await writeFile(file, `${alice}\n`, { mode: 0o644 })
    const loose = await runCli(project, ['approvals', 'list'], {
      env: { DRIFTCORE_SERVER: server.base, DRIFTCORE_SERVER_TOKEN_FILE: file },
    })
    expect(loose.exitCode).toBe(11)
    expect(loose.stderr).toContain(`chmod 600 ${file}`)
    await chmod(file, 0o600)
    const fromFile = await runCli(project, ['approvals', 'list'], {
      env: { DRIFTCORE_SERVER: server.base, DRIFTCORE_SERVER_TOKEN_FILE: file },
    })
    expect(fromFile.exitCode).toBe(0)
  })

  it('a removed token is refused by the running server at once', async () => {
    const bob = await addToken(project, 'bob')
    expect((await call('GET', '/control/v1/whoami', { token: bob })).body).toEqual({
      token: 'bob',
      actor: { type: 'human', id: 'bob' },
    })
    const listed = json(await runCli(project, ['serve', 'tokens', 'list', '--json']))
    expect(listed.map((t: { name: string }) => t.name)).toEqual(['alice', 'bob'])
    expect(JSON.stringify(listed)).not.toContain(bob)
    expect(await readFile(path.join(project.home, 'state', 'control-tokens.json'), 'utf8')).not.toContain(bob)
    expect((await runCli(project, ['serve', 'tokens', 'remove', 'bob'])).exitCode).toBe(0)
    expect((await call('GET', '/control/v1/whoami', { token: bob })).status).toBe(401)
  })
})

describe('driftcore serve start-up', () => {
  it('refuses a .driftcore/ that group or others can reach, and says how to fix it', async () => {
    const open = await tempProject()
    try {
      await chmod(open.home, 0o755)
      const result = await runCli(open, ['serve', '--port', '0'])
      expect(result.exitCode).toBe(11)
      expect(result.stderr).toContain('can be reached by group or others (mode 755)')
      expect(result.stderr).toContain(`chmod 700 ${open.home}`)
    } finally {
      await open.cleanup()
    }
  })
})
