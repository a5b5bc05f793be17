import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { TektonController, type Kubelet } from './controller.js'
import { fieldErrors, tektonCrds, type FieldError } from './crd-schema.js'
import { matches, ObjectStore, type KubeObject } from './store.js'
import { table } from './table.js'

/** One request the stand-in answered, for tests to assert what the client sent. */
export interface SeenRequest {
  method: string
  path: string
  query: string
  authorized: boolean
  status: number
  userAgent: string
  contentType: string
}

interface Resource {
  group: string
  version: string
  plural: string
  kind: string
  singular: string
  namespaced: boolean
  verbs: string[]
  shortNames?: string[]
  categories?: string[]
}

const TEKTON_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']
const RESOURCES: Resource[] = [
  ...[...tektonCrds().values()].map((c) => ({
    group: 'tekton.dev',
    version: 'v1',
    plural: c.plural,
    kind: c.kind,
    singular: c.singular,
    namespaced: true,
    verbs: TEKTON_VERBS,
    shortNames: c.shortNames,
    categories: c.categories,
  })),
  {
    group: '',
    version: 'v1',
    plural: 'pods',
    kind: 'Pod',
    singular: 'pod',
    namespaced: true,
    verbs: ['get', 'list', 'watch'],
    shortNames: ['po'],
  },
  {
    group: '',
    version: 'v1',
    plural: 'namespaces',
    kind: 'Namespace',
    singular: 'namespace',
    namespaced: false,
    verbs: ['get', 'list'],
    shortNames: ['ns'],
  },
]

class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message)
  }
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export interface StandInOptions {
  /** Namespaces that exist (default: `default`). */
  namespaces?: string[]
  /** What each task's pod does (default: succeed after one tick, printing "ok"). */
  kubelet?: Kubelet
  /** Milliseconds between controller ticks; 0 leaves ticking to `tick()`. */
  tickMs?: number
  /** Serve plain HTTP instead of HTTPS with a throwaway CA. */
  http?: boolean
}

/**
 * A stand-in for the Kubernetes API server with Tekton installed: discovery, create/get/list/
 * watch/update/patch/delete of tekton.dev/v1 PipelineRuns, TaskRuns, Pipelines and Tasks
 * (every body checked against the v1 CRD schema), pods and their logs, tables for `kubectl get`,
 * all behind one bearer token. Not a Kubernetes: it implements what the tekton plugin and
 * `kubectl get|create|delete|patch -w` use, and refuses the rest with a Status.
 */
