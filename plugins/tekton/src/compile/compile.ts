import { DriftcoreError } from 'driftcore'

/** A construct with no Tekton equivalent: refused at compile time, never approximated. */
export interface Refusal {
  step: string
  construct: string
  reason: string
}

export interface CompileInput {
  image: string
  server?: string
  inputs?: Record<string, unknown>
  runName?: string
  namespace?: string
}

export interface CompileResult {
  pipeline: Record<string, unknown>
  pipelineRun: Record<string, unknown>
  tasks: { step: string; task: string; finally: boolean }[]
  notes: string[]
}

/** Work in progress: the mapping lands in the next commits. */
export function compileWorkflow(_definition: unknown, _options: CompileInput): CompileResult {
  throw new DriftcoreError('unavailable', 'workflow compile --target tekton is not built yet')
}
