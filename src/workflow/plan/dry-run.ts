import type { Actor } from '../../audit/record.js'
import { toDriftcoreError } from '../../errors/driftcore-error.js'
import type { Gate } from '../../gate/invoke.js'
import type { PolicyDecision } from '../../policy/engine.js'
import { evaluateCel, jsonToCel, runContext, type ExprContext } from '../expr/template.js'
import { templatesOf, type CompiledStep, type CompiledWorkflow } from '../format/compile.js'
import { durationMs } from '../format/duration.js'
import { buildEnvelope } from '../job/envelope.js'
import { routeTopic, type PoolsConfig } from '../pools/route.js'

export type PlanAction =
  | 'allowed'
  | 'denied'
  | 'needs_approval'
  | 'skipped'
  | 'blocked'
  | 'dlq'
  | 'invalid'
  | 'human_gate'
  | 'wait'
  | 'evaluate'

export interface PlanStep {
  step: string
  type: string
  action: PlanAction
  /** What the step calls (tool, route) when it is a gate call. */
  target?: string
  decision?: PolicyDecision['decision']
  rule?: string | null
  reason: string
  /** Some of the input comes from other steps' outputs: the decision used what was known. */
  input_known: boolean
}

const BLOCKING: ReadonlySet<PlanAction> = new Set(['denied', 'blocked', 'dlq', 'invalid'])

/**
 * What a run would do, without doing any of it: every worker and notify step decided by the
 * policy in force (the gate's dry run, which records nothing), routes resolved, `when:`
 * evaluated where it depends on the input only. No journal, no approval request, no handler.
 */
export function planRun(args: {
  workflow: CompiledWorkflow
  input: unknown
  actor: Actor
  gate: Gate
  pools: PoolsConfig
  env: Record<string, string>
  tenant: string
}): Promise<PlanStep[]> {
  const { workflow } = args
  const context: ExprContext = {
    inputs: jsonToCel(args.input),
    steps: {},
    run: runContext({
      run_id: 'dry-run',
      workflow_name: workflow.definition.name,
      actor: args.actor,
      created_at: new Date().toISOString(),
    }),
    env: args.env,
  }
  const planned = new Map<string, PlanStep>()
  return (async () => {
    for (const id of workflow.order) {
      const step = workflow.steps.get(id)!
      planned.set(id, await planStep(step, planned, context, args))
    }
    return workflow.order.map((id) => planned.get(id)!)
  })()
}

async function planStep(
  step: CompiledStep,
  planned: Map<string, PlanStep>,
  context: ExprContext,
  args: Parameters<typeof planRun>[0],
): Promise<PlanStep> {
  const def = step.def
  const base = { step: def.id, type: def.type, input_known: true }
  const blocker = def.always ? undefined : step.dependencies.find((d) => BLOCKING.has(planned.get(d)!.action))
  if (blocker) return { ...base, action: 'blocked', reason: `dependency ${blocker} would not succeed` }
  if (step.when && step.whenSteps.size === 0) {
    try {
      if (evaluateCel(step.when, context, `${def.id}: when`) !== true)
        return { ...base, action: 'skipped', reason: `when: ${def.when} is false` }
    } catch (error) {
      return { ...base, action: 'invalid', reason: toDriftcoreError(error).message }
    }
  }
  switch (def.type) {
    case 'approval':
      return {
        ...base,
        action: 'human_gate',
        reason: `a person approves${def.approvers ? ` (${def.approvers.join(', ')})` : ''}`,
      }
    case 'delay':
      return {
        ...base,
        action: 'wait',
        reason:
          def.duration !== undefined ? `waits ${durationMs(def.duration)} ms` : `waits until ${def.until}`,
      }
    case 'condition':
      return { ...base, action: 'evaluate', reason: def.expression }
    case 'notify':
      return decide(base, 'workflow.notify', 'workflow.notify', step, context, args, (message) => ({
        message,
        sinks: def.sinks,
      }))
    case 'worker': {
      const templates = templatesOf(step)
      const known = templates.with!.steps.size === 0
      const input = known ? templates.with!.evaluate(context) : {}
      if (def.tool)
        return decide(
          { ...base, input_known: known },
          def.tool,
          `tool:${def.tool}`,
          step,
          context,
          args,
          () => input,
        )
      const route = routeTopic(def.topic!, def.meta?.requires ?? [], args.pools)
      if (route.kind === 'none') return { ...base, action: 'dlq', reason: `no_pool_mapping: ${route.reason}` }
      if (route.kind === 'tool')
        return decide(
          { ...base, input_known: known },
          route.tool,
          `pool:${route.pool} → tool:${route.tool}`,
          step,
          context,
          args,
          () => input,
        )
      const job = buildEnvelope({
        runId: 'dry-run',
        step: def.id,
        attempt: 1,
        traceId: 'dry-run',
        topic: def.topic!,
        tenant: args.tenant,
        actor: args.actor,
        idempotencyKey: 'dry-run',
        meta: def.meta,
        input,
        now: Date.now(),
      })
      return decide(
        { ...base, input_known: known },
        'pool.exec',
        `pool:${route.pool} → command`,
        step,
        context,
        args,
        () => ({
          pool: route.pool,
          job,
        }),
      )
    }
  }
}

async function decide(
  base: Omit<PlanStep, 'action' | 'reason'>,
  tool: string,
  target: string,
  step: CompiledStep,
  context: ExprContext,
  args: Parameters<typeof planRun>[0],
  input: (message: string) => unknown,
): Promise<PlanStep> {
  let decision: PolicyDecision
  try {
    const template = templatesOf(step).message
    const message = template && template.steps.size === 0 ? String(template.evaluate(context)) : 'message'
    decision = base.input_known
      ? (await args.gate.invoke(tool, input(message), args.actor, { dryRun: true })).decision
      : args.gate.simulate({ tool, input: {}, actor: args.actor })
  } catch (error) {
    return { ...base, target, action: 'invalid', reason: toDriftcoreError(error).message }
  }
  const action: PlanAction =
    decision.decision === 'DENY'
      ? 'denied'
      : decision.decision === 'REQUIRE_APPROVAL'
        ? 'needs_approval'
        : 'allowed'
  return {
    ...base,
    target,
    action,
    decision: decision.decision,
    rule: decision.deciding_rule,
    reason: decision.reason,
  }
}
