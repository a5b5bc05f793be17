import { createHash } from 'node:crypto'
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

describe('binary resources', () => {
  let project: TempProject
  let server: HttpServer

  beforeAll(async () => {
    project = await mcpProject({ plugins: [CONFORMANCE] })
    server = await httpServer(project)
  })
  afterAll(async () => {
    await server.stop()
    await project.cleanup()
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
})
