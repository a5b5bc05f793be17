import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readCheckpoints, readPublicKey, type CheckpointSettings } from '../../../src/audit/checkpoints.js'
import { AuditLog } from '../../../src/audit/log.js'
import { Redactor } from '../../../src/audit/redact.js'
import { verifyAudit } from '../../../src/audit/verify.js'

let dir: string
let settings: CheckpointSettings
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-checkpoints-'))
  settings = {
    file: path.join(dir, 'audit-checkpoints.jsonl'),
    privateKeyFile: path.join(dir, 'keys/cp.key'),
    publicKeyFile: path.join(dir, 'keys/cp.pub'),
    every: 10,
  }
})
afterEach(() => rm(dir, { recursive: true, force: true }))

function log(warnings: string[] = []): AuditLog {
  return new AuditLog(path.join(dir, 'audit'), {
    fsync: 'always',
    batchIntervalMs: 5,
    segmentMaxBytes: 1 << 26,
    redactor: new Redactor(),
    checkpoints: settings,
    warn: (m) => warnings.push(m),
  })
}

async function write(audit: AuditLog, n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    await audit.record({ type: 't', actor: { type: 'human', id: 'a' }, subject: `s${i}` })
}

describe('audit checkpoints', () => {
  it('are written for the first record and each time the chain passes a multiple of checkpoint_every', async () => {
    const audit = log()
    await write(audit, 25)
    await audit.close()
    const seqs = (await readCheckpoints(settings.file)).map((c) => c.seq)
    expect(seqs).toEqual([1, 10, 20])
    const verified = await verifyAudit(path.join(dir, 'audit'), {
      checkpoints: await readCheckpoints(settings.file),
      publicKey: (await readPublicKey(settings.publicKeyFile))!,
    })
    expect(verified).toMatchObject({ ok: true, records: 25, checkpoints: 3 })
  })

  it('a checkpoint signed by another key fails verification', async () => {
    const audit = log()
    await write(audit, 3)
    await audit.close()
    const checkpoints = await readCheckpoints(settings.file)
    await rm(path.join(dir, 'keys'), { recursive: true })
    const other = log()
    await other.checkpoint() // makes a fresh key pair
    await other.close()
    const result = await verifyAudit(path.join(dir, 'audit'), {
      checkpoints,
      publicKey: (await readPublicKey(settings.publicKeyFile))!,
    })
    expect(result.ok).toBe(false)
    expect(result.problem?.message).toMatch(/signed by key \w+, not the project's key/)
  })

  it('a lost private key is not silently replaced while its public key remains; the records still land', async () => {
    const audit = log()
    await write(audit, 1)
    await audit.close()
    await rm(settings.privateKeyFile)
    const warnings: string[] = []
    const next = log(warnings)
    await write(next, 10)
    await next.close()
    expect(warnings.join('\n')).toMatch(
      /checkpoint at seq 10 failed: audit checkpoint key .* is missing while .* exists/,
    )
    expect((await verifyAudit(path.join(dir, 'audit'))).records).toBe(11)
  })
})
