import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { queryAudit } from '../../../src/audit/query.js'
import { generateKeyPair, signBundle } from '../../../src/policy/signing.js'
import { tempProject, testKernel, type TempProject } from '../../helpers/project.js'

let project: TempProject
const human = { type: 'human', id: 'alice' }
const bundle = (name: string, decision = 'ALLOW') =>
  `apiVersion: driftcore/v1\nkind: PolicyBundle\nname: ${name}\nrules:\n  - id: ${name}-all\n    decision: ${decision}\n`

beforeEach(async () => {
  project = await tempProject()
  await mkdir(path.join(project.home, 'policy'), { recursive: true })
})
afterEach(() => project.cleanup())

const policyFile = (name: string) => path.join(project.home, 'policy', name)

async function decide(tool = 'audit.verify') {
  const kernel = await testKernel(project)
  const decision = kernel.gate.simulate({ tool, input: {}, actor: human })
  const active = kernel.policy()
  await kernel.close()
  return { decision, active, kernel }
}

describe('policy snapshots', () => {
  it('uses the built-in default bundle while the project has none', async () => {
    const { decision, active } = await decide()
    expect(decision).toMatchObject({
      decision: 'ALLOW',
      deciding_rule: 'allow-read-only',
      snapshot: { version: 1 },
    })
    expect(active.snapshot.bundles.map((b) => b.name)).toEqual(['default'])
  })

  it('publishes a new snapshot when a bundle changes, and audits it', async () => {
    await writeFile(policyFile('p.yaml'), bundle('p', 'DENY'))
    const first = await decide()
    expect(first.decision).toMatchObject({ decision: 'DENY', snapshot: { version: 1 } })
    expect((await decide()).active.snapshot.version).toBe(1)
    await writeFile(policyFile('p.yaml'), bundle('p', 'ALLOW'))
    const second = await decide()
    expect(second.decision).toMatchObject({ decision: 'ALLOW', snapshot: { version: 2 } })
    expect(second.decision.snapshot.hash).not.toBe(first.decision.snapshot.hash)
    const published = await queryAudit(first.kernel.paths.audit, { type: 'policy.published' })
    expect(published.map((r) => r.data.version)).toEqual([1, 2])
  })

  it('keeps the last-known-good snapshot when a bundle becomes invalid, and audits the refusal once', async () => {
    await writeFile(policyFile('p.yaml'), bundle('p', 'ALLOW'))
    await decide()
    await writeFile(policyFile('p.yaml'), bundle('p', 'ALLOW') + "    when: 'request.input.x == '\n")
    const refused = await decide()
    expect(refused.active.refusal?.message).toMatch(/p\.yaml:\d+:\d+: invalid CEL expression/)
    expect(refused.decision).toMatchObject({ decision: 'ALLOW', snapshot: { version: 1 } })
    await decide()
    const refusals = await queryAudit(refused.kernel.paths.audit, { type: 'policy.refused' })
    expect(refusals).toHaveLength(1)
    expect(refusals[0]!.data.error).toMatch(/invalid CEL expression/)
  })

  it('denies everything when no valid bundle was ever published', async () => {
    await writeFile(
      policyFile('p.yaml'),
      'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: p\nrules: nope\n',
    )
    const { decision, active } = await decide()
    expect(active.snapshot.version).toBe(0)
    expect(decision.decision).toBe('DENY')
  })

  it('refuses duplicate rule ids across bundles', async () => {
    await writeFile(policyFile('a.yaml'), bundle('a'))
    await writeFile(policyFile('b.yaml'), bundle('a').replace('name: a', 'name: b'))
    const { active } = await decide()
    expect(active.refusal?.message).toMatch(/duplicate rule id "a-all", already used in .*a\.yaml/)
  })

  it('with trusted keys, accepts a signed bundle and refuses an unsigned or tampered one', async () => {
    const keys = await generateKeyPair(path.join(project.dir, 'signing'))
    await writeFile(path.join(project.home, 'config.yaml'), `policy:\n  trusted_keys: [${keys.publicKey}]\n`)
    await writeFile(policyFile('p.yaml'), bundle('p', 'DENY'))
    const unsigned = await decide()
    expect(unsigned.active.refusal?.message).toMatch(/p\.yaml is not signed/)
    expect(unsigned.decision.decision).toBe('DENY')
    await signBundle(policyFile('p.yaml'), keys.privateKey)
    const signed = await decide()
    expect(signed.active.refusal).toBeUndefined()
    expect(signed.active.snapshot.bundles[0]!.signed_by).toBe(keys.fingerprint)
    await writeFile(policyFile('p.yaml'), bundle('p', 'ALLOW'))
    const tampered = await decide()
    expect(tampered.active.refusal?.message).toMatch(/bad signature/)
    expect(tampered.decision.decision).toBe('DENY')
    expect(tampered.active.snapshot.version).toBe(signed.active.snapshot.version)
  })

  it('rolls back to an earlier snapshot and pins it until the next publish', async () => {
    await writeFile(policyFile('p.yaml'), bundle('p', 'DENY'))
    await decide()
    await writeFile(policyFile('p.yaml'), bundle('p', 'ALLOW'))
    await decide()
    const kernel = await testKernel(project)
    await kernel.policyStore.rollback(human)
    await kernel.close()
    expect((await decide()).decision).toMatchObject({ decision: 'DENY', snapshot: { version: 1 } })
    const k2 = await testKernel(project)
    const published = await k2.policyStore.publish(human)
    await k2.close()
    expect((await decide()).decision).toMatchObject({
      decision: 'ALLOW',
      snapshot: { version: published.version },
    })
  })
})
