// The GitHub Action (action.yml) run the way a runner runs its last step: `node
// dist/github-action/main.js` with the inputs in env, in the project folder, and GITHUB_OUTPUT /
// GITHUB_STEP_SUMMARY pointing at files. There is no GitHub runner here, so the files and the
// annotation lines on stdout are read back by GitHub's documented file-command contract.
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { parse } from 'yaml'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { REPO, tempProject, type TempProject } from '../helpers/project.js'

const MAIN = path.join(REPO, 'dist/github-action/main.js')
const SITE = path.join(REPO, 'sandbox/example-site/config')

let project: TempProject
beforeEach(async () => {
  // The example site lives in the repository, outside the temporary project: the project
  // names it as a folder tools may read, as one keeping its exports elsewhere would.
  project = await tempProject({ config: `files:\n  read_roots: [${JSON.stringify(SITE)}]\n` })
})
afterEach(() => project.cleanup())

interface ActionRun {
  exitCode: number
  outputs: Record<string, string>
  summary: string
  annotations: { level: string; properties: Record<string, string>; message: string }[]
}

async function runAction(inputs: {
  args: string
  allowExitCodes?: string
  actor?: string
}): Promise<ActionRun> {
  const outputFile = path.join(project.dir, 'github-output')
  const summaryFile = path.join(project.dir, 'github-summary')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  const result = await execa(process.execPath, [MAIN], {
    cwd: project.dir,
    env: {
      ...project.env,
      DRIFTCORE_ACTION_ARGS: inputs.args,
      DRIFTCORE_ACTION_ALLOW_EXIT_CODES: inputs.allowExitCodes ?? '',
      DRIFTCORE_ACTOR: inputs.actor ?? 'ci:octocat',
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_WORKSPACE: project.dir,
    },
    extendEnv: false,
    reject: false,
  })
  return {
    exitCode: result.exitCode ?? -1,
    outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
    summary: await readFile(summaryFile, 'utf8'),
    annotations: String(result.stdout)
      .split('\n')
      .flatMap((line) => {
        const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line)
        if (!m) return []
        const properties = Object.fromEntries(
          (m[2] ?? '')
            .split(',')
            .filter(Boolean)
            .map((p) => p.split('=').map(unescapeCommand) as [string, string]),
        )
        return [{ level: m[1]!, properties, message: unescapeCommand(m[3]!) }]
      }),
  }
}

/** `name<<DELIMITER\nvalue\nDELIMITER` entries, as the runner reads GITHUB_OUTPUT. */
function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^=<]+)<<(.+)$/.exec(lines[i]!)
    if (!m) continue
    const end = lines.indexOf(m[2]!, i + 1)
    expect(end, `delimiter of ${m[1]} closes`).toBeGreaterThan(i)
    outputs[m[1]!] = lines.slice(i + 1, end).join('\n')
    i = end
  }
  return outputs
}

function unescapeCommand(text: string): string {
  return text
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%')
}