export class KubeStandIn {
  readonly store = new ObjectStore()
  readonly controller: TektonController
  readonly token = randomBytes(24).toString('base64url')
  readonly requests: SeenRequest[] = []
  private server: http.Server | undefined
  private timer: NodeJS.Timeout | undefined
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'kube-standin-'))
  private ca = ''
  private readonly watches = new Set<ServerResponse>()
  url = ''

  constructor(private readonly options: StandInOptions = {}) {
    this.controller = new TektonController(
      this.store,
      options.kubelet ?? (() => ({ outcome: 'succeed', logs: 'ok\n' })),
      (plural, object) => this.validate(plural, object),
    )
    for (const ns of options.namespaces ?? ['default'])
      this.store.create('namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
        status: { phase: 'Active' },
      })
  }

  async start(): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res)
    if (this.options.http) this.server = http.createServer(handler)
    else {
      const key = path.join(this.dir, 'key.pem')
      const cert = path.join(this.dir, 'cert.pem')
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '1',
          '-subj',
          '/CN=kube-standin',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
        ],
        { stdio: 'ignore' },
      )
      this.ca = readFileSync(cert, 'utf8')
      this.server = https.createServer({ key: readFileSync(key), cert: this.ca }, handler)
    }
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    const port = (this.server.address() as AddressInfo).port
    this.url = `${this.options.http ? 'http' : 'https'}://127.0.0.1:${port}`
    const tickMs = this.options.tickMs ?? 20
    if (tickMs > 0) this.timer = setInterval(() => this.tick(), tickMs)
    return this
  }

  tick(): void {
    this.controller.tick()
  }

  /** Writes a kubeconfig for this server (token and CA inline, as clusters often hand them out). */
  kubeconfig(options: { namespace?: string; file?: string; context?: string } = {}): string {
    const file = options.file ?? path.join(this.dir, 'kubeconfig')
    const context = options.context ?? 'standin'
    const cluster: Record<string, string> = { server: this.url }
    if (this.ca) cluster['certificate-authority-data'] = Buffer.from(this.ca).toString('base64')
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'standin', cluster }],
      users: [{ name: 'standin-user', user: { token: this.token } }],
      contexts: [
        {
          name: context,
          context: { cluster: 'standin', user: 'standin-user', namespace: options.namespace ?? 'default' },
        },
      ],
      'current-context': context,
    }
    writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 })
    return file
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    for (const res of this.watches) res.end()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    this.server?.closeAllConnections?.()
    rmSync(this.dir, { recursive: true, force: true })
  }

  /** Checks a body as the API server does for a CRD: apiVersion and kind, metadata, the v1 schema. */
  validate(plural: string, object: KubeObject): void {
    const crd = tektonCrds().get(plural)
    const resource = RESOURCES.find((r) => r.plural === plural)!
    const apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version
    const name = object.metadata?.name ?? ''
    const causes: FieldError[] = []
    const invalid = (field: string, message: string) =>
      causes.push({ field, message: `${field}: Invalid value: ${message}`, unknown: false })
    if (object.apiVersion !== apiVersion)
      invalid('apiVersion', `"${String(object.apiVersion)}": must be ${apiVersion}`)
    if (object.kind !== resource.kind) invalid('kind', `"${String(object.kind)}": must be ${resource.kind}`)
    if (!name || name.length > 253 || !DNS_SUBDOMAIN.test(name))
      invalid(
        'metadata.name',
        `"${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      )
    const { status: _status, ...checked } = object
    if (crd && !crd.validate(checked)) causes.push(...fieldErrors(crd.validate.errors))
    const unknown = causes.filter((c) => c.unknown)
    if (unknown.length > 0)
      throw new KubeError(
        400,
        'BadRequest',
        `${resource.kind} in version "${resource.version}" cannot be handled as a ${resource.kind}: strict decoding error: ${unknown.map((c) => c.message).join(', ')}`,
      )
    if (causes.length > 0)
      throw new KubeError(
        422,
        'Invalid',
        `${resource.kind}.${resource.group || 'core'} "${name}" is invalid: ${causes.map((c) => c.message).join(', ')}`,
        {
          name,
          group: resource.group,
          kind: resource.kind,
          causes: causes.map((c) => ({
            reason: 'FieldValueInvalid',
            message: c.message.slice(c.field.length + 2),
            field: c.field,
          })),
        },
      )
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      authorized: req.headers.authorization === `Bearer ${this.token}`,
      status: 200,
      userAgent: String(req.headers['user-agent'] ?? ''),
      contentType: String(req.headers['content-type'] ?? ''),
    }
    this.requests.push(seen)
    try {
      if (!seen.authorized) throw new KubeError(401, 'Unauthorized', 'Unauthorized')
      const body = await readBody(req)
      await this.route(req, res, url, body)
    } catch (error) {
      const e =
        error instanceof KubeError ? error : new KubeError(500, 'InternalError', (error as Error).message)
      seen.status = e.code
      if (res.headersSent) return void res.end()
      send(res, e.code, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: e.message,
        reason: e.reason,
        ...(e.details ? { details: e.details } : {}),
        code: e.code,
      })
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
    const p = url.pathname.replace(/\/+$/, '') || '/'
    const method = req.method ?? 'GET'
    if (method === 'GET') {
      const discovery = this.discovery(p)
      if (discovery) return send(res, 200, discovery)
    }
    const m =
      /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(
        p,
      )
    if (!m) throw new KubeError(404, 'NotFound', 'the server could not find the requested resource')
    const [, group = '', version = 'v1', namespace, plural, name, sub] = m
    const resource = RESOURCES.find((r) => r.plural === plural && r.group === group && r.version === version)
    if (!resource) throw new KubeError(404, 'NotFound', 'the server could not find the requested resource')
    if (plural === 'namespaces' && namespace)
      throw new KubeError(404, 'NotFound', 'the server could not find the requested resource')
    if (resource.namespaced && namespace && !this.store.get('namespaces', undefined, namespace))
      throw new KubeError(404, 'NotFound', `namespaces "${namespace}" not found`, {
        name: namespace,
        kind: 'namespaces',
      })
    const ns = resource.namespaced ? namespace : undefined
    if (!name) return this.collection(req, res, url, resource, ns, body)
    if (sub === 'log' && plural === 'pods') return this.podLog(res, url, ns, name)
    if (sub && sub !== 'status')
      throw new KubeError(404, 'NotFound', 'the server could not find the requested resource')
    return this.item(req, res, url, resource, ns, name, body, sub === 'status')
  }

  private discovery(p: string): unknown {
    const list = (groupVersion: string, group: string) => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion,
      resources: RESOURCES.filter((r) => r.group === group).flatMap((r) => [
        {
          name: r.plural,
          singularName: r.singular,
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: r.verbs,
          ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
          ...(r.categories?.length ? { categories: r.categories } : {}),
        },
        ...(r.group
          ? [
              {
                name: `${r.plural}/status`,
                singularName: '',
                namespaced: true,
                kind: r.kind,
                verbs: ['get', 'patch', 'update'],
              },
            ]
          : []),
        ...(r.plural === 'pods'
          ? [{ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] }]
          : []),
      ]),
    })
    const tekton = {
      name: 'tekton.dev',
      versions: [{ groupVersion: 'tekton.dev/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'tekton.dev/v1', version: 'v1' },
    }
    switch (p) {
      case '/version':
        return { major: '1', minor: '32', gitVersion: 'v1.32.0-standin', platform: 'linux/amd64' }
      case '/api':
        return {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [
            { clientCIDR: '0.0.0.0/0', serverAddress: this.url.replace(/^https?:\/\//, '') },
          ],
        }
      case '/apis':
        return { kind: 'APIGroupList', apiVersion: 'v1', groups: [tekton] }
      case '/apis/tekton.dev':
        return { kind: 'APIGroup', apiVersion: 'v1', ...tekton }
      case '/api/v1':
        return list('v1', '')
      case '/apis/tekton.dev/v1':
        return list('tekton.dev/v1', 'tekton.dev')
      case '/openapi/v3':
        return {
          paths: Object.fromEntries(
            ['api/v1', 'apis/tekton.dev/v1'].map((gv) => [
              gv,
              { serverRelativeURL: `/openapi/v3/${gv}?hash=standin` },
            ]),
          ),
        }
      case '/openapi/v3/api/v1':
        return openApiV3('', 'v1')
      case '/openapi/v3/apis/tekton.dev/v1':
        return openApiV3('tekton.dev', 'v1')
      default:
        return undefined
    }
  }

  private selector(url: URL, ns: string | undefined) {
    return {
      namespace: ns,
      labels: url.searchParams.get('labelSelector') ?? undefined,
      fields: url.searchParams.get('fieldSelector') ?? undefined,
    }
  }

  private async collection(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    r: Resource,
    ns: string | undefined,
    body: string,
  ): Promise<void> {
    const method = req.method ?? 'GET'
    const wantsTable = /as=Table/.test(String(req.headers.accept ?? ''))
    if (method === 'GET') {
      if (!r.verbs.includes('list')) throw methodNotAllowed()
      const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '')
      if (watch) return this.watch(req, res, url, r, ns, wantsTable)
      const items = this.store.list(r.plural, this.selector(url, ns))
      if (wantsTable)
        return send(
          res,
          200,
          table(r.plural, items, this.store.resourceVersion, url.searchParams.get('includeObject')),
        )
      return send(res, 200, {
        kind: `${r.kind}List`,
        apiVersion: r.group ? `${r.group}/${r.version}` : r.version,
        metadata: { resourceVersion: this.store.resourceVersion },
        items,
      })
    }
    if (method === 'POST') {
      if (!r.verbs.includes('create') || !ns) throw methodNotAllowed()
      const object = parseBody(body, req)
      object.metadata ??= { name: '' }
      if (!object.metadata.name && object.metadata.generateName)
        object.metadata.name = this.store.uniqueName(r.plural, ns, object.metadata.generateName)
      if (object.metadata.namespace && object.metadata.namespace !== ns)
        throw new KubeError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        )
      object.metadata.namespace = ns
      for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation']) delete object.metadata[k]
      delete object.status
      this.validate(r.plural, object)
      if (this.store.get(r.plural, ns, object.metadata.name))
        throw new KubeError(
          409,
          'AlreadyExists',
          `${r.plural}.${r.group} "${object.metadata.name}" already exists`,
          { name: object.metadata.name, group: r.group, kind: r.plural },
        )
      if (url.searchParams.get('dryRun') === 'All') return send(res, 201, object)
      return send(res, 201, this.store.create(r.plural, object))
    }
    throw methodNotAllowed()
  }

  private async item(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    r: Resource,
    ns: string | undefined,
    name: string,
    body: string,
    status: boolean,
  ): Promise<void> {
    const method = req.method ?? 'GET'
    const current = this.store.get(r.plural, ns, name)
    const notFound = () =>
      new KubeError(404, 'NotFound', `${r.plural}${r.group ? `.${r.group}` : ''} "${name}" not found`, {
        name,
        group: r.group,
        kind: r.plural,
      })
    if (!current) throw notFound()
    if (method === 'GET') {
      if (/as=Table/.test(String(req.headers.accept ?? '')))
        return send(
          res,
          200,
          table(r.plural, [current], this.store.resourceVersion, url.searchParams.get('includeObject')),
        )
      return send(res, 200, current)
    }
    if (method === 'DELETE') {
      if (!r.verbs.includes('delete')) throw methodNotAllowed()
      this.cascade(r.plural, current)
      return send(res, 200, this.store.delete(r.plural, ns, name))
    }
    if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed()
    if (!r.verbs.includes(method === 'PUT' ? 'update' : 'patch')) throw methodNotAllowed()
    let next: KubeObject
    if (method === 'PUT') {
      next = parseBody(body, req)
      if (
        next.metadata?.resourceVersion &&
        next.metadata.resourceVersion !== current.metadata.resourceVersion
      )
        throw new KubeError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${r.plural}.${r.group} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        )
      if (next.metadata?.name !== name)
        throw new KubeError(400, 'BadRequest', 'the name of the object does not match the name on the URL')
    } else next = patch(current, body, String(req.headers['content-type'] ?? ''))
    next.metadata = {
      ...next.metadata,
      namespace: ns,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      generation: current.metadata.generation,
    }
    // The status subresource: writes to the object leave status alone, and to /status only status.
    if (status) next = { ...current, status: next.status }
    else next.status = current.status
    this.validate(r.plural, next)
    if (url.searchParams.get('dryRun') === 'All') return send(res, 200, next)
    return send(res, 200, this.store.update(r.plural, next))
  }

  // Garbage collection by owner reference, at once (foreground deletion without the wait).
  private cascade(plural: string, owner: KubeObject): void {
    for (const child of ['taskruns', 'pods'])
      for (const o of this.store.list(child, { namespace: owner.metadata.namespace }))
        if (o.metadata.ownerReferences?.some((ref) => ref.uid === owner.metadata.uid)) {
          this.cascade(child, o)
          this.store.delete(child, o.metadata.namespace, o.metadata.name)
        }
    void plural
  }

  private podLog(res: ServerResponse, url: URL, ns: string | undefined, name: string): void {
    const pod = this.store.get('pods', ns, name)
    if (!pod) throw new KubeError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' })
    const containers = (pod.spec as { containers: { name: string }[] }).containers.map((c) => c.name)
    const container =
      url.searchParams.get('container') ?? (containers.length === 1 ? containers[0] : undefined)
    if (!container)
      throw new KubeError(
        400,
        'BadRequest',
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
      )
    if (!containers.includes(container))
      throw new KubeError(400, 'BadRequest', `container ${container} is not valid for pod ${name}`)
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end(this.controller.logs.get(name)?.get(container) ?? '')
  }

  private watch(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    r: Resource,
    ns: string | undefined,
    wantsTable: boolean,
  ): void {
    const selector = this.selector(url, ns)
    const from = Number(url.searchParams.get('resourceVersion') ?? '0')
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? '0')
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
    res.flushHeaders()
    this.watches.add(res)
    let first = true
    const write = (type: string, object: KubeObject) => {
      const shown = wantsTable
        ? table(
            r.plural,
            [object],
            object.metadata.resourceVersion ?? '',
            url.searchParams.get('includeObject'),
            !first,
          )
        : object
      first = false
      res.write(JSON.stringify({ type, object: shown }) + '\n')
    }
    if (from > 0) {
      for (const e of this.store.history)
        if (e.rv > from && matches(e.object, e.plural, r.plural, selector)) write(e.type, e.object)
    } else for (const o of this.store.list(r.plural, selector)) write('ADDED', o)
    const stop = this.store.onChange((e) => {
      if (matches(e.object, e.plural, r.plural, selector)) write(e.type, e.object)
    })
    const end = () => {
      stop()
      this.watches.delete(res)
      res.end()
    }
    req.on('close', end)
    if (timeout > 0) setTimeout(end, timeout * 1000).unref()
  }
}

// Enough of the OpenAPI v3 document for kubectl to see that the server validates fields itself
// (a PATCH operation per kind with the fieldValidation parameter): it then sends
// fieldValidation=Strict and leaves the checking to the server, which is what this stand-in tests.
function openApiV3(group: string, version: string) {
  const paths: Record<string, unknown> = {}
  for (const r of RESOURCES.filter((x) => x.group === group && x.version === version)) {
    const base = `/${group ? `apis/${group}` : 'api'}/${version}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`
    const gvk = { 'x-kubernetes-group-version-kind': { group, version, kind: r.kind } }
    const params = ['dryRun', 'fieldValidation', 'fieldManager'].map((name) => ({
      name,
      in: 'query',
      schema: { type: 'string' },
    }))
    paths[base] = { post: { ...gvk, parameters: params, responses: {} } }
    paths[`${base}/{name}`] = {
      patch: { ...gvk, parameters: params, responses: {} },
      put: { ...gvk, parameters: params, responses: {} },
    }
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes stand-in', version },
    paths,
    components: { schemas: {} },
  }
}

function methodNotAllowed() {
  return new KubeError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  )
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function parseBody(body: string, req: IncomingMessage): KubeObject {
  const type = String(req.headers['content-type'] ?? '')
  if (!/json/.test(type))
    throw new KubeError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json`,
    )
  try {
    const parsed = JSON.parse(body) as unknown
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object')
    return parsed as KubeObject
  } catch (error) {
    throw new KubeError(400, 'BadRequest', `the object provided is unrecognized: ${(error as Error).message}`)
  }
}

