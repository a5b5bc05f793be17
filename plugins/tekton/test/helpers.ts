import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { loadWorkflow, type Kernel } from 'driftcore'
import {
  REPO,
  tempProject,
  testKernel,
  workspacePlugin,
  type TempProject,
} from '../../../test/helpers/project.js'
import { drushCapabilities } from '../../drush/src/hooks/capabilities.js'
import scaffoldCapabilities from '../../scaffold/src/hooks/capabilities.js'
import { giteaCapabilities } from '../../gitea/src/hooks/capabilities.js'
import { compileWorkflow, type CompileInput, type CompileResult } from '../src/compile/compile.js'
import { validateTekton } from '../src/schema/validate.js'
import { yamlDocuments } from '../src/formatters/documents.js'

export const IMAGE = 'registry.example/driftcore-runner:0.1.0'
export const TEKTON_LINT = path.join(REPO, 'node_modules/@ibm/tekton-lint/dist/lint.js')

/** A pool for the docs' `topic: drupal.cache` and the docs' `team-hook` notify sink. */
export const DOCS_CONFIG = `pools:
  php:
    topics: [drupal.cache, drupal.updb]
    capabilities: [php, drush]
    handler: { tool: drush.cacheRebuild }
workflow:
  notify:
    sinks:
      team-hook: { type: file, path: notify.jsonl }
`

export interface CompileProject extends TempProject {
  kernel: Kernel
  /** Writes a workflow file, loads it as `workflow validate` does, and compiles it. */
  compile: (yaml: string, options?: Partial<CompileInput>) => Promise<CompileResult>
  /** Loads and compiles a workflow file or pack name. */
  compileFile: (file: string, options?: Partial<CompileInput>) => Promise<CompileResult>
}

/** A project with the drush, scaffold and gitea plugins' tools, so the packs' workflows load. */
export async function compileProject(config = DOCS_CONFIG): Promise<CompileProject> {
  const project = await tempProject({ config })
  const kernel = await testKernel(project, [
    workspacePlugin('drush', drushCapabilities),
    workspacePlugin('scaffold', await scaffoldCapabilities()),
    workspacePlugin('gitea', giteaCapabilities),
  ])
  let n = 0
  const compileFile = async (file: string, options: Partial<CompileInput> = {}) => {
    const loaded = await loadWorkflow(kernel, file)
    if (options.inputs) loaded.checkInput(options.inputs)
    return compileWorkflow(loaded.definition, {
      image: IMAGE,
      server: 'https://driftcore.example:7800',
      route: loaded.route,
      sha256: loaded.sha256,
      ...options,
    })
  }
  return {
    ...project,
    kernel,
    compileFile,
    async compile(yaml, options) {
      const file = path.join(project.dir, `wf-${++n}.yaml`)
      await writeFile(file, yaml)
      return compileFile(file, options)
    },
    async cleanup() {
      await kernel.close()
      await project.cleanup()
    },
  }
}

export function documents(result: CompileResult): Record<string, unknown>[] {
  return [result.task, result.pipeline, result.pipelineRun]
}

/** Schema problems of every compiled document ([] when all are valid tekton.dev/v1). */
export function schemaProblems(result: CompileResult): string[] {
  return documents(result).flatMap(validateTekton)
}

export interface LintProblem {
  message: string
  rule: string
  level: string
  path: string
}

/** Runs the real tekton-lint (IBM's, from npm) over the documents, written as files. */
export async function tektonLint(results: CompileResult[]): Promise<LintProblem[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-tekton-lint-'))
  await mkdir(dir, { recursive: true })
  for (const [i, r] of results.entries())
    await writeFile(path.join(dir, `${i}.yaml`), yamlDocuments(documents(r)))
  const lint = await execa('node', [TEKTON_LINT, '--format', 'json', '--color', 'false', '*.yaml'], {
    cwd: dir,
    reject: false,
  })
  if (lint.exitCode !== 0 && !lint.stdout.trim().startsWith('['))
    throw new Error(`tekton-lint failed (exit ${lint.exitCode}): ${lint.stderr}`)
  return JSON.parse(lint.stdout || '[]') as LintProblem[]
}

/** The pipeline task (or finally task) named `name`. */
export function pipelineTask(result: CompileResult, name: string): Record<string, any> {
  const spec = result.pipeline.spec as { tasks: Record<string, any>[]; finally?: Record<string, any>[] }
  const task = [...spec.tasks, ...(spec.finally ?? [])].find((t) => t.name === name)
  if (!task) throw new Error(`no pipeline task ${name}`)
  return task
}

export interface Refused {
  code: string
  message: string
  details: { refused: { step: string; construct: string; reason: string }[] }
}

/** The error a refused compile throws (failing the test when it compiled). */
export async function refusal(compiling: Promise<unknown>): Promise<Refused> {
  try {
    await compiling
  } catch (error) {
    return error as Refused
  }
  throw new Error('it compiled')
}
