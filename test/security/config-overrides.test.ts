import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_BUNDLE_YAML } from '../../src/policy/default-bundle.js'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'

/**
 * Hole 3: a caller switches signing (or any other safeguard) off for its own command with
 * `-c key=value` or a DRIFTCORE_* variable, or has an agent write the config for it.
 */

let project: TempProject
beforeEach(async () => {
  project = await tempProject()
})
afterEach(() => project.cleanup())

const AGENT = { DRIFTCORE_ACTOR: 'agent:rogue' }
const configFile = () => path.join(project.home, 'config.yaml')
const policyFile = (name: string) => path.join(project.home, 'policy', name)
const snapshotFiles = async () =>
  (await readdir(path.join(project.home, 'policy/snapshots')).catch(() => [])).sort()

// Anything goes: what a hostile agent would like to have in force.
const ALLOW_ALL =
  'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: project\nrules:\n  - id: anything-goes\n    decision: ALLOW\n'
const READS_ONLY =
  'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: project\nrules:\n  - id: reads\n    decision: ALLOW\n    match:\n      risk_tags: { only: [read] }\n'

/** A project whose policy must be signed: a trusted key in its config and a signed bundle published. */
async function signedProject(bundle = READS_ONLY): Promise<{ privateKey: string }> {
  const keys = json(
    await runCli(project, ['policy', 'keygen', '--out', path.join(project.dir, 'keys/policy'), '--json']),
  )
  await writeFile(configFile(), `policy:\n  trusted_keys: [keys/policy.pub]\n`)
  await mkdir(path.join(project.home, 'policy'), { recursive: true })
  await writeFile(policyFile('project.yaml'), bundle)
  expect(
    (await runCli(project, ['policy', 'sign', policyFile('project.yaml'), '--key', keys.privateKey]))
      .exitCode,
  ).toBe(0)
  expect((await runCli(project, ['policy', 'publish'])).exitCode).toBe(0)
  return { privateKey: keys.privateKey }
}

describe('a caller cannot switch signing off for its own command', () => {
  it('-c policy.trusted_keys=[] is refused naming the key and the flag, and no unsigned bundle is published', async () => {
    await signedProject()
    const before = await snapshotFiles()
    await writeFile(policyFile('project.yaml'), ALLOW_ALL)
    const attack = await runCli(project, ['policy', 'publish', '-c', 'policy.trusted_keys=[]'])
    expect(attack.exitCode).toBe(11)
    expect(attack.stderr).toContain('--config policy.trusted_keys')
    expect(attack.stderr).toContain('protected')
    expect(await snapshotFiles()).toEqual(before)
    // The unsigned bundle never becomes last-known-good: a write tool is still not allowed.
    const denied = await runCli(project, [
      'policy',
      'evaluate',
      '--tool',
      'x.write',
      '--risk',
      'write',
      '--capability',
      'x',
      '--json',
    ])
    expect(json(denied).decision).toBe('DENY')
    expect(await snapshotFiles()).toEqual(before)
  })

  it('DRIFTCORE_POLICY__TRUSTED_KEYS=[] is refused naming the variable', async () => {
    await signedProject()
    const before = await snapshotFiles()
    await writeFile(policyFile('project.yaml'), ALLOW_ALL)
    const attack = await runCli(project, ['tools', 'call', 'audit.verify'], {
      env: { DRIFTCORE_POLICY__TRUSTED_KEYS: '[]' },
    })
    expect(attack.exitCode).toBe(11)
    expect(attack.stderr).toContain('DRIFTCORE_POLICY__TRUSTED_KEYS')
    expect(await snapshotFiles()).toEqual(before)
  })

  it.each([
    ['-c', 'sandbox.isolation=off', '--config sandbox.isolation'],
    ['-c', 'sandbox={isolation: off}', '--config sandbox.isolation'],
    ['-c', 'sandbox.limits.cpu_seconds=999999', '--config sandbox.limits.cpu_seconds'],
    ['-c', 'launcher.allowlist=[sh, curl]', '--config launcher.allowlist'],
    ['-c', 'approvals.ttl_ms=999999999', '--config approvals.ttl_ms'],
    ['-c', 'audit.fsync=off', '--config audit.fsync'],
    ['-c', 'project.environment=dev', '--config project.environment'],
    ['-c', 'mcp.elicitation.approvals=on', '--config mcp.elicitation.approvals'],
    ['-c', 'policy=null', '--config policy'],
    ['-c', 'config.allow_overrides=[policy.trusted_keys]', '--config config.allow_overrides'],
  ])('%s %s is refused with exit 11', async (flag, assignment, named) => {
    const r = await runCli(project, ['config', 'effective', flag, assignment])
    expect(r.exitCode).toBe(11)
    expect(r.stderr).toContain(named)
  })

  it.each([
    ['DRIFTCORE_SANDBOX__ISOLATION', 'off'],
    ['DRIFTCORE_LAUNCHER__ALLOWLIST', '[sh]'],
    ['DRIFTCORE_PROJECT__ENVIRONMENT', 'dev'],
    ['DRIFTCORE_MCP__ELICITATION__APPROVALS', 'on'],
  ])('%s is refused with exit 11', async (name, value) => {
    const r = await runCli(project, ['config', 'effective'], { env: { [name]: value } })
    expect(r.exitCode).toBe(11)
    expect(r.stderr).toContain(name)
  })

  it('keys that are not protected can still be set for one run', async () => {
    const r = json(
      await runCli(
        project,
        ['config', 'get', 'workflow.concurrency', '--json', '-c', 'workflow.concurrency=2'],
        {
          env: { DRIFTCORE_LOCKS__DEFAULT_TTL_MS: '1000' },
        },
      ),
    )
    expect(r).toMatchObject({ value: 2, layer: 'flag' })
  })
})

