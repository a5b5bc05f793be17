import { Flags, type Command } from '@oclif/core'
import { DriftcoreCommand } from 'driftcore'

/**
 * A command that is one tool call: it hands its input to the gate (policy, approval, audit) and
 * gets back the tool's output, which is both what --json prints and what the human view is drawn from.
 */
export abstract class ToolCommand<T extends typeof Command> extends DriftcoreCommand<T> {
  static override baseFlags = {
    ...DriftcoreCommand.baseFlags,
    approval: Flags.string({
      description: 'an approved approval id for exactly this call (when policy asked a person first)',
      helpGroup: 'GLOBAL',
    }),
  }

  protected async callTool<O>(toolId: string, input: Record<string, unknown>): Promise<O> {
    const kernel = await this.kernel()
    const approvalId = (this.flags as { approval?: string }).approval
    const result = await kernel.gate.invoke(toolId, input, this.actor(), approvalId ? { approvalId } : {})
    this.note(`${toolId} · trace ${result.trace_id} · ${result.decision.decision} · ${result.duration_ms} ms`)
    return result.output as O
  }

  /** Prints human output unless --json is on (then oclif prints the returned object). */
  protected show(text: string): void {
    if (!this.jsonEnabled()) this.log(text)
  }
}
