import { execa } from 'execa'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseDirect } from '../../src/audit/direct-cli.js'
import { AuditLog } from '../../src/audit/log.js'
import { Redactor } from '../../src/audit/redact.js'
import { REPO, runCli, tempProject, type TempProject } from '../helpers/project.js'

// `audit tail` and `audit query` have an entry without oclif (dist/audit/direct-cli.js) for
// bin/run.js to route to: it must print exactly what the oclif command prints, exit with the
// same code, and leave every command line it does not answer exactly to oclif.

let project: TempProject
beforeAll(async () => {
  project = await tempProject()
  const audit = new AuditLog(path.join(project.home, 'audit'), {
    fsync: 'batch',
    batchIntervalMs: 5,
    segmentMaxBytes: 4096,
    redactor: new Redactor(),
  })
  for (let i = 0; i < 40; i++)
    await audit.record({
      type: i % 4 === 0 ? 'approval.approved' : 'tool.call',
      actor: { type: 'agent', id: `bot/${i % 3}` },
      subject: i % 5 === 0 ? 'drush.configImport' : 'config.effective',
      data: { i, text: 'é "quoted"' },
    })
  await audit.close()
})
afterAll(() => project.cleanup())

const entry = `const { runDirect } = await import(${JSON.stringify(path.join(REPO, 'dist/audit/direct-cli.js'))})
if (!(await runDirect(process.argv.slice(1)))) process.exitCode = 99`

async function direct(args: string[]) {
  const r = await execa('node', ['--input-type=module', '-e', entry, ...args], {
    cwd: project.dir,
    env: project.env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  })
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) }
}

describe('audit tail and query without oclif', () => {
  it('prints what the oclif command prints, for JSON and text, and fails the same way', async () => {
    const lines = [
      ['audit', 'tail', '--json'],
      ['audit', 'tail', '-n', '7'],
      ['audit', 'tail', '--lines=3', '--json'],
      ['audit', 'query', '--subject', 'drush.*', '--json'],
      ['audit', 'query', '--type=approval.approved', '--actor', 'agent:bot/*', '--limit', '4'],
      ['audit', 'query', '--since', '1h', '--uid', String(process.getuid?.() ?? 0), '--json'],
      ['audit', 'query', '--since', 'last tuesday'],
      ['audit', 'query', '--since', 'last tuesday', '--json'],
      ['audit', 'query', '--home', path.join(project.dir, 'nowhere'), '--json'],
    ]
    for (const args of lines) {
      const [ours, theirs] = await Promise.all([direct(args), runCli(project, args)])
      expect(ours, args.join(' ')).toEqual(theirs)
    }
  })

  it('leaves to oclif every line it does not answer exactly', () => {
    const env = {}
    for (const args of [
      ['audit', 'verify'],
      ['audit', 'tail', '-f'],
      ['audit', 'tail', '--help'],
      ['audit', 'tail', '-n5'],
      ['audit', 'tail', '-n', 'five'],
      ['audit', 'tail', '-n', '5', '-n', '6'],
      ['audit', 'query', '--server', 'http://127.0.0.1:1'],
      ['audit', 'query', '-c', 'audit.fsync=always'],
      ['audit', 'query', '--subject'],
      ['audit', 'query', '--subject', '--json'],
      ['audit', 'query', '--lines', '3'],
      ['audit', 'query', 'extra'],
    ])
      expect(parseDirect(args, env, false), args.join(' ')).toBeUndefined()
    expect(parseDirect(['audit', 'tail'], { DRIFTCORE_SERVER: 'http://x' }, false)).toBeUndefined()
    expect(parseDirect(['audit', 'tail'], { DRIFTCORE_DIRECT: '0' }, false)).toBeUndefined()
    expect(parseDirect(['audit', 'tail', '--json'], env, true)).toBeUndefined()
    expect(parseDirect(['audit', 'tail', '--json'], env, false)).toMatchObject({
      command: 'tail',
      json: true,
    })
  })
})
