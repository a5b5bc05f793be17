import { Flags } from '@oclif/core'
import { RESULT_EXIT_CODES } from 'driftcore'
import { sourceArg } from '../../cli/source-flag.js'
import { DrushToolCommand } from '../../cli/tool-command.js'
import type { DriftReport } from '../../drift/check.js'
import { formatDriftReport } from '../../format/drift.js'

export default class DriftCheck extends DrushToolCommand<typeof DriftCheck> {
  static override summary =
    'Compare the current config with a baseline; exit 0 no drift, 20 drift, an error its own code'
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
    // Drift is a result, not an error: its own code, outside the error range (1-11, 130), so CI
    // can tell a drifted site from a check that could not run (which exits with its error's code).
    if (report.drift) process.exitCode = RESULT_EXIT_CODES.drift
    return report
  }
}
