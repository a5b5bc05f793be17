import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
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
    with: { words: [signed] }
`

let project: TempProject
let server: Served
let runId: string
let approvalId: string
const tokens: Record<string, string> = {}
const key = (name: string) => path.join(project.dir, `${name}_ed25519`)

beforeAll(async () => {
  project = await tempProject({ config: 'launcher:\n  allowlist: [echo]\n' })
  await linkHello(project)
  await writeFile(path.join(project.dir, 'shout.yaml'), SHOUT)
  for (const name of ['alice', 'bob'])
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key(name)])
  const added = await runCli(project, ['approvers', 'add', 'alice', '--key', `${key('alice')}.pub`], {
    env: { DRIFTCORE_ACTOR: 'human:alice' },
  })
  expect(added.exitCode, added.stderr).toBe(0)
  const run = await runCli(project, ['workflow', 'run', 'shout.yaml', '--json'], {
    env: { DRIFTCORE_ACTOR: 'agent:copilot' },
  })
  expect(run.exitCode, run.stderr).toBe(5)
  const last = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, any>
  runId = last.run_id
  approvalId = last.steps.shout.approval_id
  await privateHome(project)
  for (const name of ['alice', 'bob']) tokens[name] = await addToken(project, name)
  server = await startServe(project)
}, 120_000)
afterAll(async () => {
  await server?.stop()
  await project?.cleanup()
})

const as = (name: string) => ({
  env: { DRIFTCORE_SERVER: server.base, DRIFTCORE_SERVER_TOKEN: tokens[name]!, SSH_AUTH_SOCK: '' },
})
const pending = async () =>
  json(await runCli(project, ['approvals', 'show', approvalId, '--json'], as('alice'))).status as string

it('over --server an approval is signed on the person’s machine, and the server honours only a key that matches the token', async () => {
  // A token alone is not enough where the project lists approvers.
  const unsigned = await runCli(project, ['approvals', 'approve', approvalId], as('bob'))
  expect(unsigned.exitCode).toBe(11)
  expect(unsigned.stderr).toContain('must be signed')
  // A key that allowed_signers does not list.
  const stranger = await runCli(project, ['approvals', 'approve', approvalId, '--key', key('bob')], as('bob'))
  expect(stranger.exitCode).not.toBe(0)
  // Alice's key presented with Bob's token.
  const borrowed = await runCli(
    project,
    ['approvals', 'approve', approvalId, '--key', key('alice')],
    as('bob'),
  )
  expect(borrowed.exitCode).toBe(11)
  expect(borrowed.stderr).toContain("signed by alice's key, but the request came with bob's token")
  expect(await pending()).toBe('pending')

  const approved = await runCli(
    project,
    ['approvals', 'approve', approvalId, '--key', key('alice')],
    as('alice'),
  )
  expect(approved.exitCode, approved.stderr).toBe(0)
  expect(approved.stdout).toContain(`continue the run with: driftcore workflow resume ${runId}`)
  const resumed = await runCli(project, ['workflow', 'resume', runId], as('alice'))
  expect(resumed.exitCode, resumed.stderr).toBe(0)
  expect(resumed.stdout).toContain(`${runId} succeeded`)

  await server.stop()
  const [record] = await queryAudit(path.join(project.home, 'audit'), { type: 'approval.approved' })
  expect(record?.actor).toEqual({ type: 'human', id: 'alice' })
  expect(record?.data.signature).toMatchObject({ principal: 'alice' })
  const verified = await runCli(project, ['audit', 'verify'])
  expect(verified.exitCode, verified.stderr).toBe(0)
  server = await startServe(project)
})
