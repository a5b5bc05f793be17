import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Kernel } from 'driftcore'
import {
  runCli,
  tempProject,
  testKernel,
  workspacePlugin,
  type CliResult,
  type TempProject,
} from '../../../test/helpers/project.js'
import tektonCapabilities from '../src/hooks/capabilities.js'
import type { KubeStandIn } from './standin/server.js'

/** People may use the tekton tools; everything read-only runs; the rest asks (the default). */
export const TEKTON_POLICY = `apiVersion: driftcore/v1
kind: PolicyBundle
name: tekton
rules:
  - id: people-run-on-tekton
    decision: ALLOW
    match:
      tools: ['tekton.*']
      actors: { types: [human] }
  - id: allow-read-only
    decision: ALLOW
    match:
      risk_tags: { only: [read] }
`

export interface TektonProject extends TempProject {
  cli(args: string[], options?: { env?: NodeJS.ProcessEnv; input?: string }): Promise<CliResult>
  /** Every audit record's text, as written. */
  auditText(): Promise<string>
  /** A kernel in this process with the tekton plugin (the CLI costs seconds a call on a busy machine). */
  kernel(flags?: string[]): Promise<Kernel>
}

/** A project whose tekton: section points at the stand-in (its kubeconfig, in the project). */
export async function tektonProject(
  standIn: KubeStandIn,
  options: { namespace?: string; config?: string } = {},
): Promise<TektonProject> {
  const project = await tempProject({ policy: { 'tekton.yaml': TEKTON_POLICY } })
  const kubeconfig = standIn.kubeconfig({
    file: path.join(project.dir, 'kubeconfig'),
    namespace: options.namespace ?? 'default',
  })
  const { writeFile } = await import('node:fs/promises')
  await writeFile(
    path.join(project.home, 'config.yaml'),
    `tekton:\n  kubeconfig: ${path.basename(kubeconfig)}\n${options.config ?? ''}`,
  )
  return {
    ...project,
    cli: (args, o = {}) => runCli(project, args, o),
    kernel: async (flags = []) =>
      testKernel(project, [workspacePlugin('tekton', await tektonCapabilities())], flags),
    auditText: async () => {
      const dir = path.join(project.home, 'audit')
      const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.jsonl'))
      return (await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')))).join('')
    },
  }
}

/** A Pipeline of a few tasks and a PipelineRun of it, as small as the CRD schema allows. */
export function samplePipeline(name: string, tasks: { name: string; runAfter?: string[] }[]) {
  return {
    pipeline: {
      apiVersion: 'tekton.dev/v1',
      kind: 'Pipeline',
      metadata: { name },
      spec: {
        tasks: tasks.map((t) => ({
          name: t.name,
          ...(t.runAfter ? { runAfter: t.runAfter } : {}),
          taskSpec: { steps: [{ name: 'run', image: 'busybox:1.36', script: `echo ${t.name}` }] },
        })),
      },
    },
    pipelineRun: {
      apiVersion: 'tekton.dev/v1',
      kind: 'PipelineRun',
      metadata: { generateName: `${name}-run-` },
      spec: { pipelineRef: { name } },
    },
  }
}
