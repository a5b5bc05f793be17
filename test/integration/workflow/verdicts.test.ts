import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { EXAMPLE_SITE } from '../../../plugins/drush/test/helpers/site.js'
import { json, runCli, tempProject, type TempProject } from '../../helpers/project.js'

const ALLOW_ALL =
  'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: all\nrules:\n  - id: all\n    decision: ALLOW\n'

let project: TempProject
beforeEach(async () => {
  project = await tempProject({ policy: { 'all.yaml': ALLOW_ALL } })
  for (const side of ['baseline', 'current']) {
    await mkdir(path.join(project.dir, side))
    await copyFile(
      path.join(EXAMPLE_SITE, side, 'core.extension.yml'),
      path.join(project.dir, side, 'core.extension.yml'),
    )
  }
})
afterEach(() => project.cleanup())

const workflow = (onVerdict: string) =>
  [
    'apiVersion: driftcore/v1',
    'kind: Workflow',
    'name: drift-report',
    'steps:',
    '  - id: check',
    '    type: worker',
    '    tool: drift.check',
    `    on_verdict: ${onVerdict}`,
    '    with: { baseline: baseline, current: current }',
    '  - id: after',
    '    type: condition',
    '    depends_on: [check]',
    '    expression: steps.check.output.drift',
    '',
  ].join('\n')

it('on_verdict: warn finishes the run succeeded with a marked warning (exit 0), in words and in --json', async () => {
  await writeFile(path.join(project.dir, 'report.yaml'), workflow('warn'))
  const human = await runCli(project, ['workflow', 'run', 'report.yaml'])
  expect(human.exitCode, human.stderr).toBe(0)
  expect(human.stdout).toMatch(/ succeeded with warnings: /)
  expect(human.stdout).toMatch(/^result: succeeded with warnings$/m)
  expect(human.stdout).toMatch(
    /^ {2}\[warning\] check: 1 config object drifts: core\.extension \(changed\)$/m,
  )

  const lines = (await runCli(project, ['workflow', 'run', 'report.yaml', '--json'])).stdout
    .trim()
    .split('\n')
  const run = JSON.parse(lines[lines.length - 1]!)
  expect(run.status).toBe('succeeded')
  expect(run.steps.after.status).toBe('succeeded')
  expect(run.result).toEqual({
    ok: false,
    outcome: 'succeeded_with_warnings',
    summary: 'check: 1 config object drifts: core.extension (changed)',
    findings: [{ step: 'check', level: 'warning', text: '1 config object drifts: core.extension (changed)' }],
  })
  const status = await runCli(project, ['workflow', 'status', run.run_id])
  expect(status.stdout).toMatch(/^result: succeeded with warnings$/m)
  expect(json(await runCli(project, ['workflow', 'status', run.run_id, '--json'])).result).toEqual(run.result)
})

it('on_verdict: ignore reports the verdict and changes nothing about the run', async () => {
  await writeFile(path.join(project.dir, 'report.yaml'), workflow('ignore'))
  const human = await runCli(project, ['workflow', 'run', 'report.yaml'])
  expect(human.exitCode, human.stderr).toBe(0)
  expect(human.stdout).toMatch(/^result: succeeded$/m)
  expect(human.stdout).toMatch(/^ {2}check: 1 config object drifts: core\.extension \(changed\)$/m)
})
