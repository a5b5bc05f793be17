import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { queryAudit } from '../../../src/audit/query.js'
import type { AuditRecord } from '../../../src/audit/record.js'
import { CLI, REPO, runCli, tempProject, type TempProject } from '../../../test/helpers/project.js'

export { CLI, REPO, runCli, type TempProject }
export const MCP_FIXTURE = path.join(REPO, 'plugins/mcp/test/fixtures/plugins/mcp-fixture')
export const HELLO = path.join(REPO, 'test/fixtures/plugins/hello')

/** A temp project whose own XDG data dir has the given plugins linked, as a user would. */
export async function mcpProject(
  options: { config?: string; policy?: Record<string, string>; plugins?: string[] } = {},
): Promise<TempProject> {
  const project = await tempProject(options)
  for (const plugin of options.plugins ?? [MCP_FIXTURE, HELLO]) await linkPlugin(project, plugin)
  return project
}

export async function linkPlugin(project: TempProject, plugin: string): Promise<void> {
  const linked = await runCli(project, ['plugins', 'link', '--no-install', plugin])
  if (linked.exitCode !== 0) throw new Error(`plugins link ${plugin} failed: ${linked.stderr}`)
}

export interface Connected {
  client: Client
  stderr(): string
  close(): Promise<void>
}

/** The official SDK client over stdio, talking to a spawned `driftcore mcp serve`. */
export async function stdioClient(
  project: TempProject,
  options: { args?: string[]; env?: NodeJS.ProcessEnv; client?: ClientOptions; name?: string } = {},
): Promise<Connected> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp', 'serve', ...(options.args ?? [])],
    cwd: project.dir,
    env: { ...(project.env as Record<string, string>), ...(options.env as Record<string, string>) },
    stderr: 'pipe',
  })
  let stderr = ''
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const client = new Client({ name: options.name ?? 'vitest-agent', version: '1.0.0' }, options.client)
  await client.connect(transport)
  return { client, stderr: () => stderr, close: () => client.close() }
}

export interface HttpServer {
  url: string
  token: string
  process: ResultPromise
  stderr(): string
  stop(): Promise<void>
}

/** Spawns `driftcore mcp serve --transport http --port 0` and waits until it listens. */
export async function httpServer(
  project: TempProject,
  options: { args?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<HttpServer> {
  const child = execa(
    'node',
    [CLI, 'mcp', 'serve', '--transport', 'http', '--port', '0', ...(options.args ?? [])],
    {
      cwd: project.dir,
      env: { ...project.env, ...options.env },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    },
  )
  let stderr = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      const match = /MCP server on (\S+)/.exec(stderr)
      if (match) resolve(match[1]!)
    })
    void child.then((r) => reject(new Error(`server exited ${r.exitCode}: ${stderr}`)))
  })
  const token =
    options.env?.DRIFTCORE_MCP_TOKEN ??
    (await readFile(path.join(project.home, 'state', 'mcp-token'), 'utf8').catch(() => '')).trim()
  return {
    url,
    token,
    process: child,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM')
      await child
    },
  }
}

/** The official SDK client over Streamable HTTP, with the bearer token. */
export async function httpClient(
  server: Pick<HttpServer, 'url' | 'token'>,
  options: ClientOptions = {},
): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(server.url), {
    requestInit: { headers: { Authorization: `Bearer ${server.token}` } },
  })
  const client = new Client({ name: 'vitest-http-agent', version: '1.0.0' }, options)
  await client.connect(transport)
  return client
}

export async function auditRecords(project: TempProject, type: string): Promise<AuditRecord[]> {
  return queryAudit(path.join(project.home, 'audit'), { type })
}

/** Audit records of a type (matching `which`), once at least one is on disk (the log is group-committed). */
export async function recorded(
  project: TempProject,
  type: string,
  which: (record: AuditRecord) => boolean = () => true,
): Promise<AuditRecord[]> {
  return eventually(async () => {
    const records = (await auditRecords(project, type)).filter(which)
    return records.length > 0 ? records : undefined
  })
}

/** The JSON-RPC initialize request a client sends first. */
export function initializeRequest(clientName: string): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: clientName, version: '1' },
    },
  }
}

/** Things to close or remove after each test, latest first, whatever the test did. */
export class Cleanup {
  private readonly steps: (() => Promise<unknown>)[] = []

  add<T>(value: T, step: (value: T) => Promise<unknown>): T {
    this.steps.push(() => step(value))
    return value
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step()
  }
}

/** Running processes whose command line is `program args` (the program by name or full path). */
export async function processesRunning(commandLine: string): Promise<string[]> {
  const ps = await execa('ps', ['-eo', 'args'], { reject: false })
  return String(ps.stdout)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line === commandLine || line.endsWith(`/${commandLine}`))
}

/** Polls `check` until it returns a value (not undefined) or `ms` pass. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The text content of a tool result, joined. */
export function textOf(result: object): string {
  const content = (result as { content?: { text?: string }[] }).content ?? []
  return content.map((c) => c.text ?? '').join('\n')
}
