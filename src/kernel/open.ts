import path from 'node:path'
import { setCelBudget } from '../cel/budget.js'
import type { Config as OclifConfig } from '@oclif/core'
import { Approvals } from '../approvals/approvals.js'
import { workflowDecision } from '../approvals/workflow-decision.js'
import { Approvers } from '../identity/approvers.js'
import { ArtifactStore } from '../artifacts/store.js'
import { AuditLog } from '../audit/log.js'
import { checkpointSettings } from '../audit/project-audit.js'
import { Redactor } from '../audit/redact.js'
import { loadConfig, type EffectiveConfig } from '../config/effective.js'
import { ConfigHistory } from '../config/history.js'
import { configEditor } from '../config/set.js'
import { Gate } from '../gate/invoke.js'
import { IdempotencyStore } from '../idempotency/store.js'
import { Launcher } from '../launcher/launch.js'
import { Locks } from '../locks/locks.js'
import { createLogger, type Logger, type LogSink } from '../logging/logger.js'
import { PolicyStore, type ActivePolicy } from '../policy/snapshots.js'
import { Registry, type Contribution, type SchemaBuild } from '../registry/registry.js'
import {
  createSecretResolver,
  registerConfigSecrets,
  type SecretResolver,
  type UnresolvedSecret,
} from '../secrets/resolve.js'
import { findProjectPaths, projectPaths, type ProjectPaths } from '../store/paths.js'
import { loadContributions } from './contributions.js'
import type { HostServices } from './host.js'

export interface KernelOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** The `.driftcore/` folder; otherwise DRIFTCORE_HOME or the nearest one above cwd. */
  home?: string
  /** `--config key=value` assignments: the last config layer. */
  configFlags?: readonly string[]
  /** When running under oclif: its config runs the capabilities hook and names the user config dir. */
  oclif?: OclifConfig
  /** The user's config folder (oclif's configDir) when not running under oclif. */
  userConfigDir?: string
  /** Without oclif (tests, benchmarks): the contributions to register. */
  contributions?: readonly Contribution[]
  /** When tool schemas given as functions are built (`now` unless told; see `SchemaBuild`). */
  schemas?: SchemaBuild
  logSink?: LogSink
}

/**
 * Everything a command, the MCP server or the workflow engine needs, wired once. Callers act
 * through `gate`; the other parts are for reading state and for the commands that manage it.
 */
export interface Kernel {
  paths: ProjectPaths
  config: EffectiveConfig
  registry: Registry
  gate: Gate
  policyStore: PolicyStore
  /** The snapshot in force (last-known-good when the bundles on disk were refused). */
  policy(): ActivePolicy
  /** Re-reads the policy bundles (publishing them if they changed). */
  reloadPolicy(): Promise<ActivePolicy>
  audit: AuditLog
  approvals: Approvals
  /** Who may approve: `.driftcore/allowed_signers`, checked against its audit records. */
  approvers: Approvers
  locks: Locks
  artifacts: ArtifactStore
  secrets: SecretResolver
  /** Secret references in the config that did not resolve in this process (doctor shows them). */
  unresolvedSecrets: readonly UnresolvedSecret[]
  redactor: Redactor
  logger: Logger
  /** Flushes the audit log and remembered idempotent results; call before the process exits. */
  close(): Promise<void>
}

const SYSTEM = { type: 'system', id: 'driftcore' }

