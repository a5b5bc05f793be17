/**
 * The control API's OpenAPI 3.1 document, served at GET /control/v1/openapi.json. Written by
 * hand as data (no generator): it is small, and tests validate it against the OpenAPI schema
 * and every real response against it, so it cannot drift from what the server sends.
 */

type Schema = Record<string, unknown>

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })
const json = (schema: Schema) => ({ 'application/json': { schema } })
const ok = (description: string, schema: Schema) => ({ description, content: json(schema) })
const errors = {
  '400': { $ref: '#/components/responses/Error' },
  '401': { $ref: '#/components/responses/Error' },
  '403': { $ref: '#/components/responses/Error' },
  '404': { $ref: '#/components/responses/Error' },
  '409': { $ref: '#/components/responses/Error' },
  '500': { $ref: '#/components/responses/Error' },
}
const idParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
})
const queryParam = (name: string, description: string, schema: Schema = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
})
const body = (schema: Schema) => ({ required: true, content: json(schema) })

const actor: Schema = {
  type: 'object',
  required: ['type', 'id'],
  properties: { type: { type: 'string' }, id: { type: 'string' } },
}

const schemas: Record<string, Schema> = {
  Actor: actor,
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'details'],
        properties: {
          code: {
            enum: [
              'internal',
              'invalid_input',
              'not_found',
              'policy_denied',
              'approval_required',
              'conflict',
              'timeout',
              'integrity',
              'unavailable',
              'io',
              'forbidden',
              'cancelled',
            ],
          },
          message: { type: 'string' },
          hint: { type: 'string' },
          details: { type: 'object' },
        },
      },
    },
  },
  WhoAmI: {
    type: 'object',
    required: ['token', 'actor'],
    properties: { token: { type: 'string' }, actor: ref('Actor') },
  },
  Approval: {
    type: 'object',
    required: [
      'id',
      'tool',
      'input_hash',
      'input_summary',
      'requester',
      'rule_ids',
      'reason',
      'status',
      'created_at',
      'expires_at',
    ],
    properties: {
      id: { type: 'string', pattern: '^apr_' },
      tool: { type: 'string' },
      input_hash: { type: 'string' },
      input: {},
      input_redacted: {},
      input_summary: { type: 'string' },
      requester: ref('Actor'),
      requester_mcp: {
        type: 'object',
        description:
          'for an MCP client’s request: its name and the server’s uid (a later session of it may use the grant)',
        required: ['client'],
        properties: { client: { type: 'string' }, uid: { type: 'integer' } },
      },
      rule_ids: { type: 'array', items: { type: 'string' } },
      deciding_rule: { type: ['string', 'null'] },
      reason: { type: 'string' },
      approvers: { type: 'array', items: { type: 'array', items: { type: 'string' } } },
      status: { enum: ['pending', 'approved', 'denied', 'used', 'expired', 'withdrawn'] },
      created_at: { type: 'string', format: 'date-time' },
      expires_at: { type: 'string', format: 'date-time' },
      decided_by: ref('Actor'),
      decided_at: { type: 'string', format: 'date-time' },
      comment: { type: 'string' },
      workflow: {
        type: 'object',
        required: ['run_id', 'step'],
        properties: { run_id: { type: 'string' }, step: { type: 'string' } },
      },
    },
  },
  Decision: {
    type: 'object',
    required: ['verdict'],
    additionalProperties: false,
    properties: {
      verdict: { enum: ['approved', 'denied'] },
      comment: { type: 'string', maxLength: 4000 },
      at: { type: 'string', format: 'date-time', description: 'when the person signed (signDecision)' },
      signature: {
        type: 'string',
        description: 'the armored SSH signature of the approval statement, made on the person’s machine',
      },
    },
  },
  DecisionResult: { type: 'object', required: ['approval'], properties: { approval: ref('Approval') } },
  RunSummary: {
    type: 'object',
    required: ['run_id', 'workflow', 'status', 'actor', 'created_at'],
    properties: {
      run_id: { type: 'string' },
      workflow: { type: 'string' },
      status: { type: 'string' },
      actor: ref('Actor'),
      created_at: { type: 'string' },
      updated_at: { type: 'string' },
      summary: { type: 'string' },
      interrupted: { const: true },
    },
  },
  RunState: {
    type: 'object',
    required: ['run_id', 'workflow_name', 'status', 'actor', 'steps', 'seq'],
    properties: {
      run_id: { type: 'string' },
      workflow_name: { type: 'string' },
      status: { enum: ['running', 'suspended', 'succeeded', 'failed', 'timed_out', 'cancelled'] },
      actor: ref('Actor'),
      summary: { type: 'string' },
      steps: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          required: ['status'],
          properties: { status: { type: 'string' }, attempt: { type: 'integer' } },
        },
      },
      seq: { type: 'integer' },
    },
  },
  RunStatus: {
    type: 'object',
    required: ['status', 'order'],
    properties: {
      status: ref('RunState'),
      order: { type: 'array', items: { type: 'string' }, description: 'the steps in display order' },
    },
  },
  Cancelled: {
    type: 'object',
    required: ['run_id', 'status'],
    properties: { run_id: { type: 'string' }, status: { type: 'string' }, summary: { type: 'string' } },
  },
  Resumed: {
    type: 'object',
    required: ['events', 'state', 'order'],
    properties: {
      events: {
        type: 'array',
        items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } },
      },
      state: ref('RunState'),
      order: { type: 'array', items: { type: 'string' } },
    },
  },
  AuditRecord: {
    type: 'object',
    required: ['seq', 'at', 'type', 'actor', 'subject', 'trace_id', 'data', 'prev', 'hash'],
    properties: {
      seq: { type: 'integer', minimum: 1 },
      at: { type: 'string' },
      type: { type: 'string' },
      actor: ref('Actor'),
      identity: {
        type: 'object',
        properties: {
          os_user: { type: 'string' },
          uid: { type: 'integer' },
          tty: { type: 'string' },
          token: { type: 'string' },
          mcp: { type: 'object' },
          key: { type: 'object' },
        },
      },
      subject: { type: 'string' },
      trace_id: { type: 'string' },
      data: { type: 'object' },
      prev: { type: 'string' },
      hash: { type: 'string' },
    },
  },
  AuditRecords: { type: 'array', items: ref('AuditRecord') },
  Anchor: {
    oneOf: [
      { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'a record hash' },
      {
        type: 'object',
        required: ['name', 'text'],
        additionalProperties: false,
        description: 'a checkpoint file (`audit checkpoint --json`) from the client’s machine',
        properties: { name: { type: 'string' }, text: { type: 'string', maxLength: 1048576 } },
      },
    ],
  },
  VerifyRequest: {
    type: 'object',
    additionalProperties: false,
    properties: {
      anchors: { type: 'array', items: ref('Anchor') },
      allowed_signers: {
        type: 'object',
        required: ['name', 'text'],
        additionalProperties: false,
        description:
          'an allowed_signers file kept out of the agent’s reach, for checkpoints signed with SSH keys',
        properties: { name: { type: 'string' }, text: { type: 'string', maxLength: 1048576 } },
      },
    },
  },
  Verification: {
    type: 'object',
    required: ['ok', 'records', 'segments', 'last_hash', 'approvals', 'signatures'],
    properties: {
      ok: { type: 'boolean' },
      records: { type: 'integer' },
      segments: { type: 'integer' },
      last_hash: { type: 'string' },
      checkpoints: { type: 'integer' },
      anchors: { type: 'integer' },
      problem: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } },
      approvals: {
        type: 'object',
        required: ['problems'],
        properties: { problems: { type: 'array', items: { type: 'object' } } },
      },
      signatures: {
        type: 'object',
        required: ['problems'],
        properties: {
          approvals: { type: 'integer' },
          problems: { type: 'array', items: { type: 'object' } },
        },
      },
    },
  },
  PolicyQuestion: {
    type: 'object',
    required: ['tool'],
    additionalProperties: false,
    properties: {
      tool: { type: 'string' },
      input: { description: 'the tool input, as JSON' },
      actor: { type: 'string', description: 'type:id; default: the token’s person' },
      env: { type: 'string' },
      risk: { type: 'string', description: 'comma-separated risk tags of a tool that is not installed' },
      capability: { type: 'string' },
      bundle: {
        type: 'object',
        required: ['name', 'text'],
        additionalProperties: false,
        description: 'a draft bundle, used in place of the bundle of the same name',
        properties: { name: { type: 'string' }, text: { type: 'string', maxLength: 1048576 } },
      },
    },
  },
  PolicyDecision: {
    type: 'object',
    required: ['decision', 'rule_ids', 'deciding_rule', 'reason', 'constraints', 'snapshot'],
    properties: {
      decision: { enum: ['ALLOW', 'DENY', 'REQUIRE_APPROVAL', 'ALLOW_WITH_CONSTRAINTS'] },
      rule_ids: { type: 'array', items: { type: 'string' } },
      deciding_rule: { type: ['string', 'null'] },
      reason: { type: 'string' },
      constraints: { type: 'object' },
      approvers: { type: 'array', items: { type: 'array', items: { type: 'string' } } },
      matched: {
        type: 'array',
        description: 'simulate: each matched rule and why it did or did not decide',
        items: {
          type: 'object',
          required: ['id', 'bundle', 'decision', 'outcome', 'why'],
          properties: {
            id: { type: 'string' },
            bundle: { type: 'string' },
            decision: { type: 'string' },
            outcome: { enum: ['decided', 'counted', 'overridden'] },
            why: { type: 'string' },
          },
        },
      },
      warnings: {
        type: 'array',
        description: 'simulate: ALLOW rules that can never decide',
        items: ref('ShadowWarning'),
      },
      snapshot: {
        type: 'object',
        required: ['version', 'hash'],
        properties: { version: { type: 'integer' }, hash: { type: 'string' } },
      },
    },
  },
  Explanation: {
    type: 'object',
    required: ['decision', 'rules', 'warnings'],
    properties: {
      decision: ref('PolicyDecision'),
      rules: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'bundle', 'decision', 'matched', 'because', 'outcome', 'why'],
          properties: {
            id: { type: 'string' },
            bundle: { type: 'string' },
            decision: { type: 'string' },
            matched: { type: 'boolean' },
            because: { type: 'array', items: { type: 'string' } },
            outcome: { enum: ['decided', 'counted', 'overridden', 'not_matched'] },
            why: { type: 'string', description: 'why it did or did not decide' },
            final: { const: true },
            overrides: { type: 'array', items: { type: 'string' } },
            overridden_by: { type: 'string' },
            constraints: { type: 'object' },
          },
        },
      },
      warnings: { type: 'array', items: ref('ShadowWarning') },
    },
  },
  ShadowWarning: {
    type: 'object',
    description: 'an ALLOW rule that can never decide, and the rule that always outranks it',
    required: ['rule', 'bundle', 'by', 'by_bundle', 'message'],
    properties: {
      rule: { type: 'string' },
      bundle: { type: 'string' },
      by: { type: 'string' },
      by_bundle: { type: 'string' },
      message: { type: 'string' },
    },
  },
}

