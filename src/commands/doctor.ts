import { DriftcoreCommand } from '../cli/base-command.js'
import { table } from '../cli/format.js'
import { auditApprovalEvidence } from '../approvals/evidence.js'
import { verifyProjectAudit } from '../audit/project-audit.js'
import { resolveAllowed } from '../launcher/allowlist.js'
import { ERROR_CODES, toDriftcoreError } from '../errors/driftcore-error.js'
import { checkPrograms, configuredPrograms, type Check } from '../project/doctor.js'
import { checkConfigHistory, checkPolicyStore } from '../project/doctor-integrity.js'
import { pluginLoadChecks } from '../project/plugin-health.js'

export default class Doctor extends DriftcoreCommand<typeof Doctor> {
  static override summary = 'Check the machine and the project: programs found, config, policy, audit chain'
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json']

  async run() {
    const checks: Check[] = []
    // A tampered record, checkpoint or snapshot is not a missing program: it exits like `audit verify`.
    let integrity = false
    let requires: string[] = []
    let configured: ReturnType<typeof configuredPrograms> = {}
    try {
      const kernel = await this.kernel()
      configured = configuredPrograms(
        [...new Set(kernel.registry.tools().flatMap((t) => t.requires ?? []))],
        kernel.config.values,
        (file) =>
          resolveAllowed(
            file,
            kernel.config.values.launcher.allowlist,
            kernel.paths.root,
            process.env.PATH ?? '',
          ),
      )
      requires = [...new Set(kernel.registry.tools().flatMap((t) => t.requires ?? []))].filter(
        (r) => !['git', 'php', 'drush', 'network'].includes(r),
      )
      checks.push({ check: 'project', status: 'ok', detail: kernel.paths.home })
      checks.push({ check: 'config', status: 'ok', detail: `sha256 ${kernel.config.hash.slice(0, 16)}` })
      if (kernel.unresolvedSecrets.length > 0)
        checks.push({
          check: 'secrets',
          status: 'warn',
          detail: `${kernel.unresolvedSecrets.length} config reference(s) do not resolve here: ${kernel.unresolvedSecrets.map((s) => s.ref).join(', ')}`,
        })
      const policy = kernel.policy()
      checks.push({
        check: 'policy',
        status: policy.refusal ? 'warn' : 'ok',
        detail: `snapshot v${policy.snapshot.version}${policy.refusal ? ` (bundles on disk refused: ${policy.refusal.message.split('\n')[0]})` : ''}`,
      })
      await kernel.audit.flush() // what this process recorded on opening is part of the log checked
      checks.push(await checkConfigHistory(kernel))
      checks.push(...(await checkPolicyStore(kernel.policyStore, kernel.paths.audit)))
      const audit = await verifyProjectAudit(kernel.paths, kernel.config.values.audit)
      if (!audit.ok) integrity = true
      checks.push({
        check: 'audit',
        status: audit.ok ? 'ok' : 'error',
        detail: audit.ok ? `${audit.records} records, chain intact` : audit.problem!.message,
      })
      // Approvals the state file says were granted must have their audit record.
      const approvals = await auditApprovalEvidence(kernel.paths.state, kernel.paths.audit)
      if (approvals.problems.length > 0) integrity = true
      checks.push({
        check: 'approvals',
        status: approvals.problems.length > 0 ? 'error' : 'ok',
        detail:
          approvals.problems.length > 0
            ? approvals.problems.map((p) => p.message).join('; ')
            : `${approvals.checked} granted, each with its audit record`,
      })
      const approvers = await kernel.approvers.state()
      if (approvers.problem) integrity = true
      checks.push({
        check: 'approvers',
        status: approvers.problem ? 'error' : 'ok',
        detail:
          approvers.problem ??
          (approvers.entries.length > 0
            ? `${approvers.entries.length} key(s) in ${approvers.file}, as recorded; approvals are signed`
            : 'none: approvals are not signed (driftcore approvers add NAME --key FILE)'),
      })
      checks.push({ check: 'tools', status: 'ok', detail: `${kernel.registry.tools().length} registered` })
      // Which plugin owns which names, and any plugin refused (a bug, or one reaching around the gate).
      for (const plugin of kernel.registry.plugins()) {
        const owns = [
          ...plugin.prefixes.map((p) => `${p}.*`),
          ...plugin.resourcePrefixes.map((p) => `driftcore://${p}/`),
        ]
        checks.push({
          check: `plugin ${plugin.plugin}`,
          status: 'ok',
          detail: `owns ${owns.join(' ') || 'nothing'}; ${plugin.tools.length} tools, ${plugin.resources.length} resources`,
        })
      }
      for (const { plugin, error } of kernel.registry.refused())
        checks.push({ check: `plugin ${plugin}`, status: 'error', detail: error.message })
      checks.push(...(await pluginLoadChecks(this.config)))
    } catch (error) {
      const e = toDriftcoreError(error)
      checks.push({ check: 'project', status: 'error', code: e.code, detail: e.message.split('\n')[0]! })
    }
    checks.unshift(...checkPrograms(requires, configured))
    if (!this.jsonEnabled()) this.log(table(checks, ['check', 'status', 'detail']))
    // Checks that found tampering say so with code: integrity (the config and policy ones).
    if (checks.some((c) => c.status === 'error' && c.code === 'integrity')) integrity = true
    if (integrity) process.exitCode = ERROR_CODES.integrity
    else if (checks.some((c) => c.status === 'error')) process.exitCode = 1
    return checks
  }
}
