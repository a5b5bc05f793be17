import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initializeRequest, linkPlugin, stdioClient } from '../../plugins/mcp/test/helpers.js'
import { CLI, FIXTURES, tempProject, type TempProject } from '../helpers/project.js'

// A plugin that logs to stdout when its module loads, in its capabilities hook and in its handler.
const NOISY = path.join(FIXTURES, 'plugins/noisy')

let project: TempProject
beforeAll(async () => {
  project = await tempProject()
  await linkPlugin(project, NOISY)
})
afterAll(async () => project?.cleanup())

describe('in mcp serve --transport stdio, only protocol messages reach stdout', () => {
  it('every line on stdout is a JSON-RPC message, and the plugin noise goes to stderr', async () => {
    const requests = [
      initializeRequest('raw-client'),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'noisy.ping', arguments: {} } },
    ]
    const served = await execa('node', [CLI, 'mcp', 'serve', '--transport', 'stdio'], {
      cwd: project.dir,
      env: project.env,
      extendEnv: false,
      reject: false,
      input: requests.map((r) => JSON.stringify(r)).join('\n') + '\n',
      timeout: 60_000,
    })
    const lines = String(served.stdout).split('\n').filter(Boolean)
    for (const line of lines) expect(JSON.parse(line), line).toMatchObject({ jsonrpc: '2.0' })
    expect(lines.length).toBeGreaterThanOrEqual(1)
    expect(String(served.stdout)).not.toContain('noisy:')
    expect(String(served.stderr)).toContain('noisy: module loaded')
    expect(String(served.stderr)).toContain('noisy: capabilities hook')
  })

  it('the SDK client connects and calls the noisy tool without a single parse error', async () => {
    const connected = await stdioClient(project)
    const errors: Error[] = []
    connected.client.onerror = (error) => errors.push(error)
    try {
      const { tools } = await connected.client.listTools()
      expect(tools.map((t) => t.name)).toContain('noisy.ping')
      const result = await connected.client.callTool({ name: 'noisy.ping', arguments: {} })
      expect(result.isError).toBeFalsy()
      expect(result.structuredContent).toEqual({ pong: true })
      expect(errors).toEqual([])
      expect(connected.stderr()).toContain('noisy: handler ran')
    } finally {
      await connected.close()
    }
  })
})
