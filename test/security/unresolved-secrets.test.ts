import { cp, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLE_SITE, mutatedCopy } from '../../plugins/drush/test/helpers/site.js'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'

// Two webhook secrets the config names but this process never uses (no notify step runs), one
// from the environment, one from a dotenv file; and a third that does not resolve here at all.
// Neither value has a recognisable shape, so only knowing the values can mask them.
const HOOK_KEY = 'Kq7"vR2/mZ+pL9 xT'
const API_KEY = 'Ww3nT8yQe5Ub'
const CONFIG = `workflow:
  notify:
    sinks:
      hook: { type: webhook, url: 'https://hooks.example.invalid/drift', secret: secret://env/HOOK_KEY }
      ops: { type: webhook, url: 'https://ops.example.invalid/drift', secret: 'secret://file/secrets.env#API_KEY' }
      gone: { type: webhook, url: 'https://gone.example.invalid/drift', secret: secret://env/NOT_SET_HERE }
`

// How the site's config (which an agent may have edited) can carry the values: as they are,
// in a Basic header, in a URL, in JSON text, as hex and as base64url.
const carried = {
  plain: HOOK_KEY,
  basic: `Basic ${Buffer.from(`hook:${HOOK_KEY}`).toString('base64')}`,
  url: `https://example.org/cb?key=${encodeURIComponent(HOOK_KEY)}&x=1`,
  json: `{"key":${JSON.stringify(HOOK_KEY)}}`,
  hex: Buffer.from(HOOK_KEY).toString('hex'),
  base64url: Buffer.from(HOOK_KEY).toString('base64url'),
  file: API_KEY,
  fileBase64: Buffer.from(`ops ${API_KEY}`).toString('base64'),
}

let project: TempProject
let baseline: string
let current: string
beforeAll(async () => {
  project = await tempProject({ config: CONFIG })
  await writeFile(path.join(project.dir, 'secrets.env'), `API_KEY=${API_KEY}\n`, { mode: 0o600 })
  // Inside the project: read tools may not read outside it (or files.read_roots).
  baseline = path.join(project.dir, 'baseline')
  await cp(path.join(EXAMPLE_SITE, 'baseline'), baseline, { recursive: true })
  const yaml = Object.entries(carried)
    .map(([key, value]) => `x_${key}: ${JSON.stringify(value)}`)
    .join('\n')
  current = await mutatedCopy(baseline, path.join(project.dir, 'current'), {
    'system.site.yml': (text) => `${text.trimEnd()}\n${yaml}\n`,
  })
})
afterAll(async () => project?.cleanup())

const env = { HOOK_KEY }

async function everythingWritten(): Promise<string> {
  const texts: string[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) await walk(full)
      else texts.push(await readFile(full, 'utf8'))
    }
  }
  await walk(project.home)
  return texts.join('\n')
}

function expectNoSecret(text: string, where: string): void {
  for (const [form, value] of Object.entries(carried))
    expect(text.includes(value), `${form} form of a config secret in ${where}`).toBe(false)
  expect(text).not.toContain(JSON.stringify(HOOK_KEY).slice(1, -1))
}

describe('secrets the config refers to are masked in a process that never resolved them', () => {
  it('drift check masks them in its report, plain and encoded, and in the audit log', async () => {
    const checked = await runCli(
      project,
      ['drift', 'check', '--baseline', baseline, '--current', current, '--json'],
      {
        env,
      },
    )
    expect(checked.exitCode, checked.stderr).toBe(20) // drift found, and the kernel opened despite NOT_SET_HERE
    const report = json(checked)
    const site = report.objects.find((o: { name: string }) => o.name === 'system.site')
    expect(JSON.stringify(site.changes)).toContain('[REDACTED]')
    expectNoSecret(checked.stdout + checked.stderr, 'the drift report')

    const human = await runCli(project, ['drift', 'check', '--baseline', baseline, '--current', current], {
      env,
    })
    expect(human.stdout).toContain('system.site')
    expectNoSecret(human.stdout + human.stderr, 'the human drift report')
    expectNoSecret(await everythingWritten(), '.driftcore/ (audit log, artifacts, state)')
  })

  it('tools call masks them in the tool output an agent gets', async () => {
    const input = JSON.stringify({ baseline, current })
    const called = await runCli(project, ['tools', 'call', 'drift.check', '--input', input, '--json'], {
      env: { ...env, DRIFTCORE_ACTOR: 'agent:copilot' },
    })
    expect(called.exitCode, called.stderr).toBe(0)
    expect(json(called).output.drift).toBe(true)
    expectNoSecret(called.stdout + called.stderr, 'tool output')
    expectNoSecret(await everythingWritten(), '.driftcore/')
  })

  it('doctor says which config references do not resolve here, without failing', async () => {
    const doctor = await runCli(project, ['doctor', '--json'], { env })
    const secrets = json<{ check: string; status: string; detail: string }[]>(doctor).find(
      (c) => c.check === 'secrets',
    )
    expect(secrets).toMatchObject({ status: 'warn' })
    expect(secrets?.detail).toContain('secret://env/NOT_SET_HERE')
    expect(secrets?.detail).not.toContain('HOOK_KEY')
  })
})
