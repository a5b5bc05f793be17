import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { buildRequest, requestFlags } from '../../cli/policy-request.js'

export default class PolicyExplain extends DriftcoreCommand<typeof PolicyExplain> {
  static override summary = 'Show every rule, whether it matched the request, and why'
  static override examples = [
    '<%= config.bin %> policy explain --tool drush.cacheRebuild --actor agent:copilot',
    '<%= config.bin %> policy explain --tool drush.status --bundle draft.yaml --json',
  ]
  static override flags = {
    ...requestFlags,
    bundle: Flags.string({ description: 'explain against a draft bundle' }),
  }

  async run() {
    const kernel = await this.kernel()
    const request = await buildRequest(kernel, this.flags, this.actor())
    const policy = this.flags.bundle
      ? await kernel.policyStore.draft(this.flags.bundle)
      : kernel.policy().compiled
    const explanation = policy.explain(request)
    if (!this.jsonEnabled()) {
      for (const rule of explanation.rules) {
        this.log(
          `${rule.matched ? '✓' : '·'} ${rule.bundle}/${rule.id} → ${rule.decision}\n    ${rule.because.join('\n    ')}`,
        )
      }
      const d = explanation.decision
      this.log(
        `\ndecision: ${d.decision} — ${d.reason}${d.deciding_rule ? ` (rule ${d.deciding_rule})` : ''}`,
      )
    }
    return explanation
  }
}
