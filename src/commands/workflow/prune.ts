import { Flags } from '@oclif/core'
import { WorkflowCommand } from '../../cli/workflow-command.js'
import { table } from '../../cli/format.js'
import { parseTime } from '../../cli/time.js'
import { FINISHED_RUN } from '../../workflow/journal/state.js'

export default class WorkflowPrune extends WorkflowCommand<typeof WorkflowPrune> {
  static override summary = 'Delete finished runs older than an age, with their journals'
  static override description =
    'Keeps .driftcore/runs/ from growing for ever. Only finished runs go (succeeded, failed, cancelled, ' +
    'timed_out; narrow with --status); running and suspended runs, runs a process is working on, and ' +
    'runs with dead-lettered jobs are kept. Each deleted run is audited as run.pruned, and the audit ' +
    'records of its steps stay in the audit log. A pruned run can no longer be resumed, rerun or shown.'
  static override examples = [
    '<%= config.bin %> workflow prune --older-than 30d --dry-run',
    '<%= config.bin %> workflow prune --older-than 7d --status succeeded',
    '<%= config.bin %> workflow prune --older-than 2026-10-01 --json',
  ]
  static override flags = {
    'older-than': Flags.string({
      description: 'an age (30d, 12h) or a date: runs last updated before it go',
      default: '30d',
    }),
    status: Flags.option({
      description: 'only runs that ended so (repeatable)',
      options: FINISHED_RUN,
      multiple: true,
      default: [...FINISHED_RUN],
    })(),
    'dry-run': Flags.boolean({ description: 'list what would be deleted, delete nothing' }),
  }

  async run() {
    const before = parseTime(this.flags['older-than'], '--older-than')
    const result = await (
      await this.workflows()
    ).prune({
      before,
      statuses: this.flags.status,
      dryRun: this.flags['dry-run'],
    })
    if (!this.jsonEnabled()) {
      if (result.pruned.length > 0)
        this.log(table(result.pruned, ['run_id', 'workflow', 'status', 'updated_at']))
      this.log(
        `${result.dry_run ? 'would delete' : 'deleted'} ${result.pruned.length} run(s) last updated before ${before.toISOString()}`,
      )
      for (const k of result.kept) this.log(`kept ${k.run_id}: ${k.reason}`)
    }
    return result
  }
}
