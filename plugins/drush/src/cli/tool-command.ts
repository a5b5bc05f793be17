import { Flags, type Command } from '@oclif/core'
import { DriftcoreCommand } from 'driftcore'

/**
 * A plugin command: it calls one tool through the gate and prints the tool's output, drawn
 * for people or as --json (the same object either way). Never a handler or the launcher.
 */
export abstract class ToolCommand<T extends typeof Command> extends DriftcoreCommand<T> {
  /** For commands whose tool changes things: an approved request for exactly this call. */
  static approvalFlag = {
    approval: Flags.string({
      description: 'an approved approval id for exactly this call (see driftcore approvals)',
    }),
  }

  protected async call<O>(toolId: string, input: Record<string, unknown>, approvalId?: string): Promise<O> {
    const kernel = await this.kernel()
    const result = await kernel.gate.invoke(toolId, input, this.actor(), approvalId ? { approvalId } : {})
    this.note(`trace ${result.trace_id} · ${result.decision.decision} · ${Math.round(result.duration_ms)} ms`)
    return result.output as O
  }

  /** Exports the live site (drush.configExport, through the gate) and returns its record. */
  protected async exportLive(): Promise<string> {
    this.note('exporting the live site (drush config:export)…')
    return (await this.call<{ record: string }>('drush.configExport', {})).record
  }
}
