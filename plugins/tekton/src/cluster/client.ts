import { existsSync } from 'node:fs'
import type { CoreV1Api, CustomObjectsApi, Watch } from '@kubernetes/client-node'
import { DriftcoreError } from 'driftcore/api'
import { kubeconfigFiles, type TektonConfig } from './config.js'

export const GROUP = 'tekton.dev'
export const VERSION = 'v1'

/** A connection to one cluster and namespace, made from the user's kubeconfig. */
export interface Cluster {
  namespace: string
  /** The API server's URL and the context used: for messages (never a credential). */
  server: string
  context: string
  custom: CustomObjectsApi
  core: CoreV1Api
  watch: Watch
}

/**
 * Opens the cluster the config names. Credentials stay inside the client: nothing returned or
 * thrown here carries a token, a key or a password. A user whose credentials come from a
 * program (exec, auth-provider) would start that program outside driftcore's launcher, so it is
 * refused unless `tekton.exec_credentials: allow`.
 *
 * The client library (~3 MB of code) is loaded here, on a tool's first call, not with the
 * plugin's capabilities: every driftcore command loads those, and most never reach a cluster.
 */
export async function openCluster(config: TektonConfig, root: string): Promise<Cluster> {
  const { CoreV1Api, CustomObjectsApi, KubeConfig, Watch } = await import('@kubernetes/client-node')
  const kc = new KubeConfig()
  const files = kubeconfigFiles(config, root)
  const found = files.filter((f) => existsSync(f))
  try {
    if (found.length === 0) {
      if (!process.env.KUBERNETES_SERVICE_HOST)
        throw new DriftcoreError('not_found', `no kubeconfig: ${files.join(', ')} does not exist`, {
          hint: 'set tekton.kubeconfig in .driftcore/config.yaml, or KUBECONFIG, to the file kubectl uses',
        })
      kc.loadFromCluster()
    } else if (found.length === 1) kc.loadFromFile(found[0]!)
    else kc.loadFromDefault()
  } catch (error) {
    if (error instanceof DriftcoreError) throw error
    throw new DriftcoreError(
      'invalid_input',
      `kubeconfig ${found.join(', ')} cannot be read: ${(error as Error).message}`,
      {
        hint: 'check it with: kubectl config view',
      },
    )
  }
  if (config.context) {
    if (!kc.getContextObject(config.context))
      throw new DriftcoreError(
        'not_found',
        `kubeconfig context "${config.context}" does not exist in ${found.join(', ')}`,
        {
          hint: 'list contexts with: kubectl config get-contexts',
        },
      )
    kc.setCurrentContext(config.context)
  }
  const context = kc.getCurrentContext()
  const cluster = kc.getCurrentCluster()
  if (!cluster)
    throw new DriftcoreError('invalid_input', `kubeconfig context "${context}" names no cluster`, {
      hint: 'set tekton.context to a context kubectl can use (kubectl config get-contexts)',
    })
  const user = kc.getCurrentUser()
  if ((user?.exec || user?.authProvider) && config.exec_credentials !== 'allow')
    throw new DriftcoreError(
      'forbidden',
      `kubeconfig user "${user.name}" (context "${context}") gets its credentials by running a program, which would run outside driftcore's launcher`,
      {
        hint: 'use a token or client certificate for driftcore, or set tekton.exec_credentials: allow in .driftcore/config.yaml to trust that program',
      },
    )
  const namespace = config.namespace ?? kc.getContextObject(context)?.namespace ?? 'default'
  return {
    namespace,
    server: cluster.server,
    context,
    custom: kc.makeApiClient(CustomObjectsApi),
    core: kc.makeApiClient(CoreV1Api),
    watch: new Watch(kc),
  }
}

interface KubeStatus {
  kind?: string
  message?: string
  reason?: string
}

const CODE_FOR_HTTP: Record<number, ConstructorParameters<typeof DriftcoreError>[0]> = {
  400: 'invalid_input',
  401: 'forbidden',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  422: 'invalid_input',
  429: 'unavailable',
}

/**
 * A client error as a DriftcoreError that names the server and what it said. Only the status
 * code and the API server's Status message are kept: the client's own error text can carry
 * request options, and those can carry credentials.
 */
export function kubeError(
  error: unknown,
  cluster: Pick<Cluster, 'server' | 'context'>,
  doing: string,
): DriftcoreError {
  if (error instanceof DriftcoreError) return error
  const e = error as { code?: unknown; body?: unknown; name?: string; cause?: { code?: string } }
  if (typeof e.code === 'number') {
    let status: KubeStatus = {}
    try {
      status = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as KubeStatus
    } catch {
      // not a Status: the code says enough
    }
    const said = status?.message ?? `HTTP ${e.code}`
    return new DriftcoreError(
      CODE_FOR_HTTP[e.code] ?? 'unavailable',
      `${doing}: the Kubernetes API at ${cluster.server} answered ${e.code}: ${said}`,
      {
        hint:
          e.code === 401 || e.code === 403
            ? `check the credentials of kubeconfig context "${cluster.context}" (kubectl auth can-i create pipelineruns.tekton.dev)`
            : e.code === 404 && /could not find the requested resource/.test(said)
              ? 'is Tekton Pipelines installed? (kubectl api-resources --api-group=tekton.dev)'
              : undefined,
        details: { http_status: e.code, ...(status?.reason ? { reason: status.reason } : {}) },
      },
    )
  }
  if (e.name === 'AbortError') return new DriftcoreError('cancelled', `${doing}: cancelled`)
  const net = e.cause?.code ?? ''
  return new DriftcoreError(
    'unavailable',
    `${doing}: cannot reach the Kubernetes API at ${cluster.server}${net ? ` (${net})` : ''}`,
    {
      hint: `check the cluster of kubeconfig context "${cluster.context}" with: kubectl cluster-info`,
    },
  )
}