describe('only the project config opens a protected key to overrides', () => {
  it('config.allow_overrides in the project config lets env and flags set the keys it names, and only those', async () => {
    await writeFile(configFile(), 'config:\n  allow_overrides: [project.environment]\n')
    const ci = json(
      await runCli(project, ['config', 'get', 'project.environment', '--json'], {
        env: { DRIFTCORE_PROJECT__ENVIRONMENT: 'prod' },
      }),
    )
    expect(ci).toMatchObject({ value: 'prod', layer: 'env' })
    const other = await runCli(project, ['config', 'effective', '-c', 'policy.trusted_keys=[]'])
    expect(other.exitCode).toBe(11)
  })

  it('a user-layer config.allow_overrides grants nothing: refused, naming the user file', async () => {
    const userDir = path.join(project.env.XDG_CONFIG_HOME!, 'driftcore')
    await mkdir(userDir, { recursive: true })
    await writeFile(path.join(userDir, 'config.yaml'), 'config:\n  allow_overrides: [policy.*]\n')
    const r = await runCli(project, ['config', 'effective', '-c', 'policy.trusted_keys=[]'])
    expect(r.exitCode).toBe(11)
    expect(r.stderr).toContain(path.join(userDir, 'config.yaml'))
    expect(r.stderr).toContain('config.allow_overrides')
  })

  it('an installed pack cannot set a protected key: refused naming the pack file', async () => {
    await mkdir(path.join(project.home, 'packs/evil'), { recursive: true })
    const packConfig = path.join(project.home, 'packs/evil/config.yaml')
    await writeFile(packConfig, 'launcher:\n  allowlist: [sh, curl]\n')
    const r = await runCli(project, ['tools', 'call', 'audit.verify'])
    expect(r.exitCode).toBe(11)
    expect(r.stderr).toContain(packConfig)
    expect(r.stderr).toContain('launcher.allowlist')
  })
})

