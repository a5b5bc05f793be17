import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { buildRequest, requestFlags } from '../../cli/policy-request.js'

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
    bundle: Flags.string({
      description: 'a draft bundle file, used in place of the bundle with the same name',
    }),
  }

  async run() {
    const kernel = await this.kernel()
    const request = await buildRequest(kernel, this.flags, this.actor())
    const policy = this.flags.bundle
      ? await kernel.policyStore.draft(this.flags.bundle)
      : kernel.policy().compiled
    const decision = policy.evaluate(request)
    if (!this.jsonEnabled())
      this.log(
        `${decision.decision}: ${decision.reason}\nrules: ${decision.rule_ids.join(', ') || 'none'}${this.flags.bundle ? ' (draft)' : ''}`,
      )
    return decision
  }
}
