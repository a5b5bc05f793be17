import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json, runCli } from '../../../../test/helpers/project.js'
import {
  httpClient,
  httpServer,
  mcpProject,
  recorded,
  type HttpServer,
  type TempProject,
} from '../helpers.js'

// A plugin resource that returns bytes (`{ data }`, base64) is a blob resource over MCP, its
// bytes in `--json` on the CLI, and the audit log records their size and hash, not the base64.

const CONFORMANCE = path.join(import.meta.dirname, '../fixtures/plugins/conformance-fixture')
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=='

// A plugin whose reads return what is neither text nor base64 bytes.
async function brokenBytesPlugin(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'driftcore-plugin-bytes-'))
  await mkdir(path.join(dir, 'hooks'))
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: 'driftcore-plugin-bytes',
      version: '1.0.0',
      type: 'module',
      oclif: { hooks: { 'driftcore:capabilities': './hooks/capabilities.js' } },
      driftcore: { prefixes: ['bytes'], resources: ['bytes'] },
    }),
  )
  const resource = (uri: string, body: string) =>
    `{ uri: '${uri}', name: 'bytes.${uri.slice(8)}', description: 'broken', mimeType: 'image/png', read: async () => (${body}) }`
  await writeFile(
    path.join(dir, 'hooks/capabilities.js'),
    `export default async () => ({ resources: [${resource('bytes://notbase64', "{ data: 'not base64 </script>' }")}, ${resource('bytes://nothing', '{}')}] })\n`,
  )
  return dir
}

describe('binary resources', () => {
  let project: TempProject
  let server: HttpServer
  let broken: string

  beforeAll(async () => {
    broken = await brokenBytesPlugin()
    project = await mcpProject({ plugins: [CONFORMANCE, broken] })
    server = await httpServer(project)
  })
  afterAll(async () => {
    await server.stop()
    await project.cleanup()
    await rm(broken, { recursive: true, force: true })
  })

  it('reads a plugin’s bytes as a blob over MCP, recorded by their size and hash', async () => {
    const client = await httpClient(server)
    try {
      const read = await client.readResource({ uri: 'test://static-binary' })
      expect(read.contents).toEqual([{ uri: 'test://static-binary', mimeType: 'image/png', blob: PNG }])
    } finally {
      await client.close()
    }
    const bytes = Buffer.from(PNG, 'base64')
    const [record] = await recorded(project, 'resource.read', (r) => r.subject === 'test://static-binary')
    expect(record!.data).toMatchObject({
      outcome: 'ok',
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    })
  })

  it('gives the bytes as base64 data with --json on the CLI', async () => {
    const read = await runCli(project, ['resources', 'read', 'test://static-binary', '--json'])
    expect(read.exitCode).toBe(0)
    expect(json(read)).toMatchObject({ uri: 'test://static-binary', data: PNG })
  })

  it('refuses a read that returns neither text nor base64 bytes, naming the plugin', async () => {
    const client = await httpClient(server)
    try {
      for (const uri of ['bytes://notbase64', 'bytes://nothing'])
        await expect(client.readResource({ uri })).rejects.toThrow(
          /plugin driftcore-plugin-bytes read bytes:\/\/\w+ but returned neither text/,
        )
    } finally {
      await client.close()
    }
    const records = await recorded(project, 'resource.read', (r) => r.subject === 'bytes://nothing')
    expect(records[0]!.data).toMatchObject({ outcome: 'error', error: { code: 'internal' } })
  })
})
