import { Flags, type Command } from '@oclif/core'
import { DriftcoreCommand, ToolCommand } from 'driftcore'

/**
 * A scaffold/sandbox/QA command: one tool call through the gate. Every one takes --approval,
 * since the default policy asks a person before most of them.
 */
export abstract class ScaffoldToolCommand<T extends typeof Command> extends ToolCommand<T> {
  static override baseFlags = {
    ...DriftcoreCommand.baseFlags,
    approval: Flags.string({
      description: 'an approved approval id for exactly this call (when policy asked a person first)',
      helpGroup: 'GLOBAL',
    }),
  }

  protected async callWithApproval<O>(toolId: string, input: Record<string, unknown>): Promise<O> {
    return this.callTool<O>(toolId, input, (this.flags as { approval?: string }).approval)
  }

  /** Prints human output unless --json is on (then oclif prints the returned object). */
  protected show(text: string): void {
    if (!this.jsonEnabled()) this.log(text)
  }
}
