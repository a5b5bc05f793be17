import { Flags } from '@oclif/core'
import { palette } from '../../cli/color.js'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { describeConstraints, questionToSend, requestFlags } from '../../cli/policy-request.js'
import { serverFlags } from '../../cli/remote.js'

export default class PolicyExplain extends DriftcoreCommand<typeof PolicyExplain> {
  static override summary =
    'Show every rule, whether it matched the request, and why it did or did not decide'
  static override description =
    'For each matched rule: decided, overridden (by which rule), or why it did not win (less restrictive, final). Warns about ALLOW rules that can never decide. --json carries the same.'
  static override examples = [
    '<%= config.bin %> policy explain --tool drush.cacheRebuild --actor agent:copilot',
    '<%= config.bin %> policy explain --tool drush.status --bundle draft.yaml --json',
  ]
  static override flags = {
    ...requestFlags,
    ...serverFlags,
    bundle: Flags.string({ description: 'explain against a draft bundle' }),
  }

  async run() {
    const remote = await this.remote()
    const ops = await import('../../control/operations.js')
    const question = await questionToSend(this.flags, { readBundle: remote !== undefined })
    const explanation = remote
      ? await remote.post<Awaited<ReturnType<typeof ops.explain>>>('/policy/explain', question)
      : await ops.explain(
          await this.kernel(),
          question,
          { who: this.actor(), identity: {} },
          this.flags.bundle,
        )
    if (!this.jsonEnabled()) {
      const paint = palette()
      for (const rule of explanation.rules) {
        const tags = [
          rule.final ? 'final' : '',
          rule.overrides ? `overrides ${rule.overrides.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join(', ')
        this.log(
          `${rule.matched ? '✓' : '·'} ${rule.bundle}/${rule.id} → ${paint.state(rule.decision)}${tags ? ` (${tags})` : ''}\n    ${rule.because.join('\n    ')}${rule.matched ? `\n    ⇒ ${rule.why}` : ''}`,
        )
      }
      const d = explanation.decision
      this.log(
        `\ndecision: ${paint.state(d.decision)} — ${d.reason}${d.deciding_rule ? ` (rule ${d.deciding_rule})` : ''}`,
      )
      if (d.approvals_required) this.log(`approvals: ${d.approvals_required} different people`)
      this.log(describeConstraints(d.constraints))
      for (const w of explanation.warnings) this.log(`warning: ${w.message}`)
    }
    return explanation
  }
}
