import { Flags, type Command } from '@oclif/core'
import { DriftcoreCommand } from './base-command.js'
import { decisionText } from './decision.js'
import { colorEnabled, palette } from './color.js'

/**
 * A command that is one tool call: it hands its input to the gate (policy, approval, audit) and
 * gets back the tool's output, which is both what --json prints and what the human view is
 * drawn from. The trace and decision go to stderr.
 */
export abstract class ToolCommand<T extends typeof Command> extends DriftcoreCommand<T> {
  /** For commands whose tool changes things: an approved request for exactly this call. */
  static approvalFlag = {
    approval: Flags.string({
      description: 'an approved approval id for exactly this call (when policy asked a person first)',
    }),
  }

  protected async callTool<O>(
    toolId: string,
    input: Record<string, unknown>,
    approvalId?: string,
  ): Promise<O> {
    const kernel = await this.kernel()
    const result = await kernel.gate.invoke(toolId, input, this.actor(), approvalId ? { approvalId } : {})
    this.note(
      `${toolId} · trace ${result.trace_id} · ${palette(colorEnabled(process.stderr)).state(decisionText(result))} · ${Math.round(result.duration_ms)} ms`,
    )
    return result.output as O
  }
}
