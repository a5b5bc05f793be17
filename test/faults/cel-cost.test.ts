import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, tempProject, type TempProject } from '../helpers/project.js'
import { linkHello } from '../helpers/workflow-cli.js'

// Issue 12, case 9: a condition cheap to write and quartic to evaluate (60⁴ iterations).
const quartic = (maxItems?: number) => `apiVersion: driftcore/v1
kind: Workflow
name: quartic
input:
  type: object
  properties: { xs: { type: array${maxItems === undefined ? '' : `, maxItems: ${maxItems}`} } }
steps:
  - id: check
    type: condition
    expression: inputs.xs.all(a, inputs.xs.all(b, inputs.xs.all(c, inputs.xs.all(d, a + b + c + d >= 0))))
`

// Quadratic: under the load-time limit on nesting, so only the run-time budget can stop it.
const QUADRATIC = `apiVersion: driftcore/v1
kind: Workflow
name: quadratic
input:
  type: object
  properties: { xs: { type: array } }
steps:
  - id: check
    type: condition
    expression: inputs.xs.all(a, inputs.xs.all(b, a + b >= 0))
  - id: after
    type: worker
    tool: hello.greet
    depends_on: [check]
    with: { name: x }
`

let project: TempProject
beforeAll(async () => {
  project = await tempProject()
  await linkHello(project)
  await writeFile(path.join(project.dir, 'quadratic.yaml'), QUADRATIC)
})
afterAll(() => project.cleanup())

const SMALL = `apiVersion: driftcore/v1
kind: Workflow
name: small
input:
  type: object
  properties: { xs: { type: array } }
steps:
  - id: check
    type: condition
    expression: inputs.xs.all(a, inputs.xs.all(b, a + b >= 0))
`

describe('a CEL condition whose cost explodes', () => {
  it('is refused by validate when its comprehensions nest deep over unbounded data, at file:line', async () => {
    await writeFile(path.join(project.dir, 'quartic.yaml'), quartic())
    const validate = await runCli(project, ['workflow', 'validate', 'quartic.yaml'])
    expect(validate.exitCode).toBe(2)
    expect(validate.stderr).toMatch(/quartic\.yaml:10:\d+: .*comprehensions over inputs\.xs nest 4 deep/)
    const xs = JSON.stringify({ xs: [1, 2] })
    const run = await runCli(project, ['workflow', 'run', 'quartic.yaml', '--input', xs, '--json'])
    expect(run.exitCode).toBe(2)
    expect(run.stdout).not.toContain('step.started')
  })

  it("is checked against the budget with the inputs' maxItems: small bounds pass, large ones are refused", async () => {
    await writeFile(path.join(project.dir, 'bounded.yaml'), quartic(5))
    const fine = await runCli(project, ['workflow', 'validate', 'bounded.yaml'])
    expect(fine.exitCode, fine.stderr).toBe(0)
    await writeFile(path.join(project.dir, 'bounded.yaml'), quartic(100))
    const refused = await runCli(project, ['workflow', 'validate', 'bounded.yaml'])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toMatch(
      /bounded\.yaml:10:\d+: .* can cost \d+ steps, over limits\.cel_max_steps \(1000000\)/,
    )
  })

  it('stops at the cost budget: the step fails naming it, the run fails, and nothing after it runs', async () => {
    const xs = JSON.stringify({ xs: Array.from({ length: 2000 }, (_, i) => i) })
    const run = await runCli(project, ['workflow', 'run', 'quadratic.yaml', '--input', xs, '--json'])
    expect(run.exitCode, run.stdout + run.stderr).not.toBe(0)
    expect(run.stdout + run.stderr).toContain('CEL cost budget exceeded')
    const events = run.stdout
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { type?: string; step?: string; status?: string })
    expect(events.some((e) => e.type === 'step.started' && e.step === 'after')).toBe(false)
    expect(events).toContainEqual(expect.objectContaining({ type: 'step.blocked', step: 'after' }))
    expect(events).toContainEqual(expect.objectContaining({ type: 'run.finished', status: 'failed' }))
  })

  it("the budget is the project's to set (limits.cel_max_steps), and a -c override cannot raise it", async () => {
    // 20² iterations: well inside the default budget, over a project budget of 1,000 steps.
    await writeFile(path.join(project.dir, 'small.yaml'), SMALL)
    const xs = JSON.stringify({ xs: Array.from({ length: 20 }, (_, i) => i) })
    const fine = await runCli(project, ['workflow', 'run', 'small.yaml', '--input', xs, '--json'])
    expect(fine.exitCode, fine.stdout + fine.stderr).toBe(0)
    expect(fine.stdout).toContain('"status":"succeeded"')

    const lowered = await tempProject({ config: 'limits:\n  cel_max_steps: 1000\n' })
    try {
      await linkHello(lowered)
      await writeFile(path.join(lowered.dir, 'small.yaml'), SMALL)
      const stopped = await runCli(lowered, ['workflow', 'run', 'small.yaml', '--input', xs, '--json'])
      expect(stopped.stdout + stopped.stderr).toContain('CEL cost budget exceeded: more than 1000 steps')
      expect(stopped.stdout).toContain('"status":"failed"')
      const raised = await runCli(lowered, [
        'workflow',
        'run',
        'small.yaml',
        '--input',
        xs,
        '-c',
        'limits.cel_max_steps=100000000',
      ])
      expect(raised.exitCode).toBe(11)
      expect(raised.stderr).toContain('limits.cel_max_steps')
    } finally {
      await lowered.cleanup()
    }
  })
})
