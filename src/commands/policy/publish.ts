import { DriftcoreCommand } from '../../cli/base-command.js'

export default class PolicyPublish extends DriftcoreCommand<typeof PolicyPublish> {
  static override summary =
    'Validate (and verify signatures of) the bundles in .driftcore/policy and make them the current snapshot'
  static override description =
    'A bundle that is invalid or, with policy.trusted_keys set, unsigned or badly signed is refused: the refusal is audited ' +
    'and the last-known-good snapshot stays in force. Publishing also lifts a rollback pin. ' +
    'It warns about ALLOW rules that can never decide (a more restrictive rule always matches with them).'
  static override examples = ['<%= config.bin %> policy publish', '<%= config.bin %> policy publish --json']

  async run() {
    const kernel = await this.kernel()
    const snapshot = await kernel.policyStore.publish(this.actor())
    await kernel.reloadPolicy()
    // ALLOW rules that can never decide for any installed tool: published, but worth a look.
    const warnings = kernel
      .policy()
      .compiled.shadowed(
        kernel.registry.tools().map((t) => ({ id: t.id, capability: t.capability, risk_tags: t.risk })),
      )
    if (!this.jsonEnabled()) {
      this.log(
        `published snapshot v${snapshot.version} (${snapshot.hash.slice(0, 16)}) from ${snapshot.bundles.map((b) => b.name).join(', ')}`,
      )
      for (const w of warnings) this.warn(w.message)
    }
    return {
      warnings,
      version: snapshot.version,
      hash: snapshot.hash,
      bundles: snapshot.bundles.map((b) => ({
        name: b.name,
        file: b.file,
        sha256: b.sha256,
        signed_by: b.signed_by ?? null,
      })),
    }
  }
}
