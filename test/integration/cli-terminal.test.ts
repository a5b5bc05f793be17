import path from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, json, runCli, tempProject, testKernel, type TempProject } from '../helpers/project.js'

/**
 * Human output at a terminal: tables that fit its width (the full values in --json), colour
 * on a terminal, none when piped or with NO_COLOR. The demo project gives real runs.
 */
let project: TempProject
let demo: TempProject
const LONG_REASON = `a person confirms the deploy of ${'the whole library catalogue '.repeat(6)}to production`

beforeAll(async () => {
  project = await tempProject()
  const made = await runCli(project, ['demo', '--dir', 'site', '--json'], { timeoutMs: 120_000 })
  expect(made.exitCode, made.stderr).toBe(0)
  demo = { ...project, dir: path.join(project.dir, 'site'), home: path.join(project.dir, 'site/.driftcore') }
  const kernel = await testKernel(project)
  for (let i = 0; i < 3; i++)
    await kernel.approvals.requestDecision({
      subject: `workflow:deploy/confirm-${i}`,
      inputHash: String(i).repeat(64),
      inputSummary: 'deploy to prod',
      requester: { type: 'agent', id: 'copilot-with-a-rather-long-name' },
      reason: LONG_REASON,
      traceId: `trace-${i}`,
      workflow: { run_id: `run_${i}`, step: 'confirm' },
    })
  await kernel.close()
}, 180_000)
afterAll(() => project.cleanup())

/** The command in a real pseudo-terminal `columns` wide; what it printed, escapes kept. */
async function inTerminal(
  args: string[],
  columns: number,
  env: NodeJS.ProcessEnv = {},
  where: TempProject = project,
): Promise<string> {
  const { NO_COLOR: _, ...rest } = where.env
  const result = await execa(
    'script',
    ['-qefc', `stty cols ${columns} rows 50; node ${CLI} ${args.join(' ')}`, '/dev/null'],
    {
      cwd: where.dir,
      env: { ...rest, TERM: 'xterm', ...env },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    },
  )
  return String(result.stdout).replaceAll('\r', '')
}

const ESC = '\u001b'
const widest = (text: string) =>
  Math.max(
    ...stripVTControlCharacters(text)
      .split('\n')
      .map((l) => [...l].length),
  )

describe('tables fit the terminal', () => {
  for (const args of [
    ['config', 'effective', '--explain'],
    ['approvals', 'list', '--status', 'all'],
    ['workflow', 'list'],
  ]) {
    it(`${args.join(' ')} fits 80 columns (COLUMNS when piped), the full values in --json`, async () => {
      const where = args[0] === 'workflow' ? demo : project
      const piped = await runCli(where, args, { env: { COLUMNS: '80' } })
      expect(piped.exitCode, piped.stderr).toBe(0)
      expect(widest(piped.stdout)).toBeLessThanOrEqual(80)
      const full = await runCli(where, [...args, '--json'])
      expect(full.exitCode).toBe(0)
      if (args[0] === 'approvals') {
        expect(JSON.stringify(json(full))).toContain(LONG_REASON)
        // Ids are whole: a person copies them into approvals approve.
        for (const request of json<{ id: string; status: string }[]>(full))
          expect(piped.stdout).toContain(request.id)
      }
    })
  }

  it('a terminal 100 columns wide is used without COLUMNS', async () => {
    const screen = await inTerminal(['approvals', 'list'], 100)
    expect(widest(screen)).toBeLessThanOrEqual(100)
    expect(stripVTControlCharacters(screen)).toContain('PENDING'.toLowerCase())
  })
})

describe('colour', () => {
  it('statuses, decisions and drift marks are coloured on a terminal', async () => {
    const list = await inTerminal(['approvals', 'list'], 120)
    expect(list).toContain(`${ESC}[33mpending${ESC}[39m`)
    const drift = await inTerminal(
      ['drift', 'check', '--baseline', 'config/baseline', '--current', 'config/live'],
      120,
      {},
      demo,
    )
    expect(drift).toContain(`${ESC}[33m~${ESC}[39m `)
    const simulate = await inTerminal(['policy', 'simulate', '--tool', 'audit.verify'], 120)
    expect(simulate).toContain(`${ESC}[32mALLOW`)
  })

  it('none with NO_COLOR, or when piped', async () => {
    const noColor = await inTerminal(['approvals', 'list'], 120, { NO_COLOR: '1' })
    expect(noColor).toContain('pending')
    expect(noColor).not.toContain('\u001b[3')
    const { NO_COLOR: _, ...env } = project.env
    const piped = await execa('node', [CLI, 'approvals', 'list'], { cwd: project.dir, env, extendEnv: false })
    expect(String(piped.stdout)).toContain('pending')
    expect(String(piped.stdout)).not.toContain('\u001b[')
  })
})
