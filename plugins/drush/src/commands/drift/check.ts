import { Flags } from '@oclif/core'
import { DriftcoreError, isDriftcoreError } from 'driftcore'
import { sourceArg } from '../../cli/source-flag.js'
import { DrushToolCommand } from '../../cli/tool-command.js'
import type { DriftReport } from '../../drift/check.js'
import { formatDriftReport } from '../../format/drift.js'

export default class DriftCheck extends DrushToolCommand<typeof DriftCheck> {
  static override summary = 'Compare the current config with a baseline; exit 0 no drift, 1 drift, 2 error'
  static override description =
    'Each config object is reported added, removed or changed, with YAML-aware key-path diffs (reordered keys are not drift; drift.noise keys such as uuid are ignored), and a remediation plan: which objects to import (restore the baseline) and which to re-export (accept the site). Without --current the live site is exported first.'
  static override examples = [
    '<%= config.bin %> drift check --baseline config/sync',
    '<%= config.bin %> drift check --baseline main --current artifact://sha256/…',
    '<%= config.bin %> drift check --baseline sandbox/example-site/config/baseline --current sandbox/example-site/config/current --json',
  ]
  static override flags = {
    baseline: Flags.string({
      required: true,
      description: 'a config folder, .tar.gz, manifest/baseline .json, artifact, or baseline name',
    }),
    current: Flags.string({ description: 'the same kinds of source (default: export the live site)' }),
  }

  async run(): Promise<DriftReport> {
    const current = this.flags.current ? sourceArg(this.flags.current) : await this.exportLive()
    const report = await this.callTool<DriftReport>('drift.check', {
      baseline: sourceArg(this.flags.baseline),
      current,
    })
    if (!this.jsonEnabled()) this.log(formatDriftReport(report))
    if (report.drift) process.exitCode = 1
    return report
  }

  // CI reads the exit code alone: 1 must mean drift, so every failure is 2 (the JSON error
  // and message still carry the precise code).
  protected override async catch(error: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    const wrapped = isDriftcoreError(error)
      ? error
      : new DriftcoreError('invalid_input', error.message, { cause: error })
    await super.catch(wrapped)
    process.exitCode = 2
    return undefined
  }
}
