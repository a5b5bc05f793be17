import type { Command } from '@oclif/core'
import { ToolCommand } from 'driftcore'

/** A drush plugin command: one tool call through the gate, plus exporting the live site. */
export abstract class DrushToolCommand<T extends typeof Command> extends ToolCommand<T> {
  /** Exports the live site (drush.configExport, through the gate) and returns its record. */
  protected async exportLive(): Promise<string> {
    this.note('exporting the live site (drush config:export)…')
    return (await this.callTool<{ record: string }>('drush.configExport', {})).record
  }
}
