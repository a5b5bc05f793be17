import type { Actor } from '../../audit/record.js'
import type { RunResult, StepError, StepVerdict } from './events.js'

export type StepStatus =
  | 'pending'
  | 'running'
  | 'retry_wait'
  | 'waiting'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'cancelled'
  | 'skipped'
  | 'blocked'

export type RunStatus = 'running' | 'suspended' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out'

export interface StepState {
  status: StepStatus
  /** The last attempt started (0: none yet). */
  attempt: number
  /** Attempts granted beyond the retry policy: one per crash-interrupted attempt or DLQ retry. */
  extra_attempts: number
  output?: unknown
  output_artifact?: string
  verdict?: StepVerdict
  error?: StepError
  started_at?: string
  /** When the current attempt started (an approved attempt keeps it). */
  attempt_started_at?: string
  ended_at?: string
  retry_at?: string
  approval_id?: string
  /** The approval the current attempt was started with, if any. */
  attempt_approval?: string
  /**
   * Set when a crash interrupted an attempt started with this approval: its retry is that same
   * attempt (same trace, input and idempotency key), and the approval it used stays valid for it.
   */
  interrupted_approval?: string
  until?: string
  trace_id?: string
  decision?: string
  dlq_id?: string
  reused_from?: string
  reason?: string
  /** Processes the current attempt started, to end them if the run is resumed after a crash. */
  processes: { pid: number; start_time?: string }[]
}

export interface RunState {
  run_id: string
  workflow_name: string
  workflow_sha256: string
  file?: string
  input: unknown
  actor: Actor
  trace_id: string
  created_at: string
  updated_at: string
  ended_at?: string
  deadline?: string
  idempotency_key?: string
  rerun_of?: { run_id: string; from: string }
  status: RunStatus
  summary?: string
  result?: RunResult
  cancel?: { by: Actor; reason: string }
  /** Where the run runs when not in this process (`workflow run --on`), and what it is called there. */
  remote?: { executor: string; ref: Record<string, string> }
  steps: Record<string, StepState>
  /** The seq of the last event applied. */
  seq: number
}

export const TERMINAL_STEP: ReadonlySet<StepStatus> = new Set([
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'skipped',
  'blocked',
])

/** A dependency in one of these states lets its dependents run; any other terminal state blocks them. */
export const PASSING_STEP: ReadonlySet<StepStatus> = new Set(['succeeded', 'skipped'])

export const FINISHED_RUN = [
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
] as const satisfies readonly RunStatus[]
export const TERMINAL_RUN: ReadonlySet<RunStatus> = new Set(FINISHED_RUN)
