import type { Actor } from '../../audit/record.js'

export interface StepError {
  code: string
  message: string
}

export type OnVerdict = 'fail' | 'warn' | 'ignore'

/** A tool's verdict on a step's output, and what the step was told to do with it. */
export interface StepVerdict {
  ok: boolean
  summary: string
  on: OnVerdict
}

/** One thing the run's result says: a step's failure, warning or what it did. */
export interface RunFinding {
  step: string
  level: 'failed' | 'warning' | 'info'
  text: string
}

/**
 * The run's result in words: what changed and what is left, failures first. `ok` is false when
 * the run did not succeed or finished with a warning.
 */
export interface RunResult {
  ok: boolean
  outcome: 'succeeded' | 'succeeded_with_warnings' | 'failed' | 'cancelled' | 'timed_out'
  summary: string
  findings: RunFinding[]
}

/** The body of each journal line; `seq` and `at` are added when it is appended. */
export type JournalEntry =
  | {
      type: 'run.created'
      run_id: string
      /** The definition is kept beside the journal, in workflow.json, and checked against this hash. */
      workflow_name: string
      file?: string
      workflow_sha256: string
      input: unknown
      actor: Actor
      trace_id: string
      deadline?: string
      idempotency_key?: string
      rerun_of?: { run_id: string; from: string }
    }
  | { type: 'run.attached'; pid: number; host: string; resumed: boolean }
  /** The run was handed to a remote engine (`workflow run --on`); its steps run there. */
  | { type: 'run.submitted'; executor: string; ref: Record<string, string> }
  | { type: 'run.suspended'; waiting_on: string[] }
  | { type: 'run.cancel_requested'; by: Actor; reason: string }
  | {
      type: 'run.finished'
      status: 'succeeded' | 'failed' | 'cancelled' | 'timed_out'
      summary: string
      /** Journals written before results existed have none. */
      result?: RunResult
    }
  | { type: 'run.reopened'; step: string; dlq_id: string; by: Actor }
  | { type: 'step.reused'; step: string; from_run: string; status: 'succeeded' | 'skipped'; output?: unknown }
  | { type: 'step.skipped'; step: string; reason: string }
  | { type: 'step.blocked'; step: string; by: string; reason: string }
  | {
      type: 'step.started'
      step: string
      attempt: number
      trace_id: string
      job_id?: string
      idempotency_key?: string
      route?: string
      approval_id?: string
      /** The job's created_at, kept so an approved attempt is called again with the same envelope. */
      job_created_at?: string
    }
  | { type: 'step.process'; step: string; attempt: number; pid: number; start_time?: string }
  | {
      type: 'step.waiting'
      step: string
      attempt: number
      approval_id?: string
      until?: string
      reason: string
    }
  | {
      type: 'step.succeeded'
      step: string
      attempt: number
      output?: unknown
      output_artifact?: string
      trace_id?: string
      decision?: string
      /** Who granted the approval the call ran under, when policy asked for one. */
      approved_by?: Actor
      duration_ms?: number
      verdict?: StepVerdict
    }
  | {
      type: 'step.attempt_failed'
      step: string
      attempt: number
      error: StepError
      retry_at: string
      trace_id?: string
      decision?: string
    }
  | { type: 'step.interrupted'; step: string; attempt: number }
  | {
      type: 'step.failed' | 'step.timed_out'
      step: string
      attempt: number
      error: StepError
      trace_id?: string
      decision?: string
      /** A call that ran but did not do its job (error code `unmet`) keeps what it returned. */
      output?: unknown
      output_artifact?: string
      verdict?: StepVerdict
    }
  | { type: 'step.cancelled'; step: string; reason: string }
  | { type: 'step.dead_lettered'; step: string; dlq_id: string; error_code: string }
  | { type: 'step.requeued'; step: string; dlq_id: string; by: Actor }

export type JournalEvent = JournalEntry & { seq: number; at: string }
export type EventType = JournalEntry['type']
