import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_BUNDLE_YAML } from '../../src/policy/default-bundle.js'
import { canonicalHash } from '../../src/store/hash.js'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'

/**
 * An agent with a shell adds a bundle to .driftcore/policy/ (or edits what is there) to relax
 * a rule a security owner marked final. It must relax nothing: the bundle is refused, the
 * snapshot in force keeps deciding, and where it could edit files unseen it is detected.
 */

let project: TempProject
beforeEach(async () => {
  project = await tempProject()
  await mkdir(path.join(project.home, 'policy'), { recursive: true })
  await writeFile(policyFile('default.yaml'), DEFAULT_BUNDLE_YAML)
  await writeFile(policyFile('secops.yaml'), SECOPS)
})
afterEach(() => project.cleanup())

const AGENT = { DRIFTCORE_ACTOR: 'agent:rogue' }
const policyFile = (name: string) => path.join(project.home, 'policy', name)
const snapshotFile = (version: number) =>
  path.join(project.home, 'policy/snapshots', `${String(version).padStart(6, '0')}.json`)

const SECOPS = `apiVersion: driftcore/v1
kind: PolicyBundle
name: secops
final: true
rules:
  - id: no-agent-config-imports
    decision: DENY
    match:
      tools: [drush.configImport]
      actors: { types: [agent] }
`

// The agent's bundle: names the tool exactly and the final rule it wants gone.
const RELAX = `apiVersion: driftcore/v1
kind: PolicyBundle
name: agent
rules:
  - id: let-agents-import
    decision: ALLOW
    match: { tools: [drush.configImport] }
    overrides: [no-agent-config-imports, approve-write-exec]
`

const importDecision = async () =>
  runCli(
    project,
    ['policy', 'simulate', '--tool', 'drush.configImport', '--actor', 'agent:rogue', '--json'],
    {
      env: AGENT,
    },
  )

describe('a bundle that overrides a final rule', () => {
  it('is refused and audited, names its file and line, and the final DENY still decides', async () => {
    expect((await runCli(project, ['policy', 'publish'])).exitCode).toBe(0)
    await writeFile(policyFile('zz-agent.yaml'), RELAX)

    const r = await importDecision()
    expect(json(r)).toMatchObject({ decision: 'DENY', deciding_rule: 'no-agent-config-imports' })
    expect(r.stderr).toContain(
      `${policyFile('zz-agent.yaml')}:8:5: rule "let-agents-import" overrides "no-agent-config-imports", which is final`,
    )
    const refused = json(await runCli(project, ['audit', 'query', '--type', 'policy.refused', '--json']))
    expect(refused).toHaveLength(1)
    expect(refused[0].data.error).toContain(policyFile('zz-agent.yaml'))
    expect(json(await runCli(project, ['policy', 'snapshots', '--json'])).snapshots).toHaveLength(1)

    // The agent cannot get there by rolling back either: that DENY is final in the shipped default.
    const rollback = await runCli(project, ['policy', 'rollback', '--json'], { env: AGENT })
    expect(rollback.exitCode).toBe(4)
    expect(json(rollback).error.details.rule).toBe('only-people-roll-back-policy')
  })

  it('is refused as a draft too: simulate --bundle never shows the final rule relaxed', async () => {
    const draft = path.join(project.dir, 'draft.yaml')
    await writeFile(draft, RELAX)
    const r = await runCli(
      project,
      [
        'policy',
        'simulate',
        '--tool',
        'drush.configImport',
        '--actor',
        'agent:rogue',
        '--bundle',
        draft,
        '--json',
      ],
      { env: AGENT },
    )
    expect(r.exitCode).toBe(2)
    expect(json(r).error.message).toContain(
      `${draft}:8:5: rule "let-agents-import" overrides "no-agent-config-imports"`,
    )
  })

  it('cannot stand in for the final bundle: the same bundle name or the same rule id later is refused', async () => {
    expect((await runCli(project, ['policy', 'publish'])).exitCode).toBe(0)
    await writeFile(
      policyFile('zz-secops.yaml'),
      SECOPS.replace('final: true\n', '').replace('DENY', 'ALLOW'),
    )
    const sameName = await importDecision()
    expect(json(sameName).decision).toBe('DENY')
    expect(sameName.stderr).toContain('bundle name "secops" is already used')

    await writeFile(
      policyFile('zz-secops.yaml'),
      SECOPS.replace('final: true\n', '').replace('name: secops', 'name: later').replace('DENY', 'ALLOW'),
    )
    const sameId = await importDecision()
    expect(json(sameId).decision).toBe('DENY')
    expect(sameId.stderr).toContain('duplicate rule id "no-agent-config-imports"')
  })
})

describe('with signed bundles (policy.trusted_keys)', () => {
  async function signedProject() {
    const keys = json(
      await runCli(project, ['policy', 'keygen', '--out', path.join(project.dir, 'keys/policy'), '--json']),
    )
    await writeFile(path.join(project.home, 'config.yaml'), 'policy:\n  trusted_keys: [keys/policy.pub]\n')
    for (const f of ['default.yaml', 'secops.yaml'])
      expect(
        (await runCli(project, ['policy', 'sign', policyFile(f), '--key', keys.privateKey])).exitCode,
      ).toBe(0)
    expect((await runCli(project, ['policy', 'publish'])).exitCode).toBe(0)
  }

  it('removing final from the signed bundle and adding an override is refused; -c cannot drop the keys', async () => {
    await signedProject()
    await writeFile(policyFile('secops.yaml'), SECOPS.replace('final: true\n', ''))
    await writeFile(policyFile('zz-agent.yaml'), RELAX)
    const r = await importDecision()
    expect(json(r)).toMatchObject({
      decision: 'DENY',
      deciding_rule: 'no-agent-config-imports',
      snapshot: { version: 1 },
    })
    expect(r.stderr).toContain(policyFile('secops.yaml'))

    const unsigned = await runCli(
      project,
      [
        'policy',
        'simulate',
        '--tool',
        'drush.configImport',
        '--actor',
        'agent:rogue',
        '--json',
        '-c',
        'policy.trusted_keys=[]',
      ],
      { env: AGENT },
    )
    expect(unsigned.exitCode).toBe(11)
    expect(json(unsigned).error.message).toContain('policy.trusted_keys is protected')
    expect(json(await runCli(project, ['policy', 'snapshots', '--json'])).snapshots).toHaveLength(1)
  })

  it('removing final from the published snapshot (hash recomputed) never decides, and doctor exits 8', async () => {
    await signedProject()
    const snapshot = JSON.parse(await readFile(snapshotFile(1), 'utf8'))
    const secops = snapshot.bundles.find((b: { name: string }) => b.name === 'secops')
    delete secops.final
    secops.rules.push({
      id: 'let-agents-import',
      decision: 'ALLOW',
      match: { tools: ['drush.configImport'] },
      overrides: ['no-agent-config-imports', 'approve-write-exec'],
    })
    snapshot.hash = canonicalHash(snapshot.bundles.map((b: any) => ({ name: b.name, rules: b.rules })))
    await writeFile(snapshotFile(1), JSON.stringify(snapshot, null, 2))

    const r = await importDecision()
    expect(json(r).decision).toBe('DENY')
    expect(r.stderr).toContain(snapshotFile(1))
    const doctor = await runCli(project, ['doctor', '--json'])
    expect(doctor.exitCode).toBe(8)
  })
})
