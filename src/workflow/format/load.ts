import { stat } from 'node:fs/promises'
import { checkNesting } from '../../store/nesting.js'
import { readTextFile } from '../../store/pieces.js'
import { DriftcoreError, isDriftcoreError } from '../../errors/driftcore-error.js'
import { canonicalHash } from '../../store/hash.js'
import {
  DEFAULT_MAX_YAML_BYTES,
  parseYaml,
  positionOf,
  readYamlFast,
  validateYaml,
} from '../../store/yaml.js'
import { compileWorkflow, type CompileOptions, type CompiledWorkflow } from './compile.js'
import { workflowSchema, type WorkflowDefinition } from './schema.js'

export interface LoadedWorkflow {
  file?: string
  /** sha256 of the canonical definition, as journaled. */
  sha256: string
  definition: WorkflowDefinition
  compiled: CompiledWorkflow
}

/** Parses, validates and compiles a workflow file; every problem is placed at file:line:col. */
export async function loadWorkflowFile(
  file: string,
  options: CompileOptions & { maxBytes?: number },
): Promise<LoadedWorkflow> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_YAML_BYTES
  let text: string
  try {
    const size = (await stat(file)).size
    if (size > maxBytes)
      throw new DriftcoreError('invalid_input', `${file} is ${size} bytes, over the ${maxBytes}-byte limit`, {
        hint: 'split the workflow, or raise limits.max_yaml_bytes',
      })
    text = await readTextFile(file, { maxBytes })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new DriftcoreError('not_found', `no workflow file ${file}`, { cause: error })
    throw error
  }
  return loadWorkflowText(text, file, options)
}

/**
 * Valid files take the fast path (js-yaml, no positions kept). Anything that fails — parse,
 * schema or compile — is done again on the careful path, which keeps positions, so its error
 * names file:line:col. Compiling is deterministic, so the second attempt fails the same way.
 */
export function loadWorkflowText(
  text: string,
  file: string,
  options: CompileOptions & { maxBytes?: number },
): LoadedWorkflow {
  checkNesting(text, file, { yaml: true })
  const fast = readYamlFast(text, options.maxBytes)
  if (fast !== undefined) {
    const result = workflowSchema.safeParse(fast)
    if (result.success) {
      try {
        const compiled = compileWorkflow(
          result.data,
          (path) => `${file}: ${path.map(String).join('.')}`,
          options,
        )
        return { file, sha256: definitionHash(result.data), definition: result.data, compiled }
      } catch (error) {
        if (!isDriftcoreError(error)) throw error
      }
    }
  }
  const parsed = parseYaml(text, file, options.maxBytes)
  const definition = validateYaml(parsed, workflowSchema, file)
  const locate = (path: readonly PropertyKey[]) => {
    const { line, col } = positionOf(parsed, path)
    return `${file}:${line}:${col}`
  }
  const compiled = compileWorkflow(definition, locate, options)
  return { file, sha256: definitionHash(definition), definition, compiled }
}

/** A definition recorded with a run (workflow.json): compiled again, errors named by path. */
export function loadRecordedWorkflow(definition: WorkflowDefinition, runId: string, options: CompileOptions) {
  const parsed = workflowSchema.parse(definition)
  const locate = (path: readonly PropertyKey[]) => `run ${runId} workflow ${path.map(String).join('.')}`
  return compileWorkflow(parsed, locate, options)
}

export function definitionHash(definition: WorkflowDefinition): string {
  return canonicalHash(definition)
}
