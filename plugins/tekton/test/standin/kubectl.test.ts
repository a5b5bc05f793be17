import { execa } from 'execa'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEKTON_FIXTURES } from './crd-schema.js'
import { KubeStandIn } from './server.js'

// The stand-in is only worth something if a real client agrees it behaves like the API server:
// these run Debian's kubectl (kubernetes-client) against it.
describe('the Kubernetes stand-in, checked with the real kubectl', () => {
  let standIn: KubeStandIn
  let env: NodeJS.ProcessEnv
  const kubectl = (...args: string[]) =>
    execa('kubectl', args, { env, reject: false, extendEnv: false, timeout: 30_000 })

  beforeAll(async () => {
    standIn = await new KubeStandIn({
      tickMs: 10,
      kubelet: (a) =>
        a.pipelineTask === 'wait-forever'
          ? { outcome: 'hang' }
          : { outcome: 'succeed', ticks: 2, logs: `hello from ${a.pipelineTask}\n` },
    }).start()
    env = {
      PATH: process.env.PATH,
      HOME: path.dirname(standIn.kubeconfig()),
      KUBECONFIG: standIn.kubeconfig(),
    }
  })
  afterAll(() => standIn.stop())

  it('kubectl discovers the tekton.dev/v1 resources, with their short names', async () => {
    const r = await kubectl('api-resources', '--api-group=tekton.dev', '-o', 'name')
    expect(r.stderr).toBe('')
    expect(r.stdout.split('\n').sort()).toEqual([
      'pipelineruns.tekton.dev',
      'pipelines.tekton.dev',
      'taskruns.tekton.dev',
      'tasks.tekton.dev',
    ])
    expect((await kubectl('get', 'prs')).stderr).toContain('No resources found in default namespace.')
  })

  it("kubectl create -f runs Tekton's own example to Succeeded: a TaskRun per task, in runAfter order, with pods and logs", async () => {
    const file = path.join(TEKTON_FIXTURES, 'examples/pipelineruns/pipelinerun-results.yaml')
    const created = await kubectl('create', '-f', file)
    expect(created.exitCode, created.stderr).toBe(0)
    expect(created.stdout).toContain('pipelinerun.tekton.dev/sum-three-pipeline-run created')
    const waited = await kubectl(
      'wait',
      '--for=condition=Succeeded',
      'pipelinerun/sum-three-pipeline-run',
      '--timeout=20s',
    )
    expect(waited.exitCode, waited.stderr).toBe(0)
    const table = await kubectl('get', 'pipelinerun', 'sum-three-pipeline-run')
    expect(table.stdout).toMatch(/^NAME\s+SUCCEEDED\s+REASON\s+STARTTIME\s+COMPLETIONTIME\s+AGE\n/)
    expect(table.stdout).toMatch(/sum-three-pipeline-run\s+True\s+Succeeded\s/)
    const runs = await kubectl(
      'get',
      'taskruns',
      '-l',
      'tekton.dev/pipelineRun=sum-three-pipeline-run',
      '-o',
      'jsonpath={range .items[*]}{.metadata.labels.tekton\\.dev/pipelineTask} {.status.startTime} {.status.completionTime}{"\\n"}{end}',
    )
    const [first, second] = runs.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
    expect([first![0], second![0]]).toEqual(['first-add', 'second-add'])
    // second-add reads first-add's result, so it starts only once first-add has finished.
    expect(Date.parse(second![1]!)).toBeGreaterThanOrEqual(Date.parse(first![2]!))
    const pod = await kubectl(
      'get',
      'taskrun',
      'sum-three-pipeline-run-first-add',
      '-o',
      'jsonpath={.status.podName}',
    )
    const logs = await kubectl('logs', pod.stdout, '-c', 'step-add')
    expect(logs.stdout).toBe('hello from first-add')
  })

  it('kubectl create refuses a body the CRD schema refuses, and nothing is created', async () => {
    const unknown = await execa('kubectl', ['create', '-f', '-'], {
      env,
      extendEnv: false,
      reject: false,
      input: JSON.stringify({
        apiVersion: 'tekton.dev/v1',
        kind: 'PipelineRun',
        metadata: { name: 'bad' },
        spec: { pipelineRef: { name: 'x' }, bogus: true },
      }),
    })
    expect(unknown.exitCode).toBe(1)
    expect(unknown.stderr).toContain('strict decoding error: unknown field "spec.bogus"')
    const typed = await execa('kubectl', ['create', '-f', '-'], {
      env,
      extendEnv: false,
      reject: false,
      input: JSON.stringify({
        apiVersion: 'tekton.dev/v1',
        kind: 'PipelineRun',
        metadata: { name: 'bad' },
        spec: { pipelineRef: { name: 'x' }, timeouts: { pipeline: 5 } },
      }),
    })
    expect(typed.exitCode).toBe(1)
    expect(typed.stderr).toContain('spec.timeouts.pipeline')
    expect((await kubectl('get', 'pr', 'bad')).stderr).toContain('pipelineruns.tekton.dev "bad" not found')
  })

  it('kubectl get -w streams a run from Started through Running to Cancelled after kubectl patch spec.status', async () => {
    const run = {
      apiVersion: 'tekton.dev/v1',
      kind: 'PipelineRun',
      metadata: { name: 'to-cancel' },
      spec: {
        pipelineSpec: {
          tasks: [
            {
              name: 'wait-forever',
              taskSpec: { steps: [{ name: 'sleep', image: 'busybox:1.36', script: 'sleep 3600' }] },
            },
            {
              name: 'never',
              runAfter: ['wait-forever'],
              taskSpec: { steps: [{ name: 'echo', image: 'busybox:1.36', script: 'echo no' }] },
            },
          ],
        },
      },
    }
    const created = await execa('kubectl', ['create', '-f', '-'], {
      env,
      extendEnv: false,
      input: JSON.stringify(run),
    })
    expect(created.stdout).toContain('to-cancel created')
    const watch = execa('kubectl', ['get', 'pr', 'to-cancel', '-w', '--no-headers'], {
      env,
      extendEnv: false,
      reject: false,
    })
    let seen = ''
    const cancelled = new Promise<void>((resolve) =>
      watch.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString()
        if (/Cancelled/.test(seen)) resolve()
      }),
    )
    await kubectl(
      'wait',
      '--for=jsonpath={.status.conditions[0].reason}=Running',
      'pr/to-cancel',
      '--timeout=20s',
    )
    const patched = await kubectl(
      'patch',
      'pr',
      'to-cancel',
      '--type=merge',
      '-p',
      '{"spec":{"status":"Cancelled"}}',
    )
    expect(patched.stdout).toContain('pipelinerun.tekton.dev/to-cancel patched')
    await cancelled
    watch.kill()
    await watch
    expect(seen).toMatch(/to-cancel\s+Unknown\s+Running/)
    expect(seen).toMatch(/to-cancel\s+False\s+Cancelled/)
    const tr = await kubectl(
      'get',
      'tr',
      'to-cancel-wait-forever',
      '-o',
      'jsonpath={.status.conditions[0].reason}',
    )
    expect(tr.stdout).toBe('TaskRunCancelled')
    expect((await kubectl('get', 'tr', 'to-cancel-never')).stderr).toContain('not found')
    const skipped = await kubectl('get', 'pr', 'to-cancel', '-o', 'jsonpath={.status.skippedTasks[0].name}')
    expect(skipped.stdout).toBe('never')
  })

  it('kubectl delete removes a run with its TaskRuns and pods', async () => {
    const deleted = await kubectl('delete', 'pipelinerun', 'sum-three-pipeline-run')
    expect(deleted.stdout).toContain('"sum-three-pipeline-run" deleted')
    expect(
      (await kubectl('get', 'tr', '-l', 'tekton.dev/pipelineRun=sum-three-pipeline-run')).stderr,
    ).toContain('No resources found')
    expect(
      (await kubectl('get', 'pods', '-l', 'tekton.dev/pipelineRun=sum-three-pipeline-run')).stderr,
    ).toContain('No resources found')
  })

  it('a request without the bearer token is Unauthorized', async () => {
    const r = await kubectl('--token', 'wrong', 'get', 'pipelineruns')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('Unauthorized')
  })
})
