import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { parse } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../../helpers/project.js'
import { linkHello } from '../../helpers/workflow-cli.js'

let project: TempProject
const alice = { DRIFTCORE_ACTOR: 'human:alice' }

const GREET = `apiVersion: driftcore/v1
kind: Workflow
name: greet
input:
  type: object
  properties: { name: { type: string } }
  required: [name]
steps:
  - id: hi
    type: worker
    tool: hello.greet
    with: { name: "\${{ inputs.name }}" }
  - id: shout
    type: worker
    tool: hello.shout
    depends_on: [hi]
    with: { words: ["\${{ steps.hi.output.greeting }}"] }
  - id: lost
    type: worker
    topic: nobody.listens
`

beforeAll(async () => {
  project = await tempProject({ config: 'launcher:\n  allowlist: [echo]\n' })
  await linkHello(project)
  await writeFile(path.join(project.dir, 'greet.yaml'), GREET)
})
afterAll(() => project.cleanup())

describe('driftcore workflow on the command line', () => {
  it('validate names the file, line and column of a problem and exits 2', async () => {
    await writeFile(
      path.join(project.dir, 'bad.yaml'),
      GREET.replace('depends_on: [hi]', 'depends_on: [hello]'),
    )
    const result = await runCli(project, ['workflow', 'validate', 'bad.yaml'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/bad\.yaml:16:\d+: step "shout" depends on unknown step "hello"/)
    const ok = json(await runCli(project, ['workflow', 'validate', 'greet.yaml', '--json']))
    expect(ok).toMatchObject({
      valid: true,
      name: 'greet',
      steps: [{ id: 'hi' }, { id: 'lost' }, { id: 'shout', depends_on: ['hi'] }],
    })
  })

  it('run --json streams one JSON line per transition, suspends for approval (exit 5), and resume finishes it', async () => {
    const run = await runCli(project, [
      'workflow',
      'run',
      'greet.yaml',
      '--input',
      '{"name":"Ada"}',
      '--json',
    ])
    expect(run.exitCode).toBe(5)
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>)
    expect(lines[0]).toMatchObject({ seq: 1, type: 'run.created', input: { name: 'Ada' } })
    const result = lines.at(-1)!
    expect(result).toMatchObject({
      status: 'suspended',
      steps: { hi: { status: 'succeeded' }, shout: { status: 'waiting' }, lost: { status: 'failed' } },
    })
    const approval = result.steps.shout.approval_id as string
    const approve = await runCli(project, ['approvals', 'approve', approval], { env: alice })
    expect(approve.stdout).toContain(`driftcore workflow resume ${result.run_id}`)
    const resumed = await runCli(project, ['workflow', 'resume', result.run_id])
    expect(resumed.exitCode).toBe(1)
    expect(resumed.stdout).toContain('step.succeeded shout')
    expect(resumed.stdout).toContain(`${result.run_id} failed`)
    expect(resumed.stderr).toContain('driftcore dlq retry dlq_')
    const status = json(await runCli(project, ['workflow', 'status', result.run_id, '--json']))
    expect(status.steps.shout.output).toEqual({ stdout: 'hello Ada\n', exit_code: 0 })

    const timeline = await runCli(project, ['workflow', 'timeline', result.run_id])
    expect(timeline.stdout).toMatch(/step\.waiting shout for approval apr_/)
    expect(timeline.stdout).toMatch(/step\.dead_lettered lost dlq_[0-9a-f]+ \(no_pool_mapping\)/)

    const dlq = json(await runCli(project, ['dlq', 'list', '--json']))
    expect(dlq).toHaveLength(1)
    expect(json(await runCli(project, ['dlq', 'show', dlq[0].id, '--json']))).toMatchObject({
      error_code: 'no_pool_mapping',
      step: 'lost',
    })
    expect((await runCli(project, ['dlq', 'delete', dlq[0].id])).exitCode).toBe(0)
    expect(json(await runCli(project, ['dlq', 'list', '--json']))).toEqual([])
    expect(json(await runCli(project, ['workflow', 'list', '--json']))[0]).toMatchObject({
      run_id: result.run_id,
      status: 'failed',
    })
  })

  it('a run of 1,100 approval steps asks for 1,100 distinct approvals and suspends (exit 5), and approving one and resuming finishes that step', async () => {
    // Each step asks at once: they used to queue on one lock, and most timed out after 30 s.
    const steps = Array.from(
      { length: 1100 },
      (_, i) => `  - id: a${i}\n    type: approval\n    message: 'release part ${i}?'\n`,
    )
    await writeFile(
      path.join(project.dir, 'many.yaml'),
      `apiVersion: driftcore/v1\nkind: Workflow\nname: many-approvals\nsteps:\n${steps.join('')}`,
    )
    const run = await runCli(project, ['workflow', 'run', 'many.yaml', '--json'], { timeoutMs: 120_000 })
    expect(run.stderr).not.toContain('timed out')
    expect(run.exitCode).toBe(5)
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      run_id: string
      status: string
      steps: Record<string, { status: string; approval_id?: string }>
    }
    expect(result.status).toBe('suspended')
    const states = Object.values(result.steps)
    expect(states.filter((s) => s.status === 'waiting')).toHaveLength(1100)
    expect(new Set(states.map((s) => s.approval_id)).size).toBe(1100)
    const pending = json<Array<{ id: string; workflow?: { run_id: string; step: string } }>>(
      await runCli(project, ['approvals', 'list', '--status', 'pending', '--json']),
    )
    const ours = pending.filter((r) => r.workflow?.run_id === result.run_id)
    expect(new Set(ours.map((r) => r.workflow!.step)).size).toBe(1100)
    const first = result.steps.a0!.approval_id!
    expect(ours.find((r) => r.workflow!.step === 'a0')?.id).toBe(first)

    expect((await runCli(project, ['approvals', 'approve', first], { env: alice })).exitCode).toBe(0)
    const resumed = await runCli(project, ['workflow', 'resume', result.run_id, '--json'], {
      timeoutMs: 120_000,
    })
    expect(resumed.exitCode).toBe(5)
    const after = JSON.parse(resumed.stdout.trim().split('\n').at(-1)!) as typeof result
    expect(after.steps.a0).toMatchObject({ status: 'succeeded' })
    expect(Object.values(after.steps).filter((s) => s.status === 'waiting')).toHaveLength(1099)
  })

  it('refuses input that does not match the input schema, and a resume of an unknown run', async () => {
    const run = await runCli(project, ['workflow', 'run', 'greet.yaml', '--input', '{"name":7}'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('name: must be string')
    const resume = await runCli(project, ['workflow', 'resume', 'run_20990101_000000_abcdef', '--json'])
    expect(resume.exitCode).toBe(3)
    expect(json(resume).error).toMatchObject({ code: 'not_found' })
  })

  it('run --dry-run prints the plan', async () => {
    const plan = await runCli(project, [
      'workflow',
      'run',
      'greet.yaml',
      '--input',
      '{"name":"x"}',
      '--dry-run',
    ])
    expect(plan.exitCode).toBe(0)
    expect(plan.stdout).toMatch(/hi\s+worker\s+allowed\s+tool:hello\.greet/)
    expect(plan.stdout).toMatch(/shout\s+worker\s+needs approval/)
    expect(plan.stdout).toMatch(/lost\s+worker\s+dlq/)
  })

  it('graph draws the DAG as mermaid and dot', async () => {
    const mermaid = await runCli(project, ['workflow', 'graph', 'greet.yaml'])
    expect(mermaid.stdout).toContain('flowchart TD')
    expect(mermaid.stdout).toContain('hi --> shout')
    const dot = await runCli(project, ['workflow', 'graph', 'greet.yaml', '--format', 'dot'])
    expect(dot.stdout).toContain('digraph "greet" {')
    expect(dot.stdout).toContain('hi -> shout;')
  })

  it('schema prints a JSON Schema that accepts a valid workflow and rejects an unknown step type', async () => {
    const schema = json(await runCli(project, ['workflow', 'schema']))
    const validate = new Ajv2020({ strict: false }).compile(schema)
    expect(validate(parse(GREET))).toBe(true)
    expect(validate(parse(GREET.replace('type: worker', 'type: wroker')))).toBe(false)
  })

  it('prune deletes finished runs past an age, after a dry run shows them, and refuses an age it cannot read', async () => {
    await writeFile(
      path.join(project.dir, 'hi.yaml'),
      'apiVersion: driftcore/v1\nkind: Workflow\nname: hi\nsteps:\n  - { id: hi, type: worker, tool: hello.greet, with: { name: x } }\n',
    )
    const ran = await runCli(project, ['workflow', 'run', 'hi.yaml', '--json'])
    expect(ran.exitCode).toBe(0)
    const runId = (JSON.parse(ran.stdout.trim().split('\n').at(-1)!) as { run_id: string }).run_id
    const dry = json(
      await runCli(project, ['workflow', 'prune', '--older-than', '0s', '--dry-run', '--json']),
    )
    expect(dry).toMatchObject({ dry_run: true })
    expect(dry.pruned.map((r: { run_id: string }) => r.run_id)).toContain(runId)
    expect((await runCli(project, ['workflow', 'status', runId, '--json'])).exitCode).toBe(0)

    const pruned = await runCli(project, ['workflow', 'prune', '--older-than', '0s', '--status', 'succeeded'])
    expect(pruned.exitCode).toBe(0)
    expect(pruned.stdout).toMatch(/deleted \d+ run\(s\) last updated before/)
    expect((await runCli(project, ['workflow', 'status', runId, '--json'])).exitCode).toBe(3)

    const bad = await runCli(project, ['workflow', 'prune', '--older-than', 'yesterday'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toContain('--older-than "yesterday" is neither a date nor an age')
  })
})
