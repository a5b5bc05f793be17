import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { canonicalHash } from '../../src/store/hash.js'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'

/**
 * Hole 4 and the policy part of hole 11: an agent with a shell edits the compiled policy
 * snapshots or the index that says which one is in force, or asks for a rollback itself.
 */

let project: TempProject
beforeEach(async () => {
  project = await tempProject()
  await mkdir(path.join(project.home, 'policy'), { recursive: true })
})
afterEach(() => project.cleanup())

const AGENT = { DRIFTCORE_ACTOR: 'agent:rogue' }
const policyFile = (name: string) => path.join(project.home, 'policy', name)
const snapshotFile = (version: number) =>
  path.join(project.home, 'policy/snapshots', `${String(version).padStart(6, '0')}.json`)
const indexFile = () => path.join(project.home, 'state/policy.json')

const bundle = (rules: string) =>
  `apiVersion: driftcore/v1\nkind: PolicyBundle\nname: project\nrules:\n${rules}`
const READS = '  - id: reads\n    decision: ALLOW\n    match:\n      risk_tags: { only: [read] }\n'
const PEOPLE_ROLL_BACK =
  '  - id: people-roll-back\n    decision: ALLOW\n    match:\n      tools: [policy.rollback]\n      actors: { types: [human] }\n'

const decide = async (tool = 'x.write', risk = 'write') =>
  json(
    await runCli(project, [
      'policy',
      'simulate',
      '--tool',
      tool,
      '--risk',
      risk,
      '--capability',
      'x',
      '--json',
    ]),
  )

/** The forger's edit: every rule allows, and the snapshot still names its original hash. */
async function allowEverything(version: number, options: { rehash?: boolean } = {}) {
  const snapshot = JSON.parse(await readFile(snapshotFile(version), 'utf8'))
  for (const b of snapshot.bundles) for (const rule of b.rules) rule.decision = 'ALLOW'
  for (const b of snapshot.bundles) for (const rule of b.rules) delete rule.match
  if (options.rehash)
    snapshot.hash = canonicalHash(snapshot.bundles.map((b: any) => ({ name: b.name, rules: b.rules })))
  await writeFile(snapshotFile(version), JSON.stringify(snapshot, null, 2))
  return snapshot.hash as string
}

describe('an edited snapshot file', () => {
  it('is an integrity error, audited once, reported by doctor with exit 8, and changes no decision', async () => {
    await writeFile(policyFile('project.yaml'), bundle(READS))
    expect((await runCli(project, ['policy', 'publish'])).exitCode).toBe(0)
    expect((await decide()).decision).toBe('DENY')
    await allowEverything(1)

    const first = await runCli(project, [
      'policy',
      'simulate',
      '--tool',
      'x.write',
      '--risk',
      'write',
      '--capability',
      'x',
      '--json',
    ])
    expect(first.stderr).toContain(snapshotFile(1))
    expect(json(first).decision).toBe('DENY')
    expect((await decide()).decision).toBe('DENY')

    const records = json(await runCli(project, ['audit', 'query', '--type', 'policy.integrity', '--json']))
    expect(records).toHaveLength(1)
    expect(records[0].data.file).toBe(snapshotFile(1))

    const doctor = await runCli(project, ['doctor'])
    expect(doctor.exitCode).toBe(8)
    expect(doctor.stdout).toContain(snapshotFile(1))
    const verify = json(await runCli(project, ['audit', 'verify', '--json']))
    expect(verify.ok).toBe(true)
  })

  it('with trusted keys, a forger who also recomputes the hash is caught by the signatures', async () => {
    const keys = json(
      await runCli(project, ['policy', 'keygen', '--out', path.join(project.dir, 'keys/policy'), '--json']),
    )
    await writeFile(path.join(project.home, 'config.yaml'), 'policy:\n  trusted_keys: [keys/policy.pub]\n')
    await writeFile(policyFile('project.yaml'), bundle(READS))
    await runCli(project, ['policy', 'sign', policyFile('project.yaml'), '--key', keys.privateKey])
    expect((await runCli(project, ['policy', 'publish'])).exitCode).toBe(0)
    await allowEverything(1, { rehash: true })

    const r = await runCli(project, [
      'policy',
      'simulate',
      '--tool',
      'x.write',
      '--risk',
      'write',
      '--capability',
      'x',
      '--json',
    ])
    expect(json(r).decision).toBe('DENY')
    expect(r.stderr).toContain(snapshotFile(1))
    const doctor = await runCli(project, ['doctor', '--json'])
    expect(doctor.exitCode).toBe(8)
    expect(json(doctor).find((c: { check: string }) => c.check === 'policy snapshots')).toMatchObject({
      status: 'error',
      detail: expect.stringContaining(snapshotFile(1)),
    })
  })
})

