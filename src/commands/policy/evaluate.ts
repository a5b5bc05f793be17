import { DriftcoreCommand } from '../../cli/base-command.js'
import { buildRequest, requestFlags } from '../../cli/policy-request.js'

export default class PolicyEvaluate extends DriftcoreCommand<typeof PolicyEvaluate> {
  static override summary =
    'Decide a request with the policy in force and record the decision in the audit log'
  static override examples = [
    '<%= config.bin %> policy evaluate --tool drush.cacheRebuild',
    `<%= config.bin %> policy evaluate --tool drush.configExport --actor agent:copilot --env prod --json`,
    '<%= config.bin %> policy evaluate --tool gitea.mergePr --risk write,network --capability forge.write',
  ]
  static override flags = requestFlags

  async run() {
    const kernel = await this.kernel()
    const request = await buildRequest(kernel, this.flags, this.actor())
    const decision = kernel.policy().compiled.evaluate(request)
    await kernel.audit.record({
      type: 'policy.decision',
      actor: this.actor(),
      subject: request.tool.id,
      data: {
        request: { ...request, input: undefined },
        decision: decision.decision,
        rule_ids: decision.rule_ids,
        deciding_rule: decision.deciding_rule,
        reason: decision.reason,
        policy: decision.snapshot,
      },
    })
    if (!this.jsonEnabled())
      this.log(
        `${decision.decision}: ${decision.reason}\nrules: ${decision.rule_ids.join(', ') || 'none'} · snapshot v${decision.snapshot.version} ${decision.snapshot.hash.slice(0, 12)}`,
      )
    return decision
  }
}