describe('the GitHub Action (stand-in runner: GitHub’s file-command contract)', () => {
  it('drift check reports each drifted object in outputs, the job summary and file annotations; allow-exit-codes keeps the step green', async () => {
    const baseline = path.join(SITE, 'baseline')
    const run = await runAction({
      args: `drift check --baseline ${baseline} --current ${path.join(SITE, 'current')}`,
      allowExitCodes: '20',
    })
    expect(run.exitCode).toBe(0)
    expect(run.outputs['exit-code']).toBe('20')
    const report = JSON.parse(run.outputs.json!) as { drift: boolean; objects: { name: string }[] }
    expect(report.drift).toBe(true)
    expect(report.objects.map((o) => o.name)).toContain('core.extension')
    expect(run.summary).toContain('<h2>driftcore drift check --baseline')
    expect(run.summary).toMatch(
      /<tr><td>core\.extension<\/td><td>changed<\/td><td>module\.devel \(added\)<\/td><\/tr>/,
    )
    expect(run.annotations).toContainEqual({
      level: 'warning',
      properties: { title: 'config drift: core.extension' },
      message: 'core.extension is changed: module.devel (added)',
    })
  })

  it('drift in a config folder inside the workspace annotates the file; without allow-exit-codes the step fails', async () => {
    await execa('cp', ['-r', path.join(SITE, 'baseline'), path.join(project.dir, 'config-sync')])
    const run = await runAction({
      args: `drift check --baseline config-sync --current ${path.join(SITE, 'current')}`,
    })
    expect(run.exitCode).toBe(20)
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        properties: { title: 'config drift: core.extension', file: 'config-sync/core.extension.yml' },
      }),
    )
    expect(run.annotations.filter((a) => a.level === 'error')).toHaveLength(1)
  })

  it('a write tool under the default policy stops at approval: the approval id is an output and the summary says who approves how', async () => {
    const input = JSON.stringify({
      baseline: path.join(SITE, 'baseline'),
      current: path.join(SITE, 'current'),
      objects: ['core.extension'],
    })
    // An argument with spaces would need the JSON array form; this one uses it anyway.
    const run = await runAction({ args: JSON.stringify(['tools', 'call', 'drift.accept', '--input', input]) })
    expect(run.exitCode).toBe(5)
    expect(run.outputs).toMatchObject({ 'exit-code': '5', 'error-code': 'approval_required' })
    const id = run.outputs['approval-id']!
    expect(id).toMatch(/^apr_[0-9a-f]+$/)
    expect(run.summary).toContain(`<code>driftcore approvals approve ${id}</code>`)
    expect(run.annotations).toEqual([
      expect.objectContaining({
        level: 'error',
        message: expect.stringContaining('approval_required') as unknown,
      }),
    ])
    // The request is the CI actor's, recorded like any other caller's.
    const approval = JSON.parse(await readFile(path.join(project.home, 'state/approvals.json'), 'utf8')) as {
      requests: Record<string, { requester: unknown; status: string }>
    }
    expect(approval.requests[id]).toMatchObject({
      requester: { type: 'ci', id: 'octocat' },
      status: 'pending',
    })
  })

  it('a workflow that is not valid gets an error annotation on each problem’s file, line and column', async () => {
    await writeFile(
      path.join(project.dir, 'bad.yaml'),
      'apiVersion: driftcore/v1\nkind: Workflow\nname: bad\nsteps:\n  - { id: a, type: condition, if: "1 == 1" }\n',
    )
    const run = await runAction({ args: 'workflow run bad.yaml' })
    expect(run.exitCode).toBe(2)
    expect(run.outputs['error-code']).toBe('invalid_input')
    expect(run.annotations).toContainEqual({
      level: 'error',
      properties: { title: 'driftcore workflow run bad.yaml', file: 'bad.yaml', line: '5', col: '31' },
      message: 'steps.0.if: unknown key "if"',
    })
    expect(run.annotations.every((a) => a.properties.file === 'bad.yaml')).toBe(true)
  })

  it('workflow run reports the run id and each step’s state, with the failed step as an annotation', async () => {
    await writeFile(
      path.join(project.dir, 'lost.yaml'),
      `apiVersion: driftcore/v1
kind: Workflow
name: lost
steps:
  - { id: check, type: condition, expression: "1 == 1" }
  - { id: deliver, type: worker, topic: nowhere, depends_on: [check] }
  - { id: after, type: worker, topic: nowhere, depends_on: [deliver] }
`,
    )
    const run = await runAction({ args: 'workflow run lost.yaml' })
    expect(run.exitCode).toBe(1)
    const runId = run.outputs['run-id']!
    expect(runId).toMatch(/^run_/)
    expect(JSON.parse(run.outputs.json!)).toMatchObject({ run_id: runId, status: 'failed' })
    expect(run.summary).toContain(`run <code>${runId}</code> failed`)
    expect(run.summary).toMatch(/<tr><td>check<\/td><td>succeeded<\/td>/)
    expect(run.summary).toMatch(
      /<tr><td>deliver<\/td><td>failed<\/td><td>\d*<\/td><td>unavailable: job .* was not delivered/,
    )
    expect(run.summary).toMatch(/<tr><td>after<\/td><td>blocked<\/td>/)
    expect(run.annotations).toEqual([
      expect.objectContaining({
        level: 'error',
        properties: { title: 'driftcore workflow run lost.yaml: step deliver' },
        message: expect.stringContaining('no pool takes topic') as unknown,
      }),
    ])
  })

  it('refuses bad inputs with an error annotation and exit 2, running nothing', async () => {
    for (const [inputs, problem] of [
      [{ args: '' }, 'args is empty'],
      [{ args: '["drift", 3]' }, 'array of strings'],
      [{ args: 'tools list', allowExitCodes: 'one' }, 'allow-exit-codes: "one"'],
    ] as const) {
      const run = await runAction(inputs)
      expect(run.exitCode, problem).toBe(2)
      expect(run.annotations, problem).toEqual([
        expect.objectContaining({ level: 'error', message: expect.stringContaining(problem) as unknown }),
      ])
      expect(run.outputs, problem).toEqual({})
    }
  })

  it('action.yml passes every input it declares to the entry point and maps every output from the step that sets them', async () => {
    const action = parse(await readFile(path.join(REPO, 'action.yml'), 'utf8')) as {
      inputs: Record<string, unknown>
      outputs: Record<string, { value: string }>
      runs: { using: string; steps: { id?: string; env?: Record<string, string>; run?: string }[] }
    }
    expect(action.runs.using).toBe('composite')
    const step = action.runs.steps.find((s) => s.id === 'run')!
    expect(step.run).toContain('dist/github-action/main.js')
    const used = new Set(
      JSON.stringify(action.runs.steps)
        .match(/inputs\.[a-z-]+/g)!
        .map((m) => m.slice(7)),
    )
    expect([...used].sort()).toEqual(Object.keys(action.inputs).sort())
    for (const [name, output] of Object.entries(action.outputs))
      expect(output.value).toBe(`\${{ steps.run.outputs.${name} }}`)
  })
})