describe('a genuine old snapshot copied in as the newest', () => {
  it('verifies, but doctor finds it is not what the audit log says was published, and exits 8', async () => {
    await writeFile(policyFile('project.yaml'), bundle('  - id: all\n    decision: ALLOW\n'))
    await runCli(project, ['policy', 'publish'])
    await writeFile(policyFile('project.yaml'), bundle(READS))
    await runCli(project, ['policy', 'publish'])
    const old = JSON.parse(await readFile(snapshotFile(1), 'utf8'))
    const newest = JSON.parse(await readFile(snapshotFile(2), 'utf8'))
    await writeFile(snapshotFile(3), JSON.stringify({ ...old, version: 3, source_hash: newest.source_hash }))
    // Without a key or an outside anchor this cannot be told from a real publish when used…
    expect((await decide()).snapshot.version).toBe(3)
    // …but driftcore never published it, and the audit log says so.
    const doctor = await runCli(project, ['doctor', '--json'])
    expect(doctor.exitCode).toBe(8)
    expect(json(doctor).find((c: { check: string }) => c.check === 'policy snapshots')).toMatchObject({
      status: 'error',
      detail: expect.stringContaining(`${snapshotFile(3)} does not match the policy.published record`),
    })
  })
})

describe('an edited index (state/policy.json)', () => {
  it('pointing at an older snapshot without a pin changes nothing', async () => {
    await writeFile(policyFile('project.yaml'), bundle('  - id: all\n    decision: ALLOW\n'))
    await runCli(project, ['policy', 'publish'])
    await writeFile(policyFile('project.yaml'), bundle(READS))
    await runCli(project, ['policy', 'publish'])
    const index = JSON.parse(await readFile(indexFile(), 'utf8'))
    await writeFile(indexFile(), JSON.stringify({ ...index, current: 1 }))
    expect(await decide()).toMatchObject({ decision: 'DENY', snapshot: { version: 2 } })
  })

  it('pinning an older snapshot behind driftcore’s back is reported by doctor with exit 8', async () => {
    await writeFile(policyFile('project.yaml'), bundle('  - id: all\n    decision: ALLOW\n'))
    await runCli(project, ['policy', 'publish'])
    await writeFile(policyFile('project.yaml'), bundle(READS))
    await runCli(project, ['policy', 'publish'])
    const index = JSON.parse(await readFile(indexFile(), 'utf8'))
    await writeFile(indexFile(), JSON.stringify({ ...index, current: 1, pinned: true }))
    const doctor = await runCli(project, ['doctor', '--json'])
    expect(doctor.exitCode).toBe(8)
    expect(json(doctor).find((c: { check: string }) => c.check === 'policy index')).toMatchObject({
      status: 'error',
      detail: expect.stringContaining(indexFile()),
    })
  })
})

describe('policy rollback', () => {
  it('is denied to an agent by the shipped default policy, and pins nothing', async () => {
    await writeFile(policyFile('project.yaml'), bundle('  - id: all\n    decision: ALLOW\n'))
    await runCli(project, ['policy', 'publish'])
    // The shipped default bundle, as `driftcore init` writes it, is in force now.
    const { DEFAULT_BUNDLE_YAML } = await import('../../src/policy/default-bundle.js')
    await rm(policyFile('project.yaml'))
    await writeFile(policyFile('default.yaml'), DEFAULT_BUNDLE_YAML)
    expect((await runCli(project, ['policy', 'publish'])).exitCode).toBe(0)
    const before = await readFile(indexFile(), 'utf8')
    const r = await runCli(project, ['policy', 'rollback', '--to', '1'], { env: AGENT })
    expect(r.exitCode).toBe(4)
    expect(await readFile(indexFile(), 'utf8')).toBe(before)
    expect(await decide()).toMatchObject({ decision: 'REQUIRE_APPROVAL', snapshot: { version: 2 } })
  })

  it('re-checks the snapshot it pins: an edited one is refused with exit 8 naming the file', async () => {
    await writeFile(policyFile('project.yaml'), bundle(READS + PEOPLE_ROLL_BACK))
    await runCli(project, ['policy', 'publish'])
    await writeFile(
      policyFile('project.yaml'),
      bundle(READS + PEOPLE_ROLL_BACK).replace('id: reads', 'id: reads2'),
    )
    await runCli(project, ['policy', 'publish'])
    await allowEverything(1)
    const r = await runCli(project, ['policy', 'rollback', '--to', '1'])
    expect(r.exitCode).toBe(8)
    expect(r.stderr).toContain(snapshotFile(1))
    expect(JSON.parse(await readFile(indexFile(), 'utf8'))).toMatchObject({ current: 2, pinned: false })
  })

  it('refuses a snapshot published without signatures once trusted keys are set', async () => {
    await writeFile(policyFile('project.yaml'), bundle('  - id: all\n    decision: ALLOW\n'))
    await runCli(project, ['policy', 'publish'])
    const keys = json(
      await runCli(project, ['policy', 'keygen', '--out', path.join(project.dir, 'keys/policy'), '--json']),
    )
    await writeFile(path.join(project.home, 'config.yaml'), 'policy:\n  trusted_keys: [keys/policy.pub]\n')
    await writeFile(policyFile('project.yaml'), bundle(READS + PEOPLE_ROLL_BACK))
    await runCli(project, ['policy', 'sign', policyFile('project.yaml'), '--key', keys.privateKey])
    expect((await runCli(project, ['policy', 'publish'])).exitCode).toBe(0)
    const r = await runCli(project, ['policy', 'rollback', '--to', '1'])
    expect(r.exitCode).toBe(8)
    expect(r.stderr).toContain(snapshotFile(1))
    expect((await decide()).decision).toBe('DENY')
  })
})
