import { cp } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { EXAMPLE_SITE, FIXTURE_READ_ROOTS } from '../../../plugins/drush/test/helpers/site.js'
import { ALLOW_ALL, makeDrupalSite } from '../../../plugins/scaffold/test/helpers.js'
import { json, runCli, tempProject, type CliResult, type TempProject } from '../../helpers/project.js'

// What a user sees at the end of the flagship workflows, through the real CLI: a run whose job
// was not done does not say "succeeded", and every run ends with its result in words.
let project: TempProject | undefined
afterEach(async () => {
  await project?.cleanup()
  project = undefined
})

/** The last JSON line of a `workflow run --json`: the run's outcome (the lines before are events). */
function outcome(result: CliResult) {
  const lines = result.stdout.trim().split('\n')
  return json({ ...result, stdout: lines[lines.length - 1]! })
}

describe('results that tell the truth', () => {
  it('safe-experiment with broken PHP fails, names the QA failure, and still resets the sandbox', async () => {
    project = await tempProject({
      config: 'launcher:\n  allowlist: [git, php]\n',
      policy: { 'allow.yaml': ALLOW_ALL },
    })
    await makeDrupalSite(path.join(project.dir, 'site'))
    expect((await runCli(project, ['sandbox', 'init', '--from', 'site'])).exitCode).toBe(0)
    const input = JSON.stringify({
      module: 'experiment',
      files: [{ path: 'experiment/src/Broken.php', content: '<?php\nfunction experiment_broken( {\n' }],
    })

    const human = await runCli(project, ['workflow', 'run', 'safe-experiment', '--input', input])
    expect(human.exitCode, human.stderr).not.toBe(0)
    expect(human.stdout).not.toMatch(/ succeeded: \d+ succeeded$/m)
    expect(human.stdout).toMatch(/^result: failed/m)
    expect(human.stdout).toContain('QA failed')
    expect(human.stdout).toContain('php-lint')

    const run = outcome(
      await runCli(project, ['workflow', 'run', 'safe-experiment', '--input', input, '--json']),
    )
    expect(run.status).toBe('failed')
    expect(run.steps.reset.status).toBe('succeeded')
    expect(run.result).toMatchObject({ ok: false, outcome: 'failed' })
    expect(run.result.summary).toContain('QA failed')
    const status = json(await runCli(project, ['workflow', 'status', run.run_id, '--json']))
    expect(status.result).toEqual(run.result)
  })

  it('config-drift with objects still drifting after the run fails and names them', async () => {
    project = await tempProject({
      config: `${FIXTURE_READ_ROOTS}drift:\n  accept_site: [node.type.event]\n`,
      policy: { 'allow.yaml': ALLOW_ALL },
    })
    await cp(path.join(EXAMPLE_SITE, 'baseline'), path.join(project.dir, 'baseline'), { recursive: true })
    const input = JSON.stringify({ baseline: 'baseline', current: path.join(EXAMPLE_SITE, 'current') })

    const human = await runCli(project, ['workflow', 'run', 'config-drift', '--input', input])
    expect(human.exitCode, human.stderr).not.toBe(0)
    expect(human.stdout).toMatch(/^result: failed/m)
    expect(human.stdout).toMatch(/recheck: \d+ config objects? drift: /)
    expect(human.stdout).toContain('core.extension')

    const run = outcome(
      await runCli(project, ['workflow', 'run', 'config-drift', '--input', input, '--json']),
    )
    expect(run.status).toBe('failed')
    expect(run.steps.recheck.status).toBe('failed')
    expect(run.result.findings).toContainEqual(
      expect.objectContaining({
        step: 'recheck',
        level: 'failed',
        text: expect.stringContaining('core.extension'),
      }),
    )
  })

  it('metadata-inspection ends with what it found: the snapshot, then what changed since', async () => {
    project = await tempProject({ config: FIXTURE_READ_ROOTS })
    const run = (source: string, ...flags: string[]) =>
      runCli(project!, [
        'workflow',
        'run',
        'metadata-inspection',
        '--input',
        JSON.stringify({ from: 'config', source: path.join(EXAMPLE_SITE, source) }),
        ...flags,
      ])
    const first = await run('baseline')
    expect(first.exitCode, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/^result: succeeded/m)
    expect(first.stdout).toMatch(/harvest: snapshot \S+: \d+ entity types, \d+ bundles, \d+ fields/)

    const second = outcome(await run('current', '--json'))
    expect(second.status).toBe('succeeded')
    expect(second.result.summary).toContain('added bundle node.event')
    expect(second.result.summary).toContain('changed field node.article.field_subtitle')
  })
})
