import type { Approvals } from '../../approvals/approvals.js'
import type { Redactor } from '../../audit/redact.js'
import type { ArtifactStore } from '../../artifacts/store.js'
import type { Actor } from '../../audit/record.js'
import type { AuditLog } from '../../audit/log.js'
import type { Gate } from '../../gate/invoke.js'
import type { Locks } from '../../locks/locks.js'
import type { ToolVerdict } from '../../registry/types.js'
import type { Logger } from '../../logging/logger.js'
import type { DeadLetters } from '../dlq/store.js'
import type { ExprContext } from '../expr/template.js'
import type { CompiledStep, CompiledWorkflow } from '../format/compile.js'
import type { JournalEntry, JournalEvent } from '../journal/events.js'
import type { RunState, StepState } from '../journal/state.js'
import type { PoolsConfig } from '../pools/route.js'
import type { Clock } from './clock.js'
import type { Semaphore } from './semaphore.js'

/** What the engine needs from the kernel: the gate for every action, and stores to read. */
export interface EngineDeps {
  gate: Gate
  approvals: Approvals
  artifacts: ArtifactStore
  locks: Locks
  /** For what the engine does outside any tool call (locks an interrupted attempt left). */
  audit: Pick<AuditLog, 'record' | 'flush'>
  deadLetters: DeadLetters
  logger: Logger
  /** For what the engine stores outside the journal (DLQ entries). */
  redactor: Redactor
  clock: Clock
  /** Steps at once across every run of this process (workflow.concurrency). */
  globalSlots: Semaphore
  pollMs: number
  tenant: string
  pools: PoolsConfig
  /** Outputs bigger than this are kept as artifacts and journaled as pointers. */
  inlineMaxBytes: number
  /** Only the allowlisted variables. */
  env: Record<string, string>
  /** The verdict a tool declares on its output (`ToolDefinition.verdict`), if any. */
  verdictOf?: (tool: string, output: unknown) => ToolVerdict | undefined
}

/** Why a waiting step stopped: the run was suspended (nothing recorded) or cancelled. */
export class Suspended extends Error {
  constructor() {
    super('suspended')
  }
}

/** What a step handler sees of its run. */
export interface StepRuntime {
  run: RunState
  workflow: CompiledWorkflow
  step: CompiledStep
  state: StepState
  actor: Actor
  deps: EngineDeps
  /** Aborted when the run is cancelled or times out; the reason says which. */
  signal: AbortSignal
  /** Aborted as well when the run is suspended (for steps waiting on a person). */
  waitSignal: AbortSignal
  /** Per-run slot, taken with the global one around every gate call. */
  slots: Semaphore[]
  context(): ExprContext
  /** Journals a transition; `output` is a value the journal keeps only as an artifact pointer. */
  record(entry: JournalEntry, output?: unknown): Promise<JournalEvent>
  /** Marks the step as waiting for a person (true) or working (false), for suspension. */
  parked(waiting: boolean): void
  /**
   * Marks the step as sleeping on a timer (a delay, a retry's backoff) or awake: it holds no
   * slot meanwhile, so it does not count against the steps the executor starts ahead.
   */
  resting(resting: boolean): void
  waitForApprovals: boolean
}

/** Sleeps on the run's clock until `ms` have passed or the run ends, resting meanwhile. */
export async function restFor(rt: StepRuntime, ms: number): Promise<void> {
  rt.resting(true)
  try {
    await rt.deps.clock.sleep(ms, rt.signal)
  } finally {
    rt.resting(false)
  }
}
