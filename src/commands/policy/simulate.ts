import { Flags } from '@oclif/core'
import { palette } from '../../cli/color.js'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { describeConstraints, questionToSend, requestFlags } from '../../cli/policy-request.js'
import { serverFlags } from '../../cli/remote.js'

export default class PolicySimulate extends DriftcoreCommand<typeof PolicySimulate> {
  static override summary = 'Decide a request without side effects, optionally against a draft bundle'
  static override description =
    'Nothing is recorded and nothing is published: use it to try a draft bundle before publishing it.'
  static override examples = [
    '<%= config.bin %> policy simulate --tool drush.cacheRebuild --actor agent:copilot',
    '<%= config.bin %> policy simulate --tool drush.cacheRebuild --bundle draft.yaml --json',
  ]
  static override flags = {
    ...requestFlags,
    ...serverFlags,
    bundle: Flags.string({
      description: 'a draft bundle file, used in place of the bundle with the same name',
    }),
  }

  async run() {
    const remote = await this.remote()
    const ops = await import('../../control/operations.js')
    const question = await questionToSend(this.flags, { readBundle: remote !== undefined })
    const decision = remote
      ? await remote.post<Awaited<ReturnType<typeof ops.simulate>>>('/policy/simulate', question)
      : await ops.simulate(
          await this.kernel(),
          question,
          { who: this.actor(), identity: {} },
          this.flags.bundle,
        )
    if (!this.jsonEnabled()) {
      this.log(
        `${palette().state(decision.decision)}: ${decision.reason}\nrules: ${decision.rule_ids.join(', ') || 'none'}${this.flags.bundle ? ' (draft)' : ''}`,
      )
      for (const rule of decision.matched)
        this.log(`  ${rule.bundle}/${rule.id} → ${rule.decision}: ${rule.why}`)
      this.log(describeConstraints(decision.constraints))
      for (const w of decision.warnings) this.log(`warning: ${w.message}`)
    }
    return decision
  }
}