export const CONTROL_BASE = '/control/v1'

/** The document; `server` is the base URL it is served from. */
export function openApiDocument(version: string): Record<string, unknown> {
  const p = (route: string) => `${CONTROL_BASE}${route}`
  return {
    openapi: '3.1.0',
    info: {
      title: 'driftcore control API',
      version,
      description:
        'What people do to a served project (`driftcore serve`): decide approvals, look after workflow runs, read ' +
        'and verify the audit log, ask the policy. Every request but this document needs a person’s token ' +
        '(`driftcore serve tokens add NAME`) as `Authorization: Bearer …` and is audited under its name. MCP ' +
        'agent tokens are not accepted here.',
    },
    servers: [{ url: '/' }],
    security: [{ personToken: [] }],
    paths: {
      [p('/openapi.json')]: {
        get: {
          operationId: 'openapi',
          summary: 'This document',
          security: [],
          responses: { '200': ok('The OpenAPI document', { type: 'object' }) },
        },
      },
      [p('/whoami')]: {
        get: {
          operationId: 'whoami',
          summary: 'The person the token names',
          responses: { '200': ok('The token’s name and the actor it acts as', ref('WhoAmI')), ...errors },
        },
      },
      [p('/approvals')]: {
        get: {
          operationId: 'approvalsList',
          summary: 'List approval requests',
          parameters: [
            queryParam('status', 'pending (default), approved, denied, used, expired, withdrawn or all', {
              enum: ['pending', 'approved', 'denied', 'used', 'expired', 'withdrawn', 'all'],
            }),
          ],
          responses: {
            '200': ok('Requests, oldest first', { type: 'array', items: ref('Approval') }),
            ...errors,
          },
        },
      },
      [p('/approvals/{id}')]: {
        get: {
          operationId: 'approvalsShow',
          summary: 'One approval request, with its whole input',
          parameters: [idParam('id', 'approval id')],
          responses: { '200': ok('The request', ref('Approval')), ...errors },
        },
      },
      [p('/approvals/{id}/decision')]: {
        post: {
          operationId: 'approvalsDecide',
          summary: 'Approve or deny, with the decision signed on the person’s machine',
          parameters: [idParam('id', 'approval id')],
          requestBody: body(ref('Decision')),
          responses: { '200': ok('The decided request', ref('DecisionResult')), ...errors },
        },
      },
      [p('/runs')]: {
        get: {
          operationId: 'runsList',
          summary: 'Workflow runs, newest first',
          responses: { '200': ok('Runs', { type: 'array', items: ref('RunSummary') }), ...errors },
        },
      },
      [p('/runs/{id}')]: {
        get: {
          operationId: 'runsStatus',
          summary: 'A run’s state and each step’s',
          parameters: [idParam('id', 'run id')],
          responses: { '200': ok('The run', ref('RunStatus')), ...errors },
        },
      },
      [p('/runs/{id}/cancel')]: {
        post: {
          operationId: 'runsCancel',
          summary: 'Cancel a run',
          parameters: [idParam('id', 'run id')],
          requestBody: body({
            type: 'object',
            additionalProperties: false,
            properties: { reason: { type: 'string', maxLength: 4000 } },
          }),
          responses: { '200': ok('The run, cancelled', ref('Cancelled')), ...errors },
        },
      },
      [p('/runs/{id}/resume')]: {
        post: {
          operationId: 'runsResume',
          summary: 'Resume a run in the server; answers when it stops (finished or suspended)',
          parameters: [idParam('id', 'run id')],
          requestBody: body({ type: 'object', additionalProperties: false, properties: {} }),
          responses: { '200': ok('What happened, and where the run stopped', ref('Resumed')), ...errors },
        },
      },
      [p('/audit/tail')]: {
        get: {
          operationId: 'auditTail',
          summary: 'The last audit records',
          parameters: [
            queryParam('lines', 'how many (default 20)', { type: 'integer', minimum: 0, maximum: 10000 }),
            queryParam('after', 'only records after this seq (for following)', {
              type: 'integer',
              minimum: 0,
            }),
          ],
          responses: { '200': ok('Records, oldest first', ref('AuditRecords')), ...errors },
        },
      },
      [p('/audit/query')]: {
        get: {
          operationId: 'auditQuery',
          summary: 'Audit records by type, actor, subject, trace and time',
          parameters: [
            queryParam('type', 'record type glob'),
            queryParam('actor', 'type:id, or id; globs'),
            queryParam('subject', 'subject glob'),
            queryParam('trace', 'trace id'),
            queryParam('since', 'ISO date-time', { type: 'string', format: 'date-time' }),
            queryParam('until', 'ISO date-time', { type: 'string', format: 'date-time' }),
            queryParam('limit', 'stop after this many', { type: 'integer', minimum: 1 }),
          ],
          responses: { '200': ok('Matching records', ref('AuditRecords')), ...errors },
        },
      },
      [p('/audit/verify')]: {
        post: {
          operationId: 'auditVerify',
          summary: 'Verify the chain, its checkpoints, any anchors and every granted approval',
          requestBody: body(ref('VerifyRequest')),
          responses: { '200': ok('The verification (ok false: it failed)', ref('Verification')), ...errors },
        },
      },
      [p('/policy/simulate')]: {
        post: {
          operationId: 'policySimulate',
          summary: 'Decide a request without side effects',
          requestBody: body(ref('PolicyQuestion')),
          responses: { '200': ok('The decision', ref('PolicyDecision')), ...errors },
        },
      },
      [p('/policy/explain')]: {
        post: {
          operationId: 'policyExplain',
          summary: 'Every rule, whether it matched, and why',
          requestBody: body(ref('PolicyQuestion')),
          responses: { '200': ok('The explanation', ref('Explanation')), ...errors },
        },
      },
    },
    components: {
      securitySchemes: {
        personToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'a person’s token from `driftcore serve tokens add NAME`',
        },
      },
      responses: { Error: { description: 'A driftcore error', content: json(ref('Error')) } },
      schemas,
    },
  }
}