export async function openKernel(options: KernelOptions = {}): Promise<Kernel> {
  const env = options.env ?? process.env
  const paths = options.home ? projectPaths(path.resolve(options.home)) : findProjectPaths(options.cwd, env)
  const contributions =
    options.contributions ?? (options.oclif ? await loadContributions(options.oclif, env) : [])
  const userConfigDir = options.userConfigDir ?? options.oclif?.configDir
  const { registry, handlers } = Registry.create(
    contributions,
    options.schemas === undefined ? {} : { schemas: options.schemas },
  )
  const config = await loadConfig({
    paths,
    env,
    flags: options.configFlags ?? [],
    sections: registry.configSections(),
    ...(userConfigDir === undefined ? {} : { userConfigDir }),
  })
  const v = config.values
  setCelBudget({ steps: v.limits.cel_max_steps, ms: v.limits.cel_max_ms })
  const redactor = new Redactor({
    extraPatterns: v.redaction.extra_patterns,
    sensitiveKeys: v.redaction.sensitive_keys,
  })
  // Before anything can print or record a value: every secret the config names is masked.
  const secrets = createSecretResolver({ root: paths.root, env, redactor })
  const unresolvedSecrets = await registerConfigSecrets(v, secrets)
  const logger = createLogger({ redactor, ...(options.logSink ? { sink: options.logSink } : {}) })
  for (const { reason } of unresolvedSecrets) logger.debug(reason)
  for (const { error } of registry.refused()) logger.warn(`${error.message} (${error.hint ?? ''})`)
  const audit = new AuditLog(paths.audit, {
    fsync: v.audit.fsync,
    batchIntervalMs: v.audit.batch_interval_ms,
    segmentMaxBytes: v.audit.segment_max_bytes,
    redactor,
    checkpoints: checkpointSettings(paths, v.audit),
    warn: (message) => logger.warn(message),
  })
  // Config files edited since the last command leave their record before anything else happens.
  const configHistory = new ConfigHistory(paths.state, audit)
  await configHistory.observe(config, registry.configSections(), SYSTEM)
  const policyStore = new PolicyStore(paths, {
    trustedKeys: v.policy.trusted_keys,
    audit,
    maxYamlBytes: v.limits.max_yaml_bytes,
  })
  let active = await policyStore.active()
  const warnRefusal = (policy: ActivePolicy) => {
    for (const problem of policy.integrity ?? []) {
      logger.warn(`${problem.message}; it is not used (snapshot ${policy.snapshot.version} is in force)`)
    }
    if (policy.refusal) {
      logger.warn(
        `policy bundles refused, snapshot ${policy.snapshot.version} stays in force: ${policy.refusal.message}`,
      )
    }
  }
  warnRefusal(active)
  const approvers = new Approvers(paths.home, audit, { requireSignature: v.approvals.require_signature })
  const approvals = new Approvals(paths.state, {
    ttlMs: v.approvals.ttl_ms,
    approvers,
    audit,
    configHash: config.hash,
    environment: v.project.environment,
  })
  const artifacts = new ArtifactStore(paths.artifacts, paths.state, {
    maxBytes: v.artifacts.max_bytes,
    retentionDays: v.artifacts.retention_days,
  })
  const launcher = new Launcher({
    root: paths.root,
    allowlist: v.launcher.allowlist,
    envPassthrough: v.launcher.env_passthrough,
    defaultTimeoutMs: v.launcher.default_timeout_ms,
    killGraceMs: v.launcher.kill_grace_ms,
    maxOutputBytes: v.launcher.max_output_bytes,
    maxLogBytes: v.launcher.max_log_bytes,
    isolation: v.launcher.isolation,
    containment: v.launcher.containment,
    redactor,
    secrets,
    env,
    storeLog: async (log, name) =>
      (await artifacts.put(log, { name, mediaType: 'text/plain', retention: 'standard' })).uri,
  })
  const locks = new Locks(paths.state, v.locks.default_ttl_ms)
  const idempotency = new IdempotencyStore(paths.state, v.idempotency.window_ms, {
    fsync: v.audit.fsync,
    batchIntervalMs: v.audit.batch_interval_ms,
  })
  const host: HostServices = {
    setConfig: configEditor({
      paths,
      env,
      flags: options.configFlags ?? [],
      sections: registry.configSections(),
      ...(userConfigDir === undefined ? {} : { userConfigDir }),
      history: configHistory,
    }),
    changeApprovers: (change, actor) => approvers.change(change, actor),
    workflowDecision: (input, actor, traceId) => workflowDecision(approvals, input, actor, traceId),
    async verifyAudit() {
      const { verify } = await import('../control/operations.js')
      const { approvals, signatures, ...chain } = await verify({ audit, paths, config, approvers })
      return {
        ok: chain.ok,
        records: chain.records,
        segments: chain.segments,
        last_hash: chain.last_hash,
        ...(chain.checkpoints === undefined ? {} : { checkpoints: chain.checkpoints }),
        ...(chain.problem ? { problem: chain.problem } : {}),
        approval_problems: [...approvals.problems, ...signatures.problems].map((p) => p.message),
      }
    },
    async rollbackPolicy(actor, to) {
      const { snapshot, from } = await policyStore.rollback(actor, to)
      active = await policyStore.active()
      return { version: snapshot.version, hash: snapshot.hash, from }
    },
  }
  const gate = new Gate({
    registry,
    handlers,
    policy: () => active.compiled,
    audit,
    approvals,
    idempotency,
    locks,
    artifacts,
    launcher,
    secrets,
    redactor,
    logger,
    paths,
    config: v,
    configMeta: { version: config.version, hash: config.hash, origins: config.origins },
    host,
    limits: {
      maxInputBytes: v.limits.max_input_bytes,
      inlineMaxBytes: v.artifacts.inline_max_bytes,
      settleMs: v.launcher.kill_grace_ms + 1000,
    },
  })
  return {
    paths,
    config,
    registry,
    gate,
    policyStore,
    policy: () => active,
    async reloadPolicy() {
      active = await policyStore.active()
      warnRefusal(active)
      return active
    },
    audit,
    approvals,
    approvers,
    locks,
    artifacts,
    secrets,
    unresolvedSecrets,
    redactor,
    logger,
    close: async () => {
      await idempotency.flush()
      await audit.close()
    },
  }
}
