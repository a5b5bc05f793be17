import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  auditRecords,
  eventually,
  mcpProject,
  processesRunning,
  stdioClient,
  type Connected,
  type TempProject,
} from '../helpers.js'

let project: TempProject
let connected: Connected | undefined

beforeEach(async () => {
  project = await mcpProject({ config: 'launcher:\n  allowlist: [sleep]\n  kill_grace_ms: 200\n' })
})
afterEach(async () => {
  await connected?.close()
  connected = undefined
  await project.cleanup()
})

describe('cancellation over MCP', () => {
  it('notifications/cancelled aborts the call and kills its child process', async () => {
    connected = await stdioClient(project)
    const controller = new AbortController()
    const call = connected.client.callTool({ name: 'hello.sleep', arguments: { seconds: 41.3 } }, undefined, {
      signal: controller.signal,
    })
    await eventually(async () => ((await processesRunning('sleep 41.3')).length > 0 ? true : undefined))
    controller.abort('the user changed their mind')
    await expect(call).rejects.toThrow()
    await eventually(async () => ((await processesRunning('sleep 41.3')).length === 0 ? true : undefined))
    const [record] = await eventually(async () => {
      const r = await auditRecords(project, 'tool.call')
      return r.length > 0 ? r : undefined
    })
    expect(record!.data).toMatchObject({ outcome: 'error', error: { code: 'cancelled' } })
  })

  it('closing the connection stops running calls and their children', async () => {
    connected = await stdioClient(project)
    const call = connected.client.callTool({ name: 'hello.sleep', arguments: { seconds: 42.7 } })
    await eventually(async () => ((await processesRunning('sleep 42.7')).length > 0 ? true : undefined))
    await connected.close()
    connected = undefined
    await expect(call).rejects.toThrow()
    await eventually(async () => ((await processesRunning('sleep 42.7')).length === 0 ? true : undefined))
    const [record] = await eventually(async () => {
      const r = await auditRecords(project, 'tool.call')
      return r.length > 0 ? r : undefined
    })
    expect(record!.data).toMatchObject({ outcome: 'error', error: { code: 'cancelled' } })
  })
})
