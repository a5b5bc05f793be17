import os from 'node:os'
import { z } from 'zod'
import type { Actor } from '../../audit/record.js'

export const JOB_PROTOCOL_VERSION = 'driftcore.job/v1'

/** What every worker dispatch carries, and what an external worker reads on stdin. */
export const jobEnvelopeSchema = z.strictObject({
  protocol_version: z.literal(JOB_PROTOCOL_VERSION),
  id: z.string().describe('job_<run>_<step>_<attempt>'),
  trace_id: z.string(),
  sender_id: z.string().describe('driftcore@<host>/<run_id>'),
  created_at: z.string(),
  topic: z.string().describe('the tool id, or the topic of a topic-routed step'),
  run_id: z.string(),
  step: z.string(),
  attempt: z.number().int().min(1),
  metadata: z.strictObject({
    tenant_id: z.string(),
    actor_id: z.string(),
    actor_type: z.string(),
    idempotency_key: z.string(),
    pack_id: z.string().optional(),
    capability: z.string().optional(),
    risk_tags: z.array(z.string()),
    requires: z.array(z.string()),
  }),
  input: z.unknown(),
})

export type JobEnvelope = z.output<typeof jobEnvelopeSchema>

export function jobId(runId: string, step: string, attempt: number): string {
  return `job_${runId.replace(/^run_/, '')}_${step}_${attempt}`
}

// Stable across a resume, so an approved job is called again with the very input approved.
export function senderId(runId: string): string {
  return `driftcore@${os.hostname()}/${runId}`
}

export function buildEnvelope(args: {
  runId: string
  step: string
  attempt: number
  traceId: string
  topic: string
  tenant: string
  actor: Actor
  idempotencyKey: string
  meta: { capability?: string; risk_tags?: string[]; requires?: string[]; pack_id?: string } | undefined
  input: unknown
  now: number
}): JobEnvelope {
  return {
    protocol_version: JOB_PROTOCOL_VERSION,
    id: jobId(args.runId, args.step, args.attempt),
    trace_id: args.traceId,
    sender_id: senderId(args.runId),
    created_at: new Date(args.now).toISOString(),
    topic: args.topic,
    run_id: args.runId,
    step: args.step,
    attempt: args.attempt,
    metadata: {
      tenant_id: args.tenant,
      actor_id: args.actor.id,
      actor_type: args.actor.type,
      idempotency_key: args.idempotencyKey,
      ...(args.meta?.pack_id ? { pack_id: args.meta.pack_id } : {}),
      ...(args.meta?.capability ? { capability: args.meta.capability } : {}),
      risk_tags: args.meta?.risk_tags ?? [],
      requires: args.meta?.requires ?? [],
    },
    input: args.input,
  }
}
