import { z } from 'zod'
import { ERROR_CODES } from '../../errors/driftcore-error.js'
import { durationSchema } from './duration.js'

/** Step ids are CEL identifiers, so `steps.<id>.output` works in every expression. */
export const STEP_ID = /^[A-Za-z_][A-Za-z0-9_]*$/
const WORKFLOW_NAME = /^[a-z0-9][a-z0-9._-]*$/

const jsonSchemaObject = z
  .record(z.string(), z.unknown())
  .describe('a JSON Schema (draft 2020-12) object, e.g. {type: object, required: [site]}')

const retryCodes = Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]

export const retrySchema = z
  .strictObject({
    max_attempts: z.number().int().min(1).max(100).default(1).describe('attempts in all, the first included'),
    backoff: z
      .strictObject({
        initial: durationSchema.default('1s'),
        factor: z.number().min(1).max(10).default(2),
        max: durationSchema.default('5m'),
        jitter: z
          .number()
          .min(0)
          .max(1)
          .default(0)
          .describe('fraction of the delay added or taken at random'),
      })
      .prefault({}),
    retry_on: z
      .array(z.enum(retryCodes))
      .default(['internal', 'timeout', 'unavailable', 'io', 'conflict'])
      .describe('error codes worth another attempt'),
  })
  .describe('how a failed attempt is retried')

const metaSchema = z
  .strictObject({
    capability: z.string().min(1).optional(),
    risk_tags: z.array(z.string().min(1)).optional(),
    requires: z.array(z.string().min(1)).optional().describe('what a pool must offer to take the job'),
    pack_id: z.string().min(1).optional(),
    idempotency_key: z
      .string()
      .min(1)
      .optional()
      .describe('replaces the default key run/step/attempt; may hold ${{ }}'),
  })
  .describe('facts copied into the job envelope')

const common = {
  id: z.string().regex(STEP_ID, 'step ids are letters, digits and _, not starting with a digit').max(64),
  name: z.string().optional().describe('a title for people'),
  description: z.string().optional(),
  depends_on: z.array(z.string()).default([]).describe('steps that must finish first'),
  when: z.string().min(1).optional().describe('CEL; the step is skipped when it is false'),
  always: z
    .boolean()
    .optional()
    .describe(
      'run once every dependency has finished, even when one failed or did not run (a clean-up, e.g. resetting a sandbox); a cancelled run still cancels it',
    ),
}

const expectSchema = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .describe(
    "CEL over the step's output (and inputs, steps, run, env) that must be true; a list means all of them. A false expectation fails the step, naming it and the values it read",
  )

/** What a worker step does when its tool's verdict says the job was not done. */
export const ON_VERDICT = ['fail', 'warn', 'ignore'] as const

const workerStep = z
  .strictObject({
    ...common,
    type: z.literal('worker'),
    tool: z.string().min(1).optional().describe('a tool id, called through the gate'),
    topic: z.string().min(1).optional().describe('a topic, routed by the pools config'),
    with: z.record(z.string(), z.unknown()).default({}).describe('the input; strings may hold ${{ }}'),
    retry: retrySchema.optional(),
    timeout: durationSchema.optional(),
    meta: metaSchema.optional(),
    output: jsonSchemaObject.optional().describe('JSON Schema the output must match'),
    expect: expectSchema.optional(),
    on_verdict: z
      .enum(ON_VERDICT)
      .default('fail')
      .describe(
        "when the tool's verdict says the job was not done (QA failed, drift remains): fail the step (its dependents do not run), warn (the run finishes with a marked warning), or ignore (only reported)",
      ),
  })
  .describe('runs a tool (or a job routed by topic) through the gate')

const approvalStep = z
  .strictObject({
    ...common,
    type: z.literal('approval'),
    message: z.string().min(1).describe('what the approver is asked; may hold ${{ }}'),
    approvers: z
      .array(z.string().min(1))
      .optional()
      .describe('actor ids or type:id patterns (globs) allowed to decide'),
    timeout: durationSchema.optional().describe('how long the request stays open (default approvals.ttl_ms)'),
  })
  .describe('suspends the run until a person approves')

const delayStep = z
  .strictObject({
    ...common,
    type: z.literal('delay'),
    duration: durationSchema.optional(),
    until: z.string().min(1).optional().describe('an ISO 8601 time; may hold ${{ }}'),
  })
  .describe('a durable timer')

const conditionStep = z
  .strictObject({
    ...common,
    type: z.literal('condition'),
    expression: z.string().min(1).describe('CEL; its boolean value is the output'),
    expect: expectSchema.optional(),
  })
  .describe('evaluates a CEL expression')

const notifyStep = z
  .strictObject({
    ...common,
    type: z.literal('notify'),
    message: z.string().min(1).describe('may hold ${{ }}'),
    sinks: z
      .array(z.string().min(1))
      .default(['stdout'])
      .describe('stdout, or names under workflow.notify.sinks in config'),
    data: z.record(z.string(), z.unknown()).optional().describe('extra fields; strings may hold ${{ }}'),
    timeout: durationSchema.optional(),
  })
  .describe('an audit record plus the configured sinks')

export const stepSchema = z.discriminatedUnion('type', [
  workerStep,
  approvalStep,
  delayStep,
  conditionStep,
  notifyStep,
])

export const STEP_TYPES = ['worker', 'approval', 'delay', 'condition', 'notify'] as const

export const workflowSchema = z
  .strictObject({
    apiVersion: z.literal('driftcore/v1'),
    kind: z.literal('Workflow'),
    name: z.string().regex(WORKFLOW_NAME, 'names are lower case letters, digits, ".", "_" and "-"'),
    description: z.string().optional(),
    input: jsonSchemaObject.optional().describe('JSON Schema for the run input'),
    concurrency: z.number().int().min(1).optional().describe('steps of one run at once'),
    timeout: durationSchema.optional().describe('the whole run'),
    steps: z.array(stepSchema).min(1),
  })
  .describe('a driftcore workflow: a DAG of steps')

export type WorkflowDefinition = z.output<typeof workflowSchema>
export type StepDefinition = z.output<typeof stepSchema>
export type WorkerStep = z.output<typeof workerStep>
export type ApprovalStep = z.output<typeof approvalStep>
export type DelayStep = z.output<typeof delayStep>
export type ConditionStep = z.output<typeof conditionStep>
export type NotifyStep = z.output<typeof notifyStep>
export type RetryPolicy = z.output<typeof retrySchema>
