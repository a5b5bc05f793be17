import type { ToolContext } from 'driftcore/api'
import { z } from 'zod'
import { GROUP, VERSION, kubeError, openCluster, type Cluster } from '../cluster/client.js'
import { kubeconfigFiles, tektonConfig } from '../cluster/config.js'
import { summarize, type KubeObjectLike, type RunStatus } from '../cluster/status.js'

/** A Kubernetes object name (DNS-1123 subdomain, as Tekton run names are). */
export const objectName = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'a Kubernetes name: lower case letters, digits, - and .',
  )

/**
 * What the handlers do themselves: read the kubeconfig (so deny_paths over it refuses the call)
 * and talk to the API server (the `network` risk tag: `network: none` refuses the call); the
 * work per call is bounded by one run's objects.
 */
export const clusterWork = {
  paths: (_input: unknown, env: { config: Readonly<Record<string, unknown>>; paths: { root: string } }) =>
    kubeconfigFiles(tektonConfig(env.config), env.paths.root),
  bounded: true,
}

export function connect(ctx: Pick<ToolContext, 'config' | 'paths'>): Promise<Cluster> {
  return openCluster(tektonConfig(ctx.config), ctx.paths.root)
}

export const plural = { pipelineRuns: 'pipelineruns', taskRuns: 'taskruns', pipelines: 'pipelines' } as const

export async function call<T>(cluster: Cluster, doing: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw kubeError(error, cluster, doing)
  }
}

export function getRun(cluster: Cluster, name: string): Promise<KubeObjectLike> {
  return call(cluster, `reading PipelineRun ${cluster.namespace}/${name}`, () =>
    cluster.custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: cluster.namespace,
      plural: plural.pipelineRuns,
      name,
    }),
  ) as Promise<KubeObjectLike>
}

export async function listTaskRuns(
  cluster: Cluster,
  run: string,
): Promise<{ items: KubeObjectLike[]; resourceVersion: string }> {
  const list = (await call(cluster, `listing the TaskRuns of ${cluster.namespace}/${run}`, () =>
    cluster.custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: cluster.namespace,
      plural: plural.taskRuns,
      labelSelector: `tekton.dev/pipelineRun=${run}`,
    }),
  )) as { items?: KubeObjectLike[]; metadata?: { resourceVersion?: string } }
  return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' }
}

export async function readStatus(cluster: Cluster, name: string): Promise<RunStatus> {
  const run = await getRun(cluster, name)
  return summarize(run, (await listTaskRuns(cluster, name)).items)
}
