import { Flags } from '@oclif/core'
import { ScaffoldToolCommand } from '../../cli/tool-command.js'
import { formatQa, type QaView } from '../../formatters/qa.js'

export default class QaRun extends ScaffoldToolCommand<typeof QaRun> {
  static override summary = 'Run the QA chain (qa.chain) in the sandbox; exits 1 when a step fails'
  static override description =
    'Each entry runs through the launcher in the sandbox profile. Every entry is checked against launcher.allowlist before the first one runs. Logs, JUnit reports and the whole result are kept as artifacts.'
  static override examples = [
    '<%= config.bin %> qa run',
    '<%= config.bin %> qa run --only php-lint --json',
    '<%= config.bin %> qa run --keep-going',
  ]
  static override flags = {
    only: Flags.string({ description: 'run only this entry of qa.chain (repeatable)', multiple: true }),
    'keep-going': Flags.boolean({ description: 'run every entry even after a failure' }),
  }

  async run() {
    const out = await this.callWithApproval<QaView>('qa.runTests', {
      ...(this.flags.only ? { only: this.flags.only } : {}),
      ...(this.flags['keep-going'] ? { stop_on_failure: false } : {}),
    })
    this.show(formatQa(out))
    if (!out.ok) process.exitCode = 1
    return out
  }
}