function mergePatch(target: unknown, patchValue: unknown): unknown {
  if (!patchValue || typeof patchValue !== 'object' || Array.isArray(patchValue)) return patchValue
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {}
  for (const [k, v] of Object.entries(patchValue)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

function pointer(p: string): string[] {
  return p
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
}

function jsonPatch(target: KubeObject, ops: { op: string; path: string; value?: unknown }[]): KubeObject {
  const doc = structuredClone(target) as unknown as Record<string, unknown>
  for (const op of ops) {
    const keys = pointer(op.path)
    const last = keys.pop()!
    let parent: Record<string, unknown> | unknown[] = doc
    for (const k of keys) parent = parent[k] as Record<string, unknown>
    if (parent === undefined || parent === null)
      throw new KubeError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: path ${op.path} does not exist`,
      )
    if (op.op === 'test' && JSON.stringify(parent[last]) !== JSON.stringify(op.value))
      throw new KubeError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: test failed at ${op.path}`,
      )
    if (op.op === 'add' || op.op === 'replace') {
      if (Array.isArray(parent)) {
        if (op.op === 'add') parent.splice(last === '-' ? parent.length : Number(last), 0, op.value)
        else parent[Number(last)] = op.value
      } else parent[last] = op.value
    } else if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1)
      else delete parent[last]
    } else if (op.op !== 'test')
      throw new KubeError(422, 'Invalid', `unsupported JSON patch operation ${op.op}`)
  }
  return doc as unknown as KubeObject
}

function patch(current: KubeObject, body: string, type: string): KubeObject {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch (error) {
    throw new KubeError(400, 'BadRequest', `the patch is not JSON: ${(error as Error).message}`)
  }
  if (type.startsWith('application/merge-patch+json')) return mergePatch(current, parsed) as KubeObject
  if (type.startsWith('application/json-patch+json')) return jsonPatch(current, parsed as never)
  throw new KubeError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json`,
  )
}
