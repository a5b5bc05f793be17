import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCode, McpError, type Progress } from '@modelcontextprotocol/sdk/types.js'
import { makeDrupalSite } from '../../../scaffold/test/helpers.js'
import {
  eventually,
  mcpProject,
  processesRunning,
  runCli,
  stdioClient,
  type Connected,
  type TempProject,
} from '../helpers.js'

// A long call dies at the client's request timeout (60 s in the SDK) unless the server reports
// progress, which the SDK counts as life with resetTimeoutOnProgress. Here the client allows
// 2 s and the command takes 6: only the heartbeat keeps the call alive.

const ALLOW_ALL = `apiVersion: driftcore/v1
kind: PolicyBundle
name: test
rules:
  - id: allow-all
    decision: ALLOW
`

describe('progress of a long sandbox.exec', () => {
  let project: TempProject
  let server: Connected

  beforeAll(async () => {
    project = await mcpProject({
      plugins: [],
      config: 'launcher:\n  allowlist: [git, sleep]\n',
      policy: { 'allow.yaml': ALLOW_ALL },
    })
    await makeDrupalSite(path.join(project.dir, 'site-source'))
    const init = await runCli(project, ['tools', 'call', 'sandbox.init', '--input', '{"from":"site-source"}'])
    expect(init.exitCode, init.stderr).toBe(0)
    server = await stdioClient(project)
  })
  afterAll(async () => {
    await server?.close()
    await project.cleanup()
  })

  it('outlives a 2 s client timeout thanks to progress every second', async () => {
    const seen: Progress[] = []
    const result = await server.client.callTool(
      { name: 'sandbox.exec', arguments: { command: 'sleep', args: ['6'] } },
      undefined,
      { timeout: 2_000, resetTimeoutOnProgress: true, onprogress: (p) => seen.push(p) },
    )
    expect(result.isError).toBeFalsy()
    expect(result.structuredContent).toMatchObject({ exit_code: 0, timed_out: false })
    expect(seen.length).toBeGreaterThanOrEqual(3)
    expect(seen.at(-1)!.message).toMatch(/^sandbox\.exec still running \(\d+ s\)$/)
    // Each value grows, as the spec requires.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThan(seen[i - 1]!.progress)
  })

  it('times out at the client without a progress token, and the command is stopped', async () => {
    const call = server.client.callTool(
      { name: 'sandbox.exec', arguments: { command: 'sleep', args: ['6'] } },
      undefined,
      { timeout: 2_000 },
    )
    await expect(call).rejects.toSatisfy(
      (error: unknown) => error instanceof McpError && error.code === Number(ErrorCode.RequestTimeout),
    )
    // The SDK sends notifications/cancelled on its timeout, and the gate stops the command.
    await eventually(async () => ((await processesRunning('sleep 6')).length === 0 ? true : undefined))
  })
})
