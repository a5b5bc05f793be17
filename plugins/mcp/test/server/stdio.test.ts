import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js'
import {
  Cleanup,
  eventually,
  initializeRequest,
  linkPlugin,
  HELLO,
  mcpProject,
  recorded,
  stdioClient,
  textOf,
  type TempProject,
} from '../helpers.js'

const cleanup = new Cleanup()
let project: TempProject
const newProject = async (options?: Parameters<typeof mcpProject>[0]) =>
  cleanup.add(await mcpProject(options), (p) => p.cleanup())
const connect = async (target = project) => cleanup.add(await stdioClient(target), (c) => c.close())

beforeEach(async () => {
  project = await newProject()
})
afterEach(() => cleanup.run())

describe('mcp serve over stdio', () => {
  it('lists every registered tool with JSON Schemas from zod and annotations from its risk tags', async () => {
    const connected = await connect()
    const { tools } = await connected.client.listTools()
    const byName = new Map(tools.map((t) => [t.name, t]))
    for (const id of ['audit.verify', 'config.effective', 'approvals.status', 'hello.greet', 'fixture.noop'])
      expect(byName.has(id), id).toBe(true)
    const greet = byName.get('hello.greet')!
    expect(greet.title).toBe('Greet someone')
    expect(greet.inputSchema).toMatchObject({
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 } },
      required: ['name'],
    })
    expect(greet.outputSchema).toMatchObject({ type: 'object', required: ['greeting', 'calls'] })
    expect(greet.annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    })
    expect(byName.get('hello.shout')!.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
    })
    expect(byName.get('hello.useToken')!.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
    })
  })

  it('runs a call through the gate as the agent <client>/<session> and returns structuredContent', async () => {
    const connected = await connect()
    const result = await connected.client.callTool({ name: 'hello.greet', arguments: { name: 'Ada' } })
    expect(result.isError).toBeFalsy()
    expect(result.structuredContent).toMatchObject({ greeting: 'hello Ada' })
    expect(JSON.parse(textOf(result))).toMatchObject({ greeting: 'hello Ada' })
    const [record] = await recorded(project, 'tool.call')
    expect(record!.subject).toBe('hello.greet')
    expect(record!.actor.type).toBe('agent')
    expect(record!.actor.id).toMatch(/^vitest-agent\/[0-9a-f]{8}$/)
    expect(record!.data).toMatchObject({
      outcome: 'ok',
      decision: 'ALLOW',
      meta: { mcp: { transport: 'stdio' } },
    })
    expect(typeof (record!.data.meta as { mcp: { request_id: unknown } }).mcp.request_id).toBe('number')
  })

  it('keeps stdout for protocol messages only, even when a plugin prints to it', async () => {
    const { execa } = await import('execa')
    const { CLI } = await import('../helpers.js')
    const messages = [
      initializeRequest('raw'),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'fixture.steps', arguments: { steps: 2 } },
      },
    ]
    const child = execa('node', [CLI, 'mcp', 'serve'], {
      cwd: project.dir,
      env: project.env,
      extendEnv: false,
      reject: false,
      input: undefined,
      stdin: 'pipe',
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    for (const m of messages) child.stdin.write(`${JSON.stringify(m)}\n`)
    await eventually(() => (stdout.includes('"id":2') ? true : undefined))
    child.stdin.end()
    const done = await child
    expect(done.exitCode).toBe(0)
    const lines = stdout.split('\n').filter((l) => l !== '')
    for (const line of lines) expect(JSON.parse(line), line).toMatchObject({ jsonrpc: '2.0' })
    expect(String(done.stderr)).toContain('a stray line a careless plugin prints to stdout')
  })

  it('turns DENY into a tool error result naming the rule and reason', async () => {
    const denied = await newProject({
      policy: {
        'p.yaml': `apiVersion: driftcore/v1
kind: PolicyBundle
name: p
rules:
  - id: read-only
    decision: ALLOW
    match: { risk_tags: { only: [read] } }
  - id: no-greetings-for-agents
    description: Agents may not greet.
    decision: DENY
    match: { tools: [hello.greet], actors: { types: [agent] } }
`,
      },
    })
    const connected = await connect(denied)
    const result = await connected.client.callTool({ name: 'hello.greet', arguments: { name: 'x' } })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/^Denied by policy: .*\nRule: no-greetings-for-agents\./)
    expect(result._meta).toMatchObject({
      'driftcore/error': { code: 'policy_denied', details: { rule: 'no-greetings-for-agents' } },
    })
    // Other tools still run: a denial is a decision about one call, not a broken server.
    const ok = await connected.client.callTool({ name: 'fixture.noop', arguments: {} })
    expect(ok.structuredContent).toEqual({ ok: true })
  })

  it('rejects invalid input as a tool error naming the failing path, and an unknown tool as a protocol error', async () => {
    const connected = await connect()
    const bad = await connected.client.callTool({ name: 'hello.greet', arguments: { name: 42 } })
    expect(bad.isError).toBe(true)
    expect(textOf(bad)).toMatch(/invalid_input: input for hello.greet is not valid:\n\s+name:/)
    await expect(connected.client.callTool({ name: 'hello.gret', arguments: {} })).rejects.toThrow(
      /Unknown tool: hello.gret.*hello.greet/,
    )
  })

  it('keeps secrets from a handler error out of the result', async () => {
    const connected = await connect()
    const result = await connected.client.callTool({ name: 'fixture.fail', arguments: {} })
    expect(result.isError).toBe(true)
    expect(JSON.stringify(result)).not.toContain('s3cr3t-pw')
    expect(textOf(result)).toContain('mysql://admin:[REDACTED]@db/site')
  })

  it('sends progress notifications and the handler’s logs, redacted, to the client that asked', async () => {
    const connected = await connect()
    const logs: LoggingMessageNotification['params'][] = []
    connected.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(n.params)
    })
    await connected.client.setLoggingLevel('info')
    const progress: { progress: number; total?: number; message?: string }[] = []
    const result = await connected.client.callTool(
      { name: 'fixture.steps', arguments: { steps: 3 } },
      undefined,
      {
        onprogress: (p) => progress.push(p),
      },
    )
    expect(result.structuredContent).toEqual({ done: 3 })
    expect(progress).toEqual([
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 2, total: 3, message: 'step 2' },
      { progress: 3, total: 3, message: 'step 3' },
    ])
    expect(logs.filter((l) => l.logger === 'fixture.steps').map((l) => l.level)).toEqual([
      'info',
      'info',
      'info',
      'warning',
    ])
    expect(JSON.stringify(logs)).not.toContain('hunter2')
    // Raising the level filters the handler's info lines out.
    await connected.client.setLoggingLevel('warning')
    logs.length = 0
    await connected.client.callTool({ name: 'fixture.steps', arguments: { steps: 2 } })
    expect(logs.map((l) => l.level)).toEqual(['warning'])
  })

  it('lists resources and templates and reads them through the gate', async () => {
    const connected = await connect()
    const { resources } = await connected.client.listResources()
    expect(resources).toContainEqual(
      expect.objectContaining({ uri: 'fixture://readme', name: 'fixture.readme', mimeType: 'text/markdown' }),
    )
    const { resourceTemplates } = await connected.client.listResourceTemplates()
    expect(resourceTemplates).toContainEqual(expect.objectContaining({ uriTemplate: 'fixture://items/{id}' }))
    const item = await connected.client.readResource({ uri: 'fixture://items/42' })
    expect(JSON.parse((item.contents[0] as { text: string }).text)).toEqual({ id: '42', name: 'item 42' })
    await expect(connected.client.readResource({ uri: 'fixture://nothing' })).rejects.toThrow(
      /no resource matches/,
    )
    const reads = await recorded(project, 'resource.read')
    expect(reads.map((r) => r.subject)).toContain('fixture://items/42')
  })

  it('offers the flagship prompts, naming the installed tools that carry them out', async () => {
    const connected = await connect()
    const { prompts } = await connected.client.listPrompts()
    expect(prompts.map((p) => p.name)).toEqual(['metadata-inspection', 'config-drift'])
    const drift = await connected.client.getPrompt({
      name: 'config-drift',
      arguments: { baseline: 'base.json' },
    })
    const text = (drift.messages[0]!.content as { text: string }).text
    expect(text).toContain('`policy.simulate`')
    expect(text).toContain('`drift.check`')
    expect(text).toContain('`drush.configImport`')
    expect(text).not.toContain('not installed')
    expect(text).toContain('the baseline "base.json"')
    expect(text).toContain('approvals.status')
  })

  it('completes prompt arguments by prefix and refuses unknown prompts', async () => {
    const connected = await connect()
    const done = await connected.client.complete({
      ref: { type: 'ref/prompt', name: 'metadata-inspection' },
      argument: { name: 'entity_type', value: 'ta' },
    })
    expect(done.completion.values).toEqual(['taxonomy_term'])
    await expect(
      connected.client.complete({
        ref: { type: 'ref/prompt', name: 'nope' },
        argument: { name: 'x', value: '' },
      }),
    ).rejects.toThrow(/Unknown prompt: nope/)
  })

  it('accepts subscriptions to registered resources only, and sends updated when the config changes', async () => {
    const connected = await connect()
    const updated: string[] = []
    connected.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updated.push(n.params.uri)
    })
    await connected.client.subscribeResource({ uri: 'fixture://items/7' })
    await expect(connected.client.subscribeResource({ uri: 'fixture://nothing' })).rejects.toThrow(/-32002/)
    const fs = await import('node:fs/promises')
    const path = await import('node:path')
    await fs.writeFile(path.join(project.home, 'config.yaml'), 'project:\n  name: renamed\n')
    await eventually(() => (updated.length > 0 ? true : undefined))
    expect(updated).toEqual(['fixture://items/7'])
    const config = await connected.client.callTool({ name: 'config.effective', arguments: {} })
    expect(config.structuredContent).toMatchObject({ values: { project: { name: 'renamed' } } })
  })

  it('notifies tools/list_changed when a plugin is linked while it runs, and lists the new tools', async () => {
    const bare = await newProject({ plugins: [] })
    const connected = await connect(bare)
    let changed = 0
    connected.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed += 1
    })
    expect((await connected.client.listTools()).tools.map((t) => t.name)).not.toContain('hello.greet')
    await linkPlugin(bare, HELLO)
    await eventually(() => (changed > 0 ? true : undefined))
    expect((await connected.client.listTools()).tools.map((t) => t.name)).toContain('hello.greet')
    const greet = await connected.client.callTool({ name: 'hello.greet', arguments: { name: 'new' } })
    expect(greet.structuredContent).toMatchObject({ greeting: 'hello new' })
  })

  it('applies a policy edited while it runs to the next call', async () => {
    const connected = await connect()
    expect((await connected.client.callTool({ name: 'fixture.noop', arguments: {} })).isError).toBeFalsy()
    const fs = await import('node:fs/promises')
    const path = await import('node:path')
    await fs.mkdir(path.join(project.home, 'policy'), { recursive: true })
    await fs.writeFile(
      path.join(project.home, 'policy', 'lockdown.yaml'),
      'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: lockdown\nrules:\n  - id: nothing-for-now\n    decision: DENY\n',
    )
    const denied = await eventually(async () => {
      const result = await connected.client.callTool({ name: 'fixture.noop', arguments: {} })
      return result.isError ? result : undefined
    })
    expect(textOf(denied)).toContain('Rule: nothing-for-now.')
  })
})
