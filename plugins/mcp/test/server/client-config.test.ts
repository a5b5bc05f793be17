import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { HELLO, mcpProject, runCli, type TempProject } from '../helpers.js'

let project: TempProject

beforeAll(async () => {
  project = await mcpProject({ plugins: [HELLO], config: 'project:\n  name: configured-by-snippet\n' })
})
afterAll(async () => {
  await project.cleanup()
})

interface Entry {
  type?: string
  command?: string
  args?: string[]
  url?: string
  headers?: Record<string, string>
}
interface Snippet {
  files: string[]
  config: { mcpServers?: Record<string, Entry>; servers?: Record<string, Entry>; inputs?: unknown[] }
}

async function snippet(args: string[]): Promise<Snippet> {
  const printed = await runCli(project, ['mcp', 'config', ...args, '--json'])
  expect(printed.exitCode, printed.stderr).toBe(0)
  return JSON.parse(printed.stdout) as Snippet
}

describe('mcp config', () => {
  it('prints a stdio entry for Claude that starts a working server for this project from anywhere', async () => {
    const { config, files } = await snippet(['--client', 'claude'])
    expect(files[0]).toContain('.mcp.json')
    const entry = config.mcpServers!.driftcore! as Required<Pick<Entry, 'type' | 'command' | 'args'>>
    expect(entry.type).toBe('stdio')
    expect(path.isAbsolute(entry.command)).toBe(true)
    expect(entry.args.slice(-2)).toEqual(['--home', project.home])
    // Started the way the client would, from another folder: it still serves this project.
    const client = new Client({ name: 'snippet-check', version: '1.0.0' })
    await client.connect(
      new StdioClientTransport({
        command: entry.command,
        args: entry.args,
        cwd: os.tmpdir(),
        env: project.env as Record<string, string>,
      }),
    )
    try {
      const result = await client.callTool({ name: 'config.effective', arguments: {} })
      expect(result.structuredContent).toMatchObject({
        values: { project: { name: 'configured-by-snippet' } },
      })
    } finally {
      await client.close()
    }
  })

  it('keeps the token out of HTTP snippets: an env reference for Claude and Cursor, a prompt for VS Code', async () => {
    const claude = await snippet(['--client', 'claude', '--transport', 'http'])
    expect(claude.config.mcpServers!.driftcore).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:7800/mcp',
      headers: { Authorization: 'Bearer ${DRIFTCORE_MCP_TOKEN}' },
    })
    const cursor = await snippet([
      '--client',
      'cursor',
      '--transport',
      'http',
      '--url',
      'http://127.0.0.1:9000/mcp',
    ])
    expect(cursor.config.mcpServers!.driftcore).toEqual({
      url: 'http://127.0.0.1:9000/mcp',
      headers: { Authorization: 'Bearer ${env:DRIFTCORE_MCP_TOKEN}' },
    })
    const vscode = await snippet(['--client', 'vscode', '--transport', 'http'])
    expect(vscode.config).toEqual({
      inputs: [
        {
          type: 'promptString',
          id: 'driftcore-mcp-token',
          description: 'driftcore MCP bearer token',
          password: true,
        },
      ],
      servers: {
        driftcore: {
          type: 'http',
          url: 'http://127.0.0.1:7800/mcp',
          headers: { Authorization: 'Bearer ${input:driftcore-mcp-token}' },
        },
      },
    })
  })

  it('writes the token itself only with --show-token, and fails clearly when there is none yet', async () => {
    const none = await runCli(project, [
      'mcp',
      'config',
      '--client',
      'cursor',
      '--transport',
      'http',
      '--show-token',
    ])
    expect(none.exitCode).toBe(3)
    expect(none.stderr).toContain('no MCP token')
    const { mkdir, writeFile } = await import('node:fs/promises')
    await mkdir(path.join(project.home, 'state'), { recursive: true })
    await writeFile(
      path.join(project.home, 'state', 'mcp-token'),
      'a-generated-token-for-the-snippet-test\n',
      {
        mode: 0o600,
      },
    )
    const shown = await snippet(['--client', 'cursor', '--transport', 'http', '--show-token'])
    expect(shown.config.mcpServers!.driftcore!.headers).toEqual({
      Authorization: `Bearer ${(await readFile(path.join(project.home, 'state', 'mcp-token'), 'utf8')).trim()}`,
    })
  })
})
