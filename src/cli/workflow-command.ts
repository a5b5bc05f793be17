import { Args, Flags, type Command } from '@oclif/core'
import type { JournalEvent } from '../workflow/journal/events.js'
import type { RunState } from '../workflow/journal/state.js'
import type { RunView, WorkflowService } from '../workflow/service.js'
import { DriftcoreCommand } from './base-command.js'
import { ERROR_CODES } from '../errors/driftcore-error.js'

/** The arguments and flags several workflow commands share. */
export const workflowArgs = {
  file: Args.string({
    description: 'a workflow file, or a name under .driftcore/workflows/',
    required: true,
  }),
  run: Args.string({ description: 'run id', required: true }),
}
export const waitFlag = Flags.boolean({
  description: 'keep waiting for approvals instead of suspending the run',
})

/** The exit code of a run that stopped: success only when it succeeded. */
const RUN_EXIT: Record<RunState['status'], number> = {
  succeeded: 0,
  running: ERROR_CODES.internal,
  suspended: ERROR_CODES.approval_required,
  failed: ERROR_CODES.internal,
  timed_out: ERROR_CODES.timeout,
  cancelled: ERROR_CODES.cancelled,
}

/**
 * What the workflow commands share: the engine, loaded only when a command runs; a view of a
 * run's events (live on a TTY, plain lines otherwise, JSON lines with --json); and the exit code
 * of the run's outcome.
 */
export abstract class WorkflowCommand<T extends typeof Command> extends DriftcoreCommand<T> {
  private svc: WorkflowService | undefined

  protected async workflows(): Promise<WorkflowService> {
    if (!this.svc) {
      const kernel = await this.kernel()
      const { WorkflowService } = await import('../workflow/service.js')
      this.svc = new WorkflowService(kernel, { actor: this.actor() })
    }
    return this.svc
  }

  /** With --json, each value is one line: the events of a run stream as JSON lines. */
  override logJson(json: unknown): void {
    process.stdout.write(JSON.stringify(json) + '\n')
  }

  /** Ctrl-C cancels the run like `workflow cancel` would, so its processes do not outlive it. */
  protected interrupt(): AbortSignal {
    const controller = new AbortController()
    const stop = () => controller.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    return controller.signal
  }

  protected async presenter(order: readonly string[]) {
    if (this.jsonEnabled())
      return { onEvent: (event: JournalEvent) => this.logJson(event), done: () => undefined }
    if (process.stdout.isTTY && !process.env.CI) {
      const { liveView } = await import('../workflow/view/live.js')
      return liveView(process.stdout, order)
    }
    const { eventLine } = await import('../workflow/view/format.js')
    return { onEvent: (event: JournalEvent) => this.log(eventLine(event)), done: () => undefined }
  }

  /** Runs `work` with the view attached, then reports the outcome and sets the exit code. */
  protected async watch(
    order: readonly string[],
    work: (options: {
      onEvent: (e: JournalEvent, s: RunState) => void
      interrupt: AbortSignal
    }) => Promise<RunView>,
  ) {
    const view = await this.presenter(order)
    let result: RunView
    try {
      result = await work({ onEvent: (e, s) => view.onEvent(e, s), interrupt: this.interrupt() })
    } finally {
      view.done()
    }
    return this.outcome(result.state)
  }

  protected async outcome(state: RunState) {
    process.exitCode = RUN_EXIT[state.status]
    const { nextStep, resultText } = await import('../workflow/view/format.js')
    const next = nextStep(state)
    if (!this.jsonEnabled()) {
      const warned = state.result?.outcome === 'succeeded_with_warnings' ? ' with warnings' : ''
      this.log(`${state.run_id} ${state.status}${warned}${state.summary ? `: ${state.summary}` : ''}`)
      if (state.result) this.log(resultText(state.result))
      if (next) this.note(next)
    }
    return {
      run_id: state.run_id,
      workflow: state.workflow_name,
      status: state.status,
      ...(state.summary ? { summary: state.summary } : {}),
      ...(state.result ? { result: state.result } : {}),
      ...(next ? { next } : {}),
      steps: Object.fromEntries(
        Object.entries(state.steps).map(([id, s]) => [
          id,
          {
            status: s.status,
            attempt: s.attempt,
            ...(s.error ? { error: s.error } : {}),
            ...(s.dlq_id ? { dlq_id: s.dlq_id } : {}),
            ...(s.approval_id ? { approval_id: s.approval_id } : {}),
          },
        ]),
      ),
    }
  }
}
