import type { Actor } from '../audit/record.js'
import type { DryRunResult, InvokeResult } from '../gate/invoke.js'
import type { Kernel } from '../kernel/open.js'
import { decisionText } from './decision.js'
import { readJsonInput } from './input.js'
import { progressLine } from './progress.js'

/** The flags of `tools call`, as the oclif command and the direct entry both parse them. */
export interface ToolCallFlags {
  input?: string | undefined
  dryRun: boolean
  idempotencyKey?: string | undefined
  approval?: string | undefined
}

/** Where a call's text goes: stdout for the output, stderr for notes; nothing but --json when json. */
export interface CallOutput {
  json: boolean
  log(message: string): void
  note(message: string): void
}

/**
 * `tools call`: reads the input, calls the tool through the gate (or decides only, with
 * --dry-run), waits for its record to be on disk and prints the output and the trace line.
 * Returns what --json prints.
 */
export async function callTool(
  kernel: Kernel,
  id: string,
  flags: ToolCallFlags,
  actor: () => Actor,
  out: CallOutput,
): Promise<InvokeResult | DryRunResult> {
  const input = await readJsonInput(flags.input, { maxBytes: kernel.config.values.limits.max_input_bytes })
  // A bar or spinner on a terminal's stderr while it runs; nothing on a pipe.
  const progress = progressLine(id)
  const options = {
    ...(flags.idempotencyKey ? { idempotencyKey: flags.idempotencyKey } : {}),
    ...(flags.approval ? { approvalId: flags.approval } : {}),
    ...(process.stderr.isTTY ? { onProgress: progress.update } : {}),
  }
  if (flags.dryRun) {
    const result = await kernel.gate.invoke(id, input, actor(), { ...options, dryRun: true })
    if (!out.json)
      out.log(
        `${result.decision.decision}: ${result.decision.reason} (rules: ${result.decision.rule_ids.join(', ') || 'none'})`,
      )
    return result
  }
  const result = await kernel.gate.invoke(id, input, actor(), options).finally(() => progress.done())
  // Reported only once its record is on disk (with fsync batch the gate returns before).
  await kernel.audit.flush()
  if (!out.json) {
    out.log(JSON.stringify(result.output, null, 2))
    out.note(
      `trace ${result.trace_id} · ${decisionText(result)} · ${result.duration_ms} ms${result.replayed ? ' · replayed' : ''}`,
    )
  }
  return result
}
