import { describe, expect, it } from 'vitest'
import { Redactor } from '../../../../src/audit/redact.js'
import { templatesOf } from '../../../../src/workflow/format/compile.js'
import { loadWorkflowText } from '../../../../src/workflow/format/load.js'

const options = {
  envAllowlist: ['CI_BRANCH'],
  sinks: ['ops'],
  hasTool: (id: string) => {
    if (!['wf.echo', 'hello.greet'].includes(id))
      throw Object.assign(new Error(`unknown tool "${id}"`), { code: 'not_found' })
  },
  redactor: new Redactor(),
}
const head = 'apiVersion: driftcore/v1\nkind: Workflow\nname: w\nsteps:\n'

function problem(steps: string, top = head): string {
  try {
    loadWorkflowText(top + steps, 'w.yaml', options)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('the workflow was accepted')
}

describe('loading a workflow file', () => {
  it('accepts a valid workflow and orders its steps after their dependencies', () => {
    const loaded = loadWorkflowText(
      head +
        '  - { id: b, type: worker, tool: wf.echo, depends_on: [a], with: { v: "${{ steps.a.output }}" } }\n' +
        '  - { id: a, type: condition, expression: "env.CI_BRANCH == \'main\'" }\n',
      'w.yaml',
      options,
    )
    expect(loaded.compiled.order).toEqual(['a', 'b'])
    expect(loaded.sha256).toMatch(/^[0-9a-f]{64}$/)
  })

  it("leaves a with key that is null out of the tool's input, and hands each attempt its own copy", () => {
    const loaded = loadWorkflowText(
      head +
        '  - { id: a, type: worker, tool: wf.echo, with: { keep: 1, dir: null, list: [null] } }\n' +
        "  - { id: b, type: worker, tool: wf.echo, with: { dir: '${{ has(inputs.dir) ? inputs.dir : null }}', n: 2 } }\n",
      'w.yaml',
      options,
    )
    const context = { inputs: {}, steps: {}, run: {}, env: {} }
    const a = templatesOf(loaded.compiled.steps.get('a')!).with!
    const first = a.evaluate(context) as Record<string, unknown>
    expect(first).toEqual({ keep: 1, list: [null] })
    first.keep = 'changed by a tool'
    expect(a.evaluate(context)).toEqual({ keep: 1, list: [null] })
    expect(loaded.definition.steps[0]).toMatchObject({ with: { keep: 1, dir: null } })
    expect(templatesOf(loaded.compiled.steps.get('b')!).with!.evaluate(context)).toEqual({ n: 2 })
    // Only b's template holds an expression, so only b keeps its templates for the run; a's
    // are made again from the definition, each time the same.
    expect(loaded.compiled.steps.get('a')!.keptTemplates).toBeUndefined()
    expect(loaded.compiled.steps.get('b')!.keptTemplates?.with?.constant).toBe(false)
    expect(templatesOf(loaded.compiled.steps.get('a')!).with!.evaluate(context)).toEqual({
      keep: 1,
      list: [null],
    })
  })

  it('places malformed YAML at file:line:col', () => {
    expect(problem('  - id: a\n    type: [worker\n')).toMatch(/^w\.yaml is not valid:\n {2}w\.yaml:\d+:\d+: /)
  })

  it('names an unknown step type and unknown keys where they are', () => {
    const message = problem(
      '  - id: a\n    type: wroker\n  - id: b\n    type: delay\n    duration: 1s\n    colour: red\n',
    )
    expect(message).toContain('w.yaml:6:11: steps.0.type: ')
    expect(message).toContain("'worker' | 'approval' | 'delay' | 'condition' | 'notify'")
    expect(message).toContain('w.yaml:10:5: steps.1.colour: unknown key "colour"')
  })

  it('names a cycle', () => {
    expect(
      problem(
        '  - { id: a, type: delay, duration: 1s, depends_on: [c] }\n' +
          '  - { id: b, type: delay, duration: 1s, depends_on: [a] }\n' +
          '  - { id: c, type: delay, duration: 1s, depends_on: [b] }\n',
      ),
    ).toMatch(/^w\.yaml:5:\d+: steps form a cycle: a → c → b → a/)
  })

  it('refuses dangling dependencies and duplicate ids at their position', () => {
    expect(problem('  - { id: a, type: delay, duration: 1s, depends_on: [nope] }\n')).toMatch(
      /^w\.yaml:5:\d+: step "a" depends on unknown step "nope"/,
    )
    expect(
      problem('  - { id: a, type: delay, duration: 1s }\n  - { id: a, type: delay, duration: 2s }\n'),
    ).toMatch(/^w\.yaml:6:\d+: duplicate step id "a"/)
  })

  it('refuses bad CEL, reading a step that is not upstream, and env outside the allowlist', () => {
    expect(problem('  - { id: a, type: condition, expression: "1 +" }\n')).toMatch(
      /^w\.yaml:5:\d+: invalid CEL expression "1 \+"/,
    )
    expect(
      problem(
        '  - { id: a, type: delay, duration: 1s }\n  - { id: b, type: worker, tool: wf.echo, with: { v: "${{ steps.a.output }}" } }\n',
      ),
    ).toContain('step "b" reads steps.a but does not depend on it')
    expect(problem('  - { id: a, type: condition, expression: "env.HOME == \'x\'" }\n')).toContain(
      'env.HOME is not on workflow.env_allowlist',
    )
    expect(problem('  - { id: a, type: condition, expression: "env[inputs.k] == \'x\'" }\n')).toContain(
      'name the variable, as env.NAME',
    )
  })

  it('refuses unknown tools and sinks, and a worker with both or neither of tool and topic', () => {
    expect(problem('  - { id: a, type: worker, tool: wf.nope }\n')).toMatch(
      /^w\.yaml:5:\d+: unknown tool "wf.nope"/,
    )
    expect(problem('  - { id: a, type: notify, message: hi, sinks: [stdout, pager] }\n')).toContain(
      'unknown notify sink "pager"',
    )
    expect(problem('  - { id: a, type: worker, tool: wf.echo, topic: t }\n')).toContain(
      'either tool or topic',
    )
  })

  it('refuses a literal secret in the file and an input schema that is not a JSON Schema', () => {
    expect(
      problem('  - { id: a, type: worker, tool: wf.echo, with: { password: hunter2hunter2 } }\n'),
    ).toMatch(/^w\.yaml:5:\d+: this value looks like a secret/)
    expect(() =>
      loadWorkflowText(
        head +
          '  - { id: a, type: worker, tool: wf.echo, with: { token: "secret://env/T", user: "${{ inputs.u }}" } }\n',
        'w.yaml',
        options,
      ),
    ).not.toThrow()
    expect(
      problem(
        '  - { id: a, type: delay, duration: 1s }\n',
        head.replace('steps:', 'input: { type: nonsense }\nsteps:'),
      ),
    ).toContain('w.yaml:4:8: not a valid JSON Schema')
  })
})
