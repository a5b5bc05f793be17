import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI } from '../../../test/helpers/project.js'
import { tektonProject, type TektonProject } from './cluster-helpers.js'
import { KubeStandIn } from './standin/server.js'

const WORKFLOW = `apiVersion: driftcore/v1
kind: Workflow
name: nightly-check
steps:
  - { id: verify_log, type: worker, tool: audit.verify }
  - { id: report, type: worker, tool: audit.verify, depends_on: [verify_log] }
`
const HANGING = `apiVersion: driftcore/v1
kind: Workflow
name: long-check
steps:
  - { id: hang, type: worker, tool: audit.verify }
  - { id: after, type: worker, tool: audit.verify, depends_on: [hang] }
`

const lines = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)

describe('workflow run --on tekton, end to end against the Kubernetes stand-in', () => {
  let standIn: KubeStandIn
  let project: TektonProject

  beforeAll(async () => {
    standIn = await new KubeStandIn({
      tickMs: 10,
      // What the runner image reports from each task: its status and the step's output.
      kubelet: (a) =>
        a.pipelineTask === 'hang'
          ? { outcome: 'hang' }
          : {
              outcome: 'succeed',
              results: { status: 'succeeded', output: JSON.stringify({ ok: true, task: a.pipelineTask }) },
            },
    }).start()
    project = await tektonProject(standIn, {
      config: '  image: ghcr.io/driftcore/runner:0.1.0\n  server: https://driftcore.example:7800\n',
    })
    await writeFile(path.join(project.dir, 'nightly.yaml'), WORKFLOW)
    await writeFile(path.join(project.dir, 'long.yaml'), HANGING)
  })
  afterAll(async () => {
    await standIn.stop()
    await project.cleanup()
  })

  it('compiles, submits and follows the run: the same steps, timeline and status as a local run, and the audit records of each call', async () => {
    const run = await project.cli(['workflow', 'run', 'nightly.yaml', '--on', 'tekton', '--json'])
    expect(run.exitCode, run.stderr + run.stdout).toBe(0)
    const events = lines(run.stdout)
    const result = events.pop()!
    expect(result).toMatchObject({
      status: 'succeeded',
      steps: { verify_log: { status: 'succeeded' }, report: { status: 'succeeded' } },
    })
    const runId = result.run_id as string
    const types = events.map((e) => `${e.type as string}${typeof e.step === 'string' ? ` ${e.step}` : ''}`)
    expect(types).toEqual([
      'run.created',
      'run.attached',
      'run.submitted',
      'step.started verify_log',
      'step.succeeded verify_log',
      'step.started report',
      'step.succeeded report',
      'run.finished',
    ])
    const submitted = events.find((e) => e.type === 'run.submitted') as {
      ref: { namespace: string; name: string }
    }
    expect(submitted.ref).toMatchObject({ namespace: 'default', name: runId.replace(/_/g, '-') })
    // The PipelineRun really ran there, and each step's output came back from its task's results.
    const pr = standIn.store.get('pipelineruns', 'default', submitted.ref.name)!
    expect((pr.status!.conditions as { reason: string }[])[0]!.reason).toBe('Succeeded')
    expect(
      (events.find((e) => e.type === 'step.succeeded' && e.step === 'report') as { output: unknown }).output,
    ).toEqual({ ok: true, task: 'report' })

    const status = await project.cli(['workflow', 'status', runId])
    expect(status.stdout).toContain(
      `${runId}  nightly-check  succeeded  on tekton default/${submitted.ref.name}`,
    )
    expect(status.stdout).toMatch(/verify_log\s+succeeded\s+1/)
    const timeline = await project.cli(['workflow', 'timeline', runId])
    expect(timeline.stdout).toContain(
      `run.submitted to tekton: namespace default, name ${submitted.ref.name}`,
    )

    const audit = await project.auditText()
    const calls = audit.split('\n').filter((l) => l.includes('"type":"tool.call"') && l.includes(runId))
    expect(calls.some((l) => l.includes('"subject":"tekton.pipelineRunCreate"'))).toBe(true)
    expect(calls.some((l) => l.includes('"subject":"tekton.pipelineRunWatch"'))).toBe(true)
    expect(audit).not.toContain(standIn.token)
  })

  it('workflow cancel from another process cancels the PipelineRun; the run ends cancelled and the task after it never runs', async () => {
    const child = execa('node', [CLI, 'workflow', 'run', 'long.yaml', '--on', 'tekton', '--json'], {
      cwd: project.dir,
      env: project.env,
      extendEnv: false,
      reject: false,
    })
    let out = ''
    const runId = await new Promise<string>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const started = out.includes('"type":"step.started","step":"hang"')
        const id = /"run_id":"(run_[0-9a-z_]+)"/.exec(out)?.[1]
        if (started && id) resolve(id)
      }),
    )
    const cancel = await project.cli(['workflow', 'cancel', runId, '--json'])
    expect(cancel.exitCode, cancel.stderr + cancel.stdout).toBe(0)
    expect(JSON.parse(cancel.stdout)).toMatchObject({ run_id: runId, status: 'cancelled' })
    const finished = await child
    expect(finished.exitCode).toBe(130)
    const result = lines(finished.stdout).pop()!
    expect(result).toMatchObject({
      status: 'cancelled',
      steps: { hang: { status: 'cancelled' }, after: { status: 'cancelled' } },
    })
    const name = runId.replace(/_/g, '-')
    const pr = standIn.store.get('pipelineruns', 'default', name)!
    expect(pr.spec!.status).toBe('Cancelled')
    expect((pr.status!.conditions as { reason: string }[])[0]!.reason).toBe('Cancelled')
    expect(standIn.store.get('taskruns', 'default', `${name}-after`)).toBeUndefined()
    const audit = await project.auditText()
    expect(
      audit.split('\n').some((l) => l.includes('"subject":"tekton.pipelineRunCancel"') && l.includes(runId)),
    ).toBe(true)
  })
})
