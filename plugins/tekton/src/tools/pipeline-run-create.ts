import { defineTool, DriftcoreError } from 'driftcore/api'
import { z } from 'zod'
import { GROUP, VERSION, type Cluster } from '../cluster/client.js'
import { call, clusterWork, connect, plural } from './common.js'

type Manifest = {
  apiVersion?: unknown
  kind?: unknown
  metadata?: Record<string, unknown>
  spec?: unknown
  [k: string]: unknown
}

// The object must be what it says, and for this namespace: the namespace comes from config,
// never from the input, so an input cannot send the user's credentials' reach elsewhere.
function checked(manifest: Manifest, kind: string, namespace: string): Manifest {
  if (manifest.apiVersion !== `${GROUP}/${VERSION}` || manifest.kind !== kind)
    throw new DriftcoreError(
      'invalid_input',
      `expected a ${GROUP}/${VERSION} ${kind}, got ${String(manifest.apiVersion)} ${String(manifest.kind)}`,
      {
        hint: 'write it with: driftcore workflow compile FILE --target tekton',
      },
    )
  const metadata = { ...(manifest.metadata ?? {}) }
  if (metadata.namespace !== undefined && metadata.namespace !== namespace)
    throw new DriftcoreError(
      'forbidden',
      `${kind} ${JSON.stringify(metadata.name ?? metadata.generateName)} names namespace ${JSON.stringify(metadata.namespace)}, but runs go to "${namespace}" (tekton.namespace)`,
      {
        hint: 'leave metadata.namespace out; the project config chooses the namespace',
      },
    )
  if (typeof metadata.name !== 'string' && typeof metadata.generateName !== 'string')
    throw new DriftcoreError(
      'invalid_input',
      `the ${kind} has neither metadata.name nor metadata.generateName`,
    )
  return { ...manifest, metadata: { ...metadata, namespace } }
}

type Applied = 'created' | 'updated' | 'unchanged'

// Creates the object, or replaces it when its spec changed (a Pipeline or Task of the same name).
async function apply(cluster: Cluster, kind: string, pipeline: Manifest): Promise<Applied> {
  const name = String(pipeline.metadata!.name)
  const base = { group: GROUP, version: VERSION, namespace: cluster.namespace, plural: kind }
  try {
    await cluster.custom.createNamespacedCustomObject({ ...base, body: pipeline })
    return 'created'
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error
  }
  const current = (await cluster.custom.getNamespacedCustomObject({ ...base, name })) as Manifest & {
    metadata: { resourceVersion: string }
  }
  if (JSON.stringify(current.spec) === JSON.stringify(pipeline.spec)) return 'unchanged'
  await cluster.custom.replaceNamespacedCustomObject({
    ...base,
    name,
    body: {
      ...pipeline,
      metadata: { ...pipeline.metadata, resourceVersion: current.metadata.resourceVersion },
    },
  })
  return 'updated'
}

export const pipelineRunCreate = defineTool({
  id: 'tekton.pipelineRunCreate',
  title: 'Start a Tekton PipelineRun',
  description:
    "Creates a tekton.dev/v1 PipelineRun in the configured namespace (tekton.namespace), and first the Tasks and the Pipeline it runs when they are given (created, or updated when their spec changed). The API server validates both against Tekton's CRD schemas. What the run's tasks do in the cluster is decided by the driftcore service they call.",
  capability: 'tekton.run',
  risk: ['write', 'network'],
  requires: ['network'],
  effects: 'marked',
  inProcess: clusterWork,
  input: () =>
    z.object({
      pipelineRun: z
        .record(z.string(), z.unknown())
        .describe('a tekton.dev/v1 PipelineRun, as `workflow compile --target tekton` writes it'),
      pipeline: z
        .record(z.string(), z.unknown())
        .optional()
        .describe('the Pipeline its pipelineRef names, applied first'),
      tasks: z
        .array(z.record(z.string(), z.unknown()))
        .max(20)
        .default([])
        .describe('the Tasks the Pipeline references, applied before it'),
    }),
  output: () =>
    z.object({
      namespace: z.string(),
      name: z.string(),
      uid: z.string(),
      pipeline: z
        .object({ name: z.string(), action: z.enum(['created', 'updated', 'unchanged']) })
        .optional(),
      tasks: z.array(z.object({ name: z.string(), action: z.enum(['created', 'updated', 'unchanged']) })),
    }),
  async run(input, ctx) {
    const cluster = await connect(ctx)
    const run = checked(input.pipelineRun, 'PipelineRun', cluster.namespace)
    const pipeline = input.pipeline ? checked(input.pipeline, 'Pipeline', cluster.namespace) : undefined
    const tasks = input.tasks.map((t) => checked(t, 'Task', cluster.namespace))
    const ref = (run.spec as { pipelineRef?: { name?: string } } | undefined)?.pipelineRef?.name
    if (pipeline && ref !== pipeline.metadata!.name)
      throw new DriftcoreError(
        'invalid_input',
        `the PipelineRun runs pipeline "${String(ref)}", not the "${String(pipeline.metadata!.name)}" given with it`,
      )
    await ctx.beginEffects()
    const applied: { name: string; action: Applied }[] = []
    for (const task of tasks) {
      const name = String(task.metadata!.name)
      applied.push({
        name,
        action: await call(cluster, `applying Task ${cluster.namespace}/${name}`, () =>
          apply(cluster, 'tasks', task),
        ),
      })
    }
    const action = pipeline
      ? await call(cluster, `applying Pipeline ${cluster.namespace}/${String(pipeline.metadata!.name)}`, () =>
          apply(cluster, plural.pipelines, pipeline),
        )
      : undefined
    const created = (await call(cluster, `creating PipelineRun in ${cluster.namespace}`, () =>
      cluster.custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: cluster.namespace,
        plural: plural.pipelineRuns,
        body: run,
      }),
    )) as { metadata: { name: string; uid: string; namespace: string } }
    return {
      namespace: created.metadata.namespace,
      name: created.metadata.name,
      uid: created.metadata.uid,
      ...(pipeline && action ? { pipeline: { name: String(pipeline.metadata!.name), action } } : {}),
      tasks: applied,
    }
  },
})