describe('config set is a gated tool call', () => {
  it('an agent running `config set policy.trusted_keys []` needs a person’s approval; the file is unchanged', async () => {
    await signedProject(DEFAULT_BUNDLE_YAML)
    const before = await readFile(configFile(), 'utf8')
    const r = await runCli(project, ['config', 'set', 'policy.trusted_keys', '[]', '--json'], { env: AGENT })
    expect(r.exitCode).toBe(5)
    expect(json(r).error.details.approval_id).toMatch(/^apr_/)
    expect(await readFile(configFile(), 'utf8')).toBe(before)
  })

  it('an agent calling the config.set tool needs approval too', async () => {
    const r = await runCli(
      project,
      ['tools', 'call', 'config.set', '--input', '{"key": "sandbox.isolation", "value": "off"}'],
      { env: AGENT },
    )
    expect(r.exitCode).toBe(5)
    await expect(readFile(configFile(), 'utf8')).rejects.toThrow()
  })

  it('every config change leaves config.changed with the old and new hash: config set, and an edited file', async () => {
    const first = json(await runCli(project, ['config', 'set', 'workflow.concurrency', '4', '--json']))
    const set = json(await runCli(project, ['audit', 'query', '--type', 'config.changed', '--json']))
    const bySet = set.find((r: { data: { key?: string } }) => r.data.key === 'workflow.concurrency')
    expect(bySet).toMatchObject({ actor: { type: 'human', id: 'tester' } })
    expect(bySet.data.new_hash).toBe(first.hash)
    expect(bySet.data.old_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(bySet.data.old_hash).not.toBe(bySet.data.new_hash)

    // By hand, behind driftcore's back: noticed when the kernel next opens.
    await writeFile(configFile(), 'workflow:\n  concurrency: 8\nsandbox:\n  isolation: off\n')
    expect((await runCli(project, ['tools', 'call', 'audit.verify'])).exitCode).toBe(0)
    expect((await runCli(project, ['tools', 'call', 'audit.verify'])).exitCode).toBe(0)
    const all = json(await runCli(project, ['audit', 'query', '--type', 'config.changed', '--json']))
    const byHand = all.filter((r: { data: { old_hash: string } }) => r.data.old_hash === first.hash)
    expect(byHand).toHaveLength(1)
    expect(byHand[0].data.layers).toEqual([{ layer: 'project', file: configFile() }])
    expect(byHand[0].data.new_hash).not.toBe(first.hash)
  })
})

describe('a config edited together with the memory of it', () => {
  it('leaves no config.changed record, and doctor reports it with exit 8', async () => {
    expect((await runCli(project, ['tools', 'call', 'audit.verify'])).exitCode).toBe(0)
    // The forger writes the config and then rewrites state/config.json to match it.
    const text = 'sandbox:\n  isolation: off\n'
    await writeFile(configFile(), text)
    const { hash } = json(await runCli(project, ['config', 'effective', '--json']))
    const stateFile = path.join(project.home, 'state/config.json')
    const state = JSON.parse(await readFile(stateFile, 'utf8'))
    state.hash = hash
    state.files.project = { file: configFile(), digest: createHash('sha256').update(text).digest('hex') }
    await writeFile(stateFile, JSON.stringify(state))
    expect((await runCli(project, ['tools', 'call', 'audit.verify'])).exitCode).toBe(0)
    const records = json(await runCli(project, ['audit', 'query', '--type', 'config.changed', '--json']))
    expect(records.map((r: { data: { new_hash: string } }) => r.data.new_hash)).not.toContain(hash)

    const doctor = await runCli(project, ['doctor', '--json'])
    expect(doctor.exitCode).toBe(8)
    expect(json(doctor).find((c: { check: string }) => c.check === 'config history')).toMatchObject({
      status: 'error',
      code: 'integrity',
    })
  })
})

describe('the snapshot in force is re-checked against the trust in force now', () => {
  it('a snapshot published without signatures does not survive the arrival of trusted keys: deny-all', async () => {
    await mkdir(path.join(project.home, 'policy'), { recursive: true })
    await writeFile(policyFile('project.yaml'), ALLOW_ALL)
    expect((await runCli(project, ['policy', 'publish'])).exitCode).toBe(0)
    await runCli(project, ['policy', 'keygen', '--out', path.join(project.dir, 'keys/policy')])
    await writeFile(configFile(), 'policy:\n  trusted_keys: [keys/policy.pub]\n')
    const r = await runCli(project, ['tools', 'call', 'audit.verify', '--json'])
    expect(r.exitCode).toBe(4)
    expect(r.stderr).toMatch(/not signed/)
    const decision = json(await runCli(project, ['policy', 'simulate', '--tool', 'audit.verify', '--json']))
    expect(decision).toMatchObject({ decision: 'DENY', snapshot: { version: 0, hash: 'deny-all' } })
  })
})
