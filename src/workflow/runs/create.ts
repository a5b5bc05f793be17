import { randomBytes, randomUUID } from 'node:crypto'
import type { Actor } from '../../audit/record.js'
import { downstreamOf } from '../dag/graph.js'
import type { CompiledWorkflow } from '../format/compile.js'
import type { JournalEntry } from '../journal/events.js'
import type { RunState } from '../journal/state.js'

export function newRunId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15)
  return `run_${stamp}_${randomBytes(3).toString('hex')}`
}

/** The first journal event of a run; its deadline comes from the workflow's timeout. */
export function runCreated(args: {
  runId: string
  workflow: CompiledWorkflow
  sha256: string
  file?: string
  input: unknown
  actor: Actor
  now: number
  idempotencyKey?: string
  rerunOf?: { run_id: string; from: string }
}): JournalEntry {
  return {
    type: 'run.created',
    run_id: args.runId,
    workflow_name: args.workflow.definition.name,
    ...(args.file ? { file: args.file } : {}),
    workflow_sha256: args.sha256,
    input: args.input,
    actor: args.actor,
    trace_id: randomUUID(),
    ...(args.workflow.timeoutMs !== undefined
      ? { deadline: new Date(args.now + args.workflow.timeoutMs).toISOString() }
      : {}),
    ...(args.idempotencyKey ? { idempotency_key: args.idempotencyKey } : {}),
    ...(args.rerunOf ? { rerun_of: args.rerunOf } : {}),
  }
}

/**
 * What a rerun from `from` starts with: every step not downstream of it that succeeded or was
 * skipped keeps its recorded output; the rest (and any step that did not succeed) runs again.
 */
export function reusedSteps(original: RunState, workflow: CompiledWorkflow, from: string): JournalEntry[] {
  const dependents = new Map([...workflow.steps].map(([id, s]) => [id, s.dependents]))
  const rerun = downstreamOf(from, dependents)
  const entries: JournalEntry[] = []
  for (const id of workflow.order) {
    const step = original.steps[id]!
    if (rerun.has(id) || (step.status !== 'succeeded' && step.status !== 'skipped')) continue
    entries.push({
      type: 'step.reused',
      step: id,
      from_run: original.run_id,
      status: step.status,
      ...(step.output !== undefined ? { output: step.output } : {}),
    })
  }
  return entries
}
