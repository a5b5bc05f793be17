import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kernel } from 'driftcore'
import { samplePipeline, tektonProject, type TektonProject } from './cluster-helpers.js'
import { KubeStandIn } from './standin/server.js'

describe('the tekton tools against the Kubernetes stand-in', () => {
  let standIn: KubeStandIn
  let project: TektonProject
  let kernel: Kernel
  const actor = { type: 'human', id: 'tester' }
  const call = (tool: string, input: unknown) => kernel.gate.invoke(tool, input, actor)
  const output = async <T>(r: ReturnType<typeof call>): Promise<T> => (await r).output as T

  beforeAll(async () => {
    standIn = await new KubeStandIn({
      tickMs: 10,
      kubelet: (a) =>
        a.pipelineTask === 'wait'
          ? { outcome: 'hang' }
          : a.pipelineTask === 'flaky' && a.retry === 0
            ? { outcome: 'fail', logs: 'first try fails\n' }
            : { outcome: 'succeed', logs: { run: `${a.pipelineTask} says hello\n` } },
    }).start()
    project = await tektonProject(standIn)
    kernel = await project.kernel()
  })
  afterAll(async () => {
    await kernel.close()
    await standIn.stop()
    await project.cleanup()
  })

  it('pipelineRunCreate applies the Pipeline and starts a run the API server accepted; watch follows it to succeeded', async () => {
    const out = await output<{ name: string; namespace: string; pipeline: { action: string } }>(
      call(
        'tekton.pipelineRunCreate',
        samplePipeline('build', [{ name: 'compile' }, { name: 'test', runAfter: ['compile'] }]),
      ),
    )
    expect(out.namespace).toBe('default')
    expect(out.name).toMatch(/^build-run-/)
    expect(out.pipeline.action).toBe('created')
    expect(standIn.store.get('pipelineruns', 'default', out.name)).toBeDefined()

    const progress: string[] = []
    const watched = kernel.gate.invoke('tekton.pipelineRunWatch', { name: out.name }, actor, {
      onProgress: (p) => progress.push(p.message ?? ''),
    })
    const status = await output<{
      status: string
      reason: string
      tasks: { task: string; status: string }[]
    }>(watched)
    expect(progress.join('; ')).toContain('compile: succeeded')
    expect(progress.at(-1)).toContain('run ' + out.name + ': succeeded (Succeeded)')
    expect(status.status).toBe('succeeded')
    expect(status.reason).toBe('Succeeded')
    expect(status.tasks.map((t) => [t.task, t.status])).toEqual([
      ['compile', 'succeeded'],
      ['test', 'succeeded'],
    ])

    const again = await output<{ pipeline: { action: string } }>(
      call(
        'tekton.pipelineRunCreate',
        samplePipeline('build', [{ name: 'compile' }, { name: 'test', runAfter: ['compile'] }]),
      ),
    )
    expect(again.pipeline.action).toBe('unchanged')

    const logs = await output<{ steps: { step: string; log: string }[] }>(
      call('tekton.logs', { pipelineRun: out.name, task: 'test' }),
    )
    expect(logs.steps).toEqual([expect.objectContaining({ step: 'run', log: 'test says hello\n' })])
  })

  it('status reports a retried task with its retries, and the run that needed them as succeeded', async () => {
    const input = samplePipeline('retrying', [{ name: 'flaky' }])
    ;(input.pipeline.spec.tasks[0] as Record<string, unknown>).retries = 1
    const { name } = await output<{ name: string }>(call('tekton.pipelineRunCreate', input))
    await output(call('tekton.pipelineRunWatch', { name }))
    const status = await output<{
      status: string
      tasks: { task: string; retries: number; status: string }[]
    }>(call('tekton.pipelineRunStatus', { name }))
    expect(status.status).toBe('succeeded')
    expect(status.tasks[0]).toMatchObject({ task: 'flaky', status: 'succeeded', retries: 1 })
  })

  it('pipelineRunCancel stops a running run: its TaskRun is cancelled and the task after it never starts', async () => {
    const { name } = await output<{ name: string }>(
      call(
        'tekton.pipelineRunCreate',
        samplePipeline('stuck', [{ name: 'wait' }, { name: 'after', runAfter: ['wait'] }]),
      ),
    )
    let status = await output<{ fingerprint: string; tasks: { status: string }[] }>(
      call('tekton.pipelineRunWatch', { name, until: 'change' }),
    )
    // The first change seen may be the run before the controller made its TaskRun: no tasks yet.
    while (status.tasks[0]?.status !== 'running')
      status = await output<typeof status>(
        call('tekton.pipelineRunWatch', { name, until: 'change', since: status.fingerprint }),
      )
    const cancelled = await output<{ cancelled: boolean; status_before: string }>(
      call('tekton.pipelineRunCancel', { name }),
    )
    expect(cancelled).toMatchObject({ cancelled: true, status_before: 'running' })
    const final = await output<{ status: string; reason: string; tasks: { task: string; status: string }[] }>(
      call('tekton.pipelineRunWatch', { name }),
    )
    expect(final.status).toBe('cancelled')
    expect(final.reason).toBe('Cancelled')
    expect(final.tasks.map((t) => [t.task, t.status])).toEqual([
      ['wait', 'cancelled'],
      ['after', 'skipped'],
    ])
    const twice = await output<{ cancelled: boolean }>(call('tekton.pipelineRunCancel', { name }))
    expect(twice.cancelled).toBe(false)
  })

  it('a body the CRD schema refuses comes back as invalid_input naming the field, and creates nothing', async () => {
    const input = samplePipeline('broken', [{ name: 'one' }])
    ;(input.pipelineRun.spec as Record<string, unknown>).timeouts = { pipeline: 5 }
    const before = standIn.store.list('pipelineruns', {}).length
    await expect(call('tekton.pipelineRunCreate', { pipelineRun: input.pipelineRun })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('spec.timeouts.pipeline') as string,
    })
    expect(standIn.store.list('pipelineruns', {}).length).toBe(before)
  })

  it('every call is in the audit log, and the bearer token is nowhere in it', async () => {
    await kernel.close()
    kernel = await project.kernel()
    const audit = await project.auditText()
    expect(audit).toContain('"subject":"tekton.pipelineRunCreate"')
    expect(audit).toContain('"subject":"tekton.pipelineRunCancel"')
    expect(audit).toContain('"subject":"tekton.pipelineRunWatch"')
    expect(audit).not.toContain(standIn.token)
    expect(standIn.requests.every((r) => r.authorized)).toBe(true)
  })
})
