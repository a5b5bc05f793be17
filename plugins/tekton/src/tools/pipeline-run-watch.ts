import { defineTool, DriftcoreError, type ToolContext } from 'driftcore/api'
import { z } from 'zod'
import { GROUP, VERSION, kubeError, type Cluster } from '../cluster/client.js'
import {
  FINISHED,
  runStatusSchema,
  summarize,
  type KubeObjectLike,
  type RunStatus,
} from '../cluster/status.js'
import { clusterWork, connect, getRun, listTaskRuns, objectName, plural } from './common.js'

type Until = 'finished' | 'change'

// Each task whose state moved, in words, for the caller's progress display.
function changes(before: RunStatus | undefined, after: RunStatus): string[] {
  const prior = new Map(before?.tasks.map((t) => [t.task, t]))
  const said = after.tasks
    .filter((t) => prior.get(t.task)?.status !== t.status || prior.get(t.task)?.retries !== t.retries)
    .map((t) => `${t.task}: ${t.status}${t.retries ? ` (retry ${t.retries})` : ''}`)
  if (before?.status !== after.status)
    said.push(`run ${after.name}: ${after.status}${after.reason ? ` (${after.reason})` : ''}`)
  return said
}

// Progress must grow with every report (MCP clients drop one that does not), so it counts the
// reports; the message says what moved and how many tasks are done.
function reporter(ctx: ToolContext): (before: RunStatus | undefined, after: RunStatus) => void {
  let reports = 0
  return (before, after) => {
    const said = changes(before, after)
    if (said.length === 0) return
    const finished = after.tasks.filter((t) => FINISHED.has(t.status) || t.status === 'skipped').length
    ctx.progress({
      progress: ++reports,
      message: `${said.join('; ')} [${finished}/${after.tasks.length} tasks done]`,
    })
  }
}

/**
 * Follows one PipelineRun with two watches (the run by name, its TaskRuns by label), started
 * at the resourceVersion of the read they follow so no change falls between; a watch the
 * server ends is started again from a fresh read.
 */
function follow(
  cluster: Cluster,
  name: string,
  ctx: ToolContext,
  stop: (s: RunStatus) => boolean,
): Promise<RunStatus> {
  return new Promise((resolve, reject) => {
    let settled = false
    let status: RunStatus | undefined
    let controllers: AbortController[] = []
    const report = reporter(ctx)
    const end = (error: unknown, value?: RunStatus) => {
      if (settled) return
      settled = true
      for (const c of controllers) c.abort()
      ctx.signal.removeEventListener('abort', onAbort)
      if (error)
        reject(
          error instanceof DriftcoreError
            ? error
            : kubeError(error, cluster, `watching PipelineRun ${cluster.namespace}/${name}`),
        )
      else resolve(value!)
    }
    const onAbort = () =>
      end(new DriftcoreError('cancelled', `stopped watching PipelineRun ${cluster.namespace}/${name}`))
    ctx.signal.addEventListener('abort', onAbort, { once: true })
    const start = async () => {
      for (const c of controllers) c.abort()
      controllers = []
      let run = await getRun(cluster, name)
      const listed = await listTaskRuns(cluster, name)
      const taskRuns = new Map(listed.items.map((t) => [t.metadata?.name ?? '', t]))
      let closing = false
      const update = () => {
        if (closing) return
        const next = summarize(run, [...taskRuns.values()])
        if (!(stop(next) && FINISHED.has(next.status))) {
          report(status, next)
          status = next
          if (stop(next)) end(undefined, next)
          return
        }
        // The two watches are separate streams with no order between them: the run's end can
        // arrive before its last TaskRun's, so the tasks are read once more, and the end is
        // reported with them in one message.
        closing = true
        listTaskRuns(cluster, name).then((fresh) => {
          const last = summarize(run, fresh.items)
          report(status, last)
          status = last
          end(undefined, last)
        }, end)
      }
      update()
      if (settled || closing) return
      const base = `/apis/${GROUP}/${VERSION}/namespaces/${cluster.namespace}`
      const restart = (error: unknown) => {
        if (settled) return
        if (error && (error as { name?: string }).name !== 'AbortError') return end(error)
        start().catch((e: unknown) => end(e))
      }
      controllers.push(
        await cluster.watch.watch(
          `${base}/${plural.pipelineRuns}`,
          {
            fieldSelector: `metadata.name=${name}`,
            resourceVersion: (run as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion,
          },
          (type, object: KubeObjectLike) => {
            if (type === 'DELETED')
              return end(
                new DriftcoreError(
                  'not_found',
                  `PipelineRun ${cluster.namespace}/${name} was deleted while it was watched`,
                ),
              )
            if (type === 'ADDED' || type === 'MODIFIED') {
              run = object
              update()
            }
          },
          restart,
        ),
        await cluster.watch.watch(
          `${base}/${plural.taskRuns}`,
          { labelSelector: `tekton.dev/pipelineRun=${name}`, resourceVersion: listed.resourceVersion },
          (type, object: KubeObjectLike) => {
            const key = object.metadata?.name ?? ''
            if (type === 'DELETED') taskRuns.delete(key)
            else if (type === 'ADDED' || type === 'MODIFIED') taskRuns.set(key, object)
            else return
            update()
          },
          restart,
        ),
      )
      if (settled) for (const c of controllers) c.abort()
    }
    start().catch((e: unknown) => end(e))
  })
}

export const pipelineRunWatch = defineTool({
  id: 'tekton.pipelineRunWatch',
  title: 'Watch a Tekton PipelineRun',
  description:
    'Follows a PipelineRun through the Kubernetes watch API, reporting each task\'s state as progress ("build: running", "test: succeeded"), and returns its status when it has finished; with until: change, as soon as its state differs from the fingerprint given as since (at once when since is left out).',
  capability: 'tekton.read',
  risk: ['read', 'network'],
  requires: ['network'],
  inProcess: clusterWork,
  input: () =>
    z.object({
      name: objectName.describe('the PipelineRun, in tekton.namespace'),
      until: z.enum(['finished', 'change']).default('finished'),
      since: z.string().max(64).optional().describe('the fingerprint of the status last seen'),
    }),
  output: () => runStatusSchema,
  async run(input, ctx) {
    const until: Until = input.until
    return follow(
      await connect(ctx),
      input.name,
      ctx,
      (s) => FINISHED.has(s.status) || (until === 'change' && s.fingerprint !== input.since),
    )
  },
})
