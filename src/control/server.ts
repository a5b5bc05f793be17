import type { IncomingMessage, ServerResponse } from 'node:http'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { withIdentity } from '../audit/identity.js'
import type { Actor } from '../audit/record.js'
import { parseTime } from '../cli/time.js'
import { DriftcoreError, toDriftcoreError, type ErrorCode } from '../errors/driftcore-error.js'
import type { Kernel } from '../kernel/open.js'
import { CONTROL_BASE, openApiDocument } from './openapi.js'
import * as ops from './operations.js'
import { PersonTokens } from './tokens.js'

export interface ControlOptions {
  /** Runs `work` with the kernel in force (a served process swaps kernels when config changes). */
  use<T>(work: (kernel: Kernel) => Promise<T>): Promise<T>
  /** The project's state folder, where the person tokens are. */
  stateDir: string
  version: string
  /** Where refused requests are reported (the service's log, stderr): never the audit log. */
  warn(message: string): void
  maxBodyBytes?: number
}

/** HTTP status of each error code; the client turns the body back into the same error. */
const STATUS: Record<ErrorCode, number> = {
  internal: 500,
  invalid_input: 400,
  not_found: 404,
  policy_denied: 403,
  approval_required: 409,
  conflict: 409,
  timeout: 504,
  integrity: 500,
  unavailable: 503,
  io: 500,
  forbidden: 403,
  cancelled: 409,
}

interface Request {
  kernel: Kernel
  caller: ops.Caller
  params: Record<string, string>
  query: URLSearchParams
  body: unknown
}

interface Route {
  method: 'GET' | 'POST'
  pattern: RegExp
  operation: string
  run(request: Request): Promise<unknown>
}

const ID = '([A-Za-z0-9_.-]+)'
const route = (method: Route['method'], path: string, operation: string, run: Route['run']): Route => ({
  method,
  pattern: new RegExp(`^${CONTROL_BASE}${path.replace(/\{\w+\}/g, ID)}$`),
  operation,
  run,
})

const int = (query: URLSearchParams, name: string): number | undefined => {
  const value = query.get(name)
  if (value === null) return undefined
  if (!/^\d+$/.test(value)) throw new DriftcoreError('invalid_input', `${name} must be a whole number`)
  return Number(value)
}
const str = (query: URLSearchParams, name: string) => query.get(name) ?? undefined

const ROUTES: Route[] = [
  route('GET', '/whoami', 'whoami', async ({ caller }) => ({
    token: caller.identity.token,
    actor: caller.who,
  })),
  route('GET', '/approvals', 'approvalsList', ({ kernel, query }) =>
    ops.listApprovals(kernel, str(query, 'status') ?? 'pending'),
  ),
  route('GET', '/approvals/{id}', 'approvalsShow', ({ kernel, params }) => kernel.approvals.get(params.id!)),
  route('POST', '/approvals/{id}/decision', 'approvalsDecide', ({ kernel, params, body, caller }) =>
    ops.decideApproval(kernel, params.id!, body as ops.DecisionBody, caller),
  ),
  route('GET', '/runs', 'runsList', ({ kernel, caller }) => ops.listRuns(kernel, caller)),
  route('GET', '/runs/{id}', 'runsStatus', ({ kernel, params, caller }) =>
    ops.runStatus(kernel, params.id!, caller),
  ),
  route('POST', '/runs/{id}/cancel', 'runsCancel', ({ kernel, params, body, caller }) =>
    ops.cancelRun(kernel, params.id!, (body as { reason?: string }).reason ?? 'cancelled by request', caller),
  ),
  route('POST', '/runs/{id}/resume', 'runsResume', ({ kernel, params, caller }) =>
    ops.resumeRun(kernel, params.id!, caller),
  ),
  route('GET', '/audit/tail', 'auditTail', async ({ kernel, query }) => {
    const after = int(query, 'after')
    const records = await ops.tail(kernel, int(query, 'lines') ?? 20)
    return after === undefined ? records : records.filter((r) => r.seq > after)
  }),
  route('GET', '/audit/query', 'auditQuery', ({ kernel, query }) => {
    const since = str(query, 'since')
    const until = str(query, 'until')
    const filter = {
      ...(query.has('type') ? { type: str(query, 'type')! } : {}),
      ...(query.has('actor') ? { actor: str(query, 'actor')! } : {}),
      ...(query.has('subject') ? { subject: str(query, 'subject')! } : {}),
      ...(query.has('trace') ? { trace_id: str(query, 'trace')! } : {}),
      ...(since ? { since: parseTime(since, 'since') } : {}),
      ...(until ? { until: parseTime(until, 'until') } : {}),
    }
    return ops.query(kernel, filter, int(query, 'limit'))
  }),
  route('POST', '/audit/verify', 'auditVerify', ({ kernel, body }) => {
    const { anchors, allowed_signers } = body as {
      anchors?: (string | ops.AnchorFile)[]
      allowed_signers?: ops.AnchorFile
    }
    return ops.verify(kernel, anchors ?? [], allowed_signers)
  }),
  route('POST', '/policy/simulate', 'policySimulate', ({ kernel, body, caller }) =>
    ops.simulate(kernel, body as ops.PolicyQuestion, caller),
  ),
  route('POST', '/policy/explain', 'policyExplain', ({ kernel, body, caller }) =>
    ops.explain(kernel, body as ops.PolicyQuestion, caller),
  ),
]

