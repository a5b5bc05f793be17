import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EXAMPLE_SITE } from '../../plugins/drush/test/helpers/site.js'
import { json, runCli, tempProject, type CliResult, type TempProject } from '../helpers/project.js'

// A run's result is what a person (or a CI job) believes about the run. What a tool reports
// (config object names, a compiler's message) is the site's or an agent's text: it must not be
// able to forge a line of that result, hang it, or turn a job not done into a success.
const ALLOW_ALL =
  'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: all\nrules:\n  - id: all\n    decision: ALLOW\n'

let project: TempProject
beforeEach(async () => {
  project = await tempProject({ policy: { 'all.yaml': ALLOW_ALL } })
})
afterEach(() => project.cleanup())

const lastJson = (result: CliResult) => {
  const lines = result.stdout.trim().split('\n')
  return json({ ...result, stdout: lines[lines.length - 1]! })
}

describe('results a hostile tool output cannot forge', () => {
  it('a run input that moves the cursor up and rewrites a line cannot forge "result: succeeded"', async () => {
    await writeFile(
      path.join(project.dir, 'greet.yaml'),
      [
        'apiVersion: driftcore/v1',
        'kind: Workflow',
        'name: greet',
        'input: { type: object, properties: { name: { type: string } } }',
        'steps:',
        '  - id: check',
        '    type: condition',
        '    expression: "true"',
        '    expect: inputs.name == "lead"',
        '',
      ].join('\n'),
    )
    // Cursor up, erase the line, back to its start: on a terminal this would overwrite
    // "result: failed" with "result: succeeded", and U+202E would reorder what follows.
    const forged = 'x\u001b[1A\u001b[2K\rresult: succeeded\u202e\u0085'
    const run = await runCli(project, [
      'workflow',
      'run',
      'greet.yaml',
      '--input',
      JSON.stringify({ name: forged }),
    ])
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout).toMatch(/^result: failed$/m)
    for (const invisible of ['\u001b', '\r', '\u202e', '\u0085']) expect(run.stdout).not.toContain(invisible)
    expect(run.stdout).toContain('inputs.name = "x\\u001b[1A\\u001b[2K\\rresult: succeeded\\u{202e}\\u{85}"')
  })

  it('an expectation that explodes in cost stops at the CEL budget: the step fails and nothing after it runs', async () => {
    await writeFile(
      path.join(project.dir, 'costly.yaml'),
      [
        'apiVersion: driftcore/v1',
        'kind: Workflow',
        'name: costly',
        'input: { type: object, properties: { xs: { type: array } } }',
        'steps:',
        '  - id: check',
        '    type: condition',
        '    expression: "true"',
        '    expect: inputs.xs.all(a, inputs.xs.all(b, a + b >= 0))',
        '  - id: after',
        '    type: condition',
        '    depends_on: [check]',
        '    expression: "true"',
        '',
      ].join('\n'),
    )
    const xs = JSON.stringify({ xs: Array.from({ length: 2000 }, (_, i) => i) })
    const run = await runCli(project, ['workflow', 'run', 'costly.yaml', '--input', xs, '--json'])
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout).toContain('CEL cost budget exceeded')
    const outcome = lastJson(run)
    expect(outcome.steps.check.status).toBe('failed')
    expect(outcome.steps.after.status).toBe('blocked')
  })

  it('an expectation cannot read a step it does not depend on, nor parse badly: workflow validate names the file and line', async () => {
    const file = path.join(project.dir, 'peek.yaml')
    const steps = (expect: string) =>
      [
        'apiVersion: driftcore/v1',
        'kind: Workflow',
        'name: peek',
        'steps:',
        '  - id: one',
        '    type: condition',
        '    expression: "true"',
        '  - id: two',
        '    type: condition',
        '    expression: "true"',
        `    expect: ${expect}`,
        '',
      ].join('\n')
    await writeFile(file, steps('steps.one.output'))
    const peek = await runCli(project, ['workflow', 'validate', 'peek.yaml'])
    expect(peek.exitCode).toBe(2)
    expect(peek.stderr).toMatch(/peek\.yaml:11:\d+: step "two" reads steps\.one but does not depend on it/)

    await writeFile(file, steps('"output =="'))
    const bad = await runCli(project, ['workflow', 'validate', 'peek.yaml'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toMatch(/peek\.yaml:11:\d+: invalid CEL expression "output =="/)
  })

  it('a step that does not say what to do with a verdict fails when the job was not done, and is not dead-lettered', async () => {
    await writeFile(
      path.join(project.dir, 'check.yaml'),
      [
        'apiVersion: driftcore/v1',
        'kind: Workflow',
        'name: check',
        'steps:',
        '  - id: check',
        '    type: worker',
        '    tool: drift.check',
        '    with: { baseline: baseline, current: current }',
        '',
      ].join('\n'),
    )
    for (const side of ['baseline', 'current'])
      await mkdir(path.join(project.dir, side)).then(() =>
        copyFile(
          path.join(EXAMPLE_SITE, side, 'core.extension.yml'),
          path.join(project.dir, side, 'core.extension.yml'),
        ),
      )
    const run = lastJson(await runCli(project, ['workflow', 'run', 'check.yaml', '--json']))
    expect(run).toMatchObject({ status: 'failed', result: { ok: false, outcome: 'failed' } })
    expect(run.steps.check.error).toMatchObject({
      code: 'unmet',
      message: expect.stringContaining('core.extension'),
    })
    // Retrying it from the DLQ would only say the same; for an import it would import again.
    expect(json(await runCli(project, ['dlq', 'list', '--json']))).toEqual([])
  })
})
