import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  eventually,
  mcpProject,
  processesRunning,
  recorded,
  stdioClient,
  type TempProject,
} from '../helpers.js'

let project: TempProject

beforeEach(async () => {
  project = await mcpProject({ config: 'launcher:\n  allowlist: [sleep]\n  kill_grace_ms: 200\n' })
})
afterEach(() => project.cleanup())

const gone = (commandLine: string) =>
  eventually(async () => ((await processesRunning(commandLine)).length === 0 ? true : undefined))
const running = (commandLine: string) =>
  eventually(async () => ((await processesRunning(commandLine)).length > 0 ? true : undefined))

describe('cancellation over MCP', () => {
  it('notifications/cancelled aborts the call and kills its child process', async () => {
    const connected = await stdioClient(project)
    const controller = new AbortController()
    const call = connected.client.callTool({ name: 'hello.sleep', arguments: { seconds: 41.3 } }, undefined, {
      signal: controller.signal,
    })
    await running('sleep 41.3')
    controller.abort('the user changed their mind')
    await expect(call).rejects.toThrow()
    await gone('sleep 41.3')
    const [record] = await recorded(project, 'tool.call')
    expect(record!.data).toMatchObject({ outcome: 'error', error: { code: 'cancelled' } })
    await connected.close()
  })

  it('closing the connection stops running calls and their children', async () => {
    const connected = await stdioClient(project)
    const call = connected.client.callTool({ name: 'hello.sleep', arguments: { seconds: 42.7 } })
    await running('sleep 42.7')
    await connected.close()
    await expect(call).rejects.toThrow()
    await gone('sleep 42.7')
    const [record] = await recorded(project, 'tool.call')
    expect(record!.data).toMatchObject({ outcome: 'error', error: { code: 'cancelled' } })
  })
})