/**
 * The control API: people's requests, each authenticated by a person token (MCP agent tokens
 * are a different secret and count for nothing here), request bodies checked against the
 * OpenAPI document, and each request audited as `control.request` under the token's name.
 * Refused (unauthenticated) requests go to the service log only, so nobody without a token
 * can grow the audit log. Returns a handler for every path under /control/.
 */
export function controlHandler(
  options: ControlOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const tokens = new PersonTokens(options.stateDir)
  const document = openApiDocument(options.version)
  const bodies = requestValidators(document)
  const maxBody = options.maxBodyBytes ?? 4 * 1024 * 1024

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (req.method === 'GET' && url.pathname === `${CONTROL_BASE}/openapi.json`)
      return send(res, 200, document)
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1]
    const name = token === undefined ? undefined : await tokens.identify(token)
    if (name === undefined) {
      options.warn(
        `control API: refused ${req.method} ${url.pathname} from ${req.socket.remoteAddress ?? 'a local socket'}: ${token === undefined ? 'no token' : 'unknown token'}`,
      )
      res.setHeader('WWW-Authenticate', 'Bearer realm="driftcore-control"')
      return sendError(
        res,
        new DriftcoreError(
          'forbidden',
          token === undefined
            ? 'the control API needs a person token: Authorization: Bearer <token>'
            : 'that token is not a person token of this server',
          { hint: 'a person gets one from the server’s operator: driftcore serve tokens add NAME' },
        ),
        401,
      )
    }
    const found = ROUTES.map((r) => ({ r, match: r.pattern.exec(url.pathname) })).find(
      ({ r, match }) => match && r.method === req.method,
    )
    if (!found) {
      const known = ROUTES.some((r) => r.pattern.test(url.pathname))
      return sendError(
        res,
        new DriftcoreError(
          'not_found',
          `${known ? 'no such method for' : 'no such path'}: ${req.method} ${url.pathname}`,
          {
            hint: `the operations are listed in ${CONTROL_BASE}/openapi.json`,
          },
        ),
        known ? 405 : 404,
      )
    }
    const { r, match } = found
    const who: Actor = { type: 'human', id: name }
    const caller: ops.Caller = { who, identity: { token: name } }
    let status = 200
    await options.use(async (kernel) => {
      try {
        const body = req.method === 'POST' ? await readBody(req, maxBody) : undefined
        if (req.method === 'POST') bodies.get(r.operation)?.(body)
        const params = { id: decodeURIComponent(match![1] ?? '') }
        // Every record the operation writes (an approval's too) names the person's token.
        const result = await withIdentity(caller.identity, () =>
          r.run({ kernel, caller, params, query: url.searchParams, body }),
        )
        send(res, 200, result)
      } catch (error) {
        const driftcore = toDriftcoreError(error)
        status = STATUS[driftcore.code]
        sendError(res, driftcore, status)
      }
      await kernel.audit.record({
        type: 'control.request',
        actor: who,
        identity: caller.identity,
        subject: r.operation,
        data: { method: req.method, path: url.pathname, status },
      })
    })
  }
}

/** Validators of each operation's JSON request body, from the same document the server serves. */
function requestValidators(document: Record<string, unknown>): Map<string, (body: unknown) => void> {
  const ajv = new Ajv2020({ allErrors: true, strict: false })
  addFormats(ajv)
  ajv.addSchema({ ...document, $id: 'control' })
  const validators = new Map<string, (body: unknown) => void>()
  const paths = document.paths as Record<
    string,
    Record<string, { operationId: string; requestBody?: unknown }>
  >
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!operation.requestBody) continue
      const pointer = `control#/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}/requestBody/content/application~1json/schema`
      let validate: ValidateFunction | undefined
      validators.set(operation.operationId, (body) => {
        validate ??= ajv.getSchema(pointer)!
        if (!validate(body)) {
          const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message}`)
          throw new DriftcoreError('invalid_input', `the request body is not valid: ${problems.join('; ')}`, {
            details: { problems },
          })
        }
      })
    }
  }
  return validators
}

// ajv-formats is CommonJS: under NodeNext its default export is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => void

async function readBody(req: IncomingMessage, max: number): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > max) throw new DriftcoreError('invalid_input', `the request body is larger than ${max} bytes`)
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new DriftcoreError('invalid_input', `the request body is not JSON: ${(error as Error).message}`)
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
  res.end(JSON.stringify(body))
}

function sendError(res: ServerResponse, error: DriftcoreError, status: number): void {
  send(res, status, { error: error.toJSON() })
}
