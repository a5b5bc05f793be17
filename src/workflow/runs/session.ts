import path from 'node:path'
import { mkdir } from 'node:fs/promises'
import type { Actor } from '../../audit/record.js'
import type { Kernel } from '../../kernel/open.js'
import { writeFileAtomic } from '../../store/atomic-write.js'
import { prettyJsonPieces, readTextFile } from '../../store/pieces.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import type { CompiledWorkflow } from '../format/compile.js'
import { loadRecordedWorkflow } from '../format/load.js'
import type { WorkflowDefinition } from '../format/schema.js'
import type { JournalEntry, JournalEvent } from '../journal/events.js'
import { readJournal } from '../journal/reader.js'
import { applyEvent, replay } from '../journal/replay.js'
import type { RunState } from '../journal/state.js'
import { JournalWriter } from '../journal/writer.js'
import { Executor, type ExecuteOptions } from '../engine/executor.js'
import type { EngineDeps } from '../engine/runtime.js'
import type { CompileOptions } from '../format/compile.js'
import { definitionHash } from '../format/load.js'
import { RemoteRun } from '../remote/run.js'
import { watchCancel } from './cancel.js'
import { runFiles, type RunFiles } from './files.js'
import { faultPoint } from './fault-point.js'
import { acquireOwnership } from './owner.js'

export interface LoadedRun {
  files: RunFiles
  state: RunState
  workflow: CompiledWorkflow
  validBytes: number
  torn: boolean
}

/** Reads a run back from disk: its recorded definition (hash-checked) and its journal, replayed. */
export async function loadRun(kernel: Kernel, runId: string, compile: CompileOptions): Promise<LoadedRun> {
  const files = runFiles(kernel.paths, runId)
  let definition: WorkflowDefinition
  try {
    definition = JSON.parse(await readTextFile(files.workflow)) as WorkflowDefinition
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new DriftcoreError('not_found', `no run ${runId}`, {
        hint: 'list runs with: driftcore workflow list',
      })
    throw new DriftcoreError('integrity', `${files.workflow} is unreadable: ${(error as Error).message}`)
  }
  const { events, validBytes, torn } = await readJournal(files.journal)
  const created = events[0]
  if (!created)
    throw new DriftcoreError(
      'not_found',
      `run ${runId} never started: its journal ${files.journal} is empty (its first write failed, e.g. on a full disk)`,
      { hint: 'start the workflow again; `driftcore workflow prune` removes the empty run' },
    )
  if (created.type !== 'run.created')
    throw new DriftcoreError('integrity', `${files.journal}:1: the journal does not start with run.created`)
  if (definitionHash(definition) !== created.workflow_sha256)
    throw new DriftcoreError('integrity', `${files.workflow} does not match the hash recorded in the journal`)
  const workflow = loadRecordedWorkflow(definition, runId, compile)
  const state = replay(events, workflow.order)
  await hydrateOutputs(kernel, state)
  return { files, state, workflow, validBytes, torn }
}

// Outputs too big for the journal are artifacts; expressions downstream need their values.
async function hydrateOutputs(kernel: Kernel, state: RunState): Promise<void> {
  for (const step of Object.values(state.steps)) {
    if (step.output_artifact && step.output === undefined)
      step.output = JSON.parse((await kernel.artifacts.get(step.output_artifact)).toString('utf8')) as unknown
  }
}

function* jsonFile(value: unknown): Generator<string> {
  yield* prettyJsonPieces(value)
  yield '\n'
}

/** Writes a new run's files: the definition beside the journal, and its first events. */
export async function createRunFiles(files: RunFiles, definition: WorkflowDefinition): Promise<void> {
  await mkdir(files.dir, { recursive: true })
  await writeFileAtomic(files.workflow, jsonFile(definition))
}

/**
 * Under ownership, the journal must still be what the run was loaded from: another process
 * may have owned the run between our read and our taking over (two resumes at once), and
 * working from the stale read would cut its events and redo its steps.
 */
async function unchangedSinceRead(run: { files: RunFiles; state: RunState | undefined; validBytes: number }) {
  if (!run.state) return
  const now = await readJournal(run.files.journal)
  if (now.validBytes === run.validBytes) return
  const state = replay(now.events, Object.keys(run.state.steps))
  throw new DriftcoreError(
    'conflict',
    `run ${run.state.run_id} changed while this process was loading it: another process worked on it (it is now ${state.status})`,
    { hint: `see it with: driftcore workflow status ${run.state.run_id}` },
  )
}

export interface WorkOptions extends ExecuteOptions {
  resumed: boolean
  /** Events to journal before the executor starts (run.created, reused steps, a requeue…). */
  before?: JournalEntry[]
  /** Aborted by the command on SIGINT/SIGTERM: the run is cancelled, like `workflow cancel`. */
  interrupt?: AbortSignal
  actor: Actor
  /** A remote executor's id (`workflow run --on`); a run already submitted keeps its own. */
  on?: string
}

/**
 * Works on a run in this process: takes ownership (refused while another live process has it),
 * appends to its journal, runs the executor, and watches for a cancel request from elsewhere.
 */
export async function workOnRun(
  kernel: Kernel,
  run: { files: RunFiles; state: RunState | undefined; workflow: CompiledWorkflow; validBytes: number },
  deps: EngineDeps,
  options: WorkOptions,
): Promise<RunState> {
  await faultPoint('before-ownership')
  const release = await acquireOwnership(run.files.owner, path.basename(run.files.dir))
  const v = kernel.config.values
  let journal: JournalWriter | undefined
  let stopWatching = () => {}
  try {
    await unchangedSinceRead(run)
    journal = await JournalWriter.open(
      run.files.journal,
      { validBytes: run.validBytes, lastSeq: run.state?.seq ?? 0 },
      {
        fsync: v.audit.fsync,
        batchIntervalMs: v.audit.batch_interval_ms,
        redactor: kernel.redactor,
        now: () => deps.clock.now(),
      },
    )
    let state = run.state
    const before: JournalEvent[] = []
    for (const entry of options.before ?? []) before.push(await journal.append(entry))
    // On disk before anyone is told of them: a run id printed is a run that exists.
    if (before.length > 0) await journal.flush()
    for (const event of before) {
      state = applyEvent(state, event, run.workflow.order)
      options.onEvent?.(event, state)
    }
    if (!state) throw new DriftcoreError('internal', 'a run needs run.created before it can execute')
    const on = state.remote?.executor ?? options.on
    const executor = on
      ? new RemoteRun(
          state,
          run.workflow,
          journal,
          deps,
          options,
          kernel.registry.executor(on),
          kernel.config.values,
        )
      : new Executor(state, run.workflow, journal, deps, options)
    stopWatching = watchCancel(run.files.dir, run.files.cancel, deps.pollMs, (request) => {
      void executor.cancel(request.by, request.reason)
    })
    const onInterrupt = () => void executor.cancel(options.actor, 'interrupted')
    options.interrupt?.addEventListener('abort', onInterrupt, { once: true })
    try {
      return await executor.execute(options.resumed)
    } finally {
      options.interrupt?.removeEventListener('abort', onInterrupt)
    }
  } finally {
    stopWatching()
    await journal?.close()
    await release()
  }
}
