import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sealRecord, type AuditRecord } from '../../src/audit/record.js'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'

// The attacker is an agent with a shell as the same OS user: it can rewrite any file under
// .driftcore/. These tests make its moves against the audit log and check that each is caught.

let project: TempProject
beforeEach(async () => {
  // A checkpoint every 4 records, so a short test has several.
  project = await tempProject({ config: 'audit:\n  checkpoint_every: 4\n  fsync: always\n' })
  expect((await runCli(project, ['init'])).exitCode).toBe(0)
  for (let i = 0; i < 5; i++)
    expect((await runCli(project, ['tools', 'call', 'audit.verify'])).exitCode).toBe(0)
})
afterEach(() => project.cleanup())

const auditDir = () => path.join(project.home, 'audit')
const segment = () => path.join(auditDir(), '000001.jsonl')
const checkpoints = () => path.join(project.home, 'audit-checkpoints.jsonl')

async function records(): Promise<AuditRecord[]> {
  return (await readFile(segment(), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditRecord)
}

/** What an attacker does to hide a record: drop it, re-seal every later one, rewrite HEAD. */
async function rechainWithout(seq: number): Promise<void> {
  const kept = (await records()).filter((r) => r.seq !== seq)
  let prev = '0'.repeat(64)
  let text = ''
  kept.forEach((r, i) => {
    const sealed = sealRecord(r, i + 1, prev, r.at, r.trace_id)
    text += sealed.line
    prev = sealed.hash
  })
  await writeFile(segment(), text)
  const head = { segment: '000001.jsonl', seq: kept.length, hash: prev, size: Buffer.byteLength(text) }
  await writeFile(path.join(auditDir(), 'HEAD.json'), JSON.stringify(head).padEnd(255) + '\n')
}

async function verify(...args: string[]) {
  const result = await runCli(project, ['audit', 'verify', '--json', ...args])
  return { exitCode: result.exitCode, body: json<{ ok: boolean; problem?: { message: string } }>(result) }
}

describe('the audit log cannot be rewritten wholesale', () => {
  it('a clean log verifies against its automatic checkpoints', async () => {
    const { exitCode, body } = await verify()
    expect(exitCode).toBe(0)
    expect(body).toMatchObject({ ok: true })
    expect((body as { checkpoints?: number }).checkpoints).toBeGreaterThanOrEqual(2)
  })

  it('deleting .driftcore/audit/ fails audit verify and refuses the next gated call (exit 8)', async () => {
    await rm(auditDir(), { recursive: true })
    const { exitCode, body } = await verify()
    expect(exitCode).toBe(8)
    expect(body.problem?.message).toMatch(/shorter than the checkpoint: records were removed/)

    const call = await runCli(project, ['tools', 'call', 'audit.verify'])
    expect(call.exitCode).toBe(8)
    expect(call.stderr).toMatch(
      /audit log .* is empty, but .*audit-checkpoints\.jsonl says it reached seq \d+: it was deleted/,
    )
  })

  it('a re-chained log (a record dropped, hashes recomputed, HEAD rewritten) fails at the next checkpoint', async () => {
    await rechainWithout(3)
    const { exitCode, body } = await verify()
    expect(exitCode).toBe(8)
    expect(body.problem?.message).toMatch(
      /checkpoint \d+ .*: record seq \d+ has a different hash: the log was rewritten/,
    )
  })

  it('editing a checkpoint to match the rewritten log fails its signature', async () => {
    await rechainWithout(3)
    const rewritten = await records()
    const lines = (await readFile(checkpoints(), 'utf8')).trim().split('\n')
    const forged = lines.map((line) => {
      const c = JSON.parse(line) as { seq: number; hash: string }
      const now = rewritten.find((r) => r.seq === c.seq)
      return JSON.stringify({
        ...c,
        seq: now ? c.seq : rewritten.length,
        hash: (now ?? rewritten.at(-1)!).hash,
      })
    })
    await writeFile(checkpoints(), forged.join('\n') + '\n')
    const { exitCode, body } = await verify()
    expect(exitCode).toBe(8)
    expect(body.problem?.message).toMatch(/its signature does not verify: it was edited or forged/)
  })

  it('a log rewritten together with its checkpoints and a new key still fails against an anchor kept elsewhere', async () => {
    const anchorDir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-anchor-'))
    try {
      const saved = await runCli(project, ['audit', 'checkpoint', '--json'])
      expect(saved.exitCode).toBe(0)
      const anchor = path.join(anchorDir, 'anchor.json')
      await writeFile(anchor, saved.stdout)
      // The attacker re-chains, then replaces the checkpoints and the key pair with its own.
      await rechainWithout(2)
      await rm(checkpoints())
      await rm(path.join(project.home, 'keys'), { recursive: true })
      expect((await runCli(project, ['audit', 'checkpoint'])).exitCode).toBe(0)
      expect((await verify()).exitCode).toBe(0) // locally, nothing is left to contradict it

      const anchored = await verify('--anchor', anchor)
      expect(anchored.exitCode).toBe(8)
      expect(anchored.body.problem?.message).toMatch(
        /anchor 1: the log ends at seq \d+, shorter than the checkpoint/,
      )
      // A bare hash printed by an earlier `audit verify` works as an anchor too.
      const { hash } = JSON.parse(saved.stdout) as { hash: string }
      const byHash = await verify('--anchor', hash)
      expect(byHash.exitCode).toBe(8)
      expect(byHash.body.problem?.message).toMatch(/no record in the log has hash/)
    } finally {
      await rm(anchorDir, { recursive: true, force: true })
    }
  })

  it('an empty log in a project that holds approvals is an integrity error, even without checkpoints', async () => {
    const approvals = { requests: { apr_1: { id: 'apr_1', status: 'pending' } } }
    await writeFile(path.join(project.home, 'state', 'approvals.json'), JSON.stringify(approvals))
    await rm(auditDir(), { recursive: true })
    await rm(checkpoints())
    const { exitCode, body } = await verify()
    expect(exitCode).toBe(8)
    expect(body.problem?.message).toMatch(/empty or missing, but state\/approvals\.json holds 1 approval/)
  })

  it('doctor reports a rewritten log as an integrity error (exit 8)', async () => {
    await rechainWithout(4)
    const doctor = await runCli(project, ['doctor', '--json'])
    expect(doctor.exitCode).toBe(8)
    const audit = json<{ check: string; status: string; detail: string }[]>(doctor).find(
      (c) => c.check === 'audit',
    )
    expect(audit).toMatchObject({ status: 'error' })
    expect(audit?.detail).toMatch(/the log was rewritten/)
  })
})
