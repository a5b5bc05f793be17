import { DriftcoreError, type ToolContext } from 'driftcore/api'
import type { Client } from 'openapi-fetch'
import type { components, paths } from '../../generated/gitea-api.js'
import type { GiteaSettings } from '../settings/section.js'
import { apiError, networkError } from './errors.js'

export type Schemas = components['schemas']

/** The typed client (types generated from Gitea's document) and what each call needs around it. */
export interface GiteaApi {
  client: Client<paths>
  server: string
  settings: GiteaSettings
  /**
   * Runs one request: a network failure is `unavailable`, an error status is mapped by
   * {@link apiError}, and the data is returned typed.
   */
  call<T>(
    action: string,
    request: (init: { signal: AbortSignal }) => Promise<{ data?: T; error?: unknown; response: Response }>,
  ): Promise<T>
}

/** The `gitea:` section of the call's config, or an error saying what to set. */
export function settingsOf(ctx: Pick<ToolContext, 'config'>): GiteaSettings & { url: string; token: string } {
  const settings = ctx.config.gitea as GiteaSettings
  const missing = (['url', 'token'] as const).filter((k) => !settings[k])
  if (missing.length > 0) {
    throw new DriftcoreError(
      'invalid_input',
      `gitea.${missing.join(' and gitea.')} ${missing.length > 1 ? 'are' : 'is'} not set`,
      {
        hint: 'driftcore config set gitea.url https://git.example.com; driftcore config set gitea.token secret://env/GITEA_TOKEN (see docs/guides/gitea.md)',
        details: { missing: missing.map((k) => `gitea.${k}`) },
      },
    )
  }
  return settings as GiteaSettings & { url: string; token: string }
}

/**
 * A client for this call: the token resolved from its reference (and so registered with the
 * redactor), sent as Gitea's `Authorization: token …` header, never in a URL.
 */
export async function giteaApi(
  ctx: Pick<ToolContext, 'config' | 'secrets' | 'signal' | 'constraints'>,
): Promise<GiteaApi> {
  const settings = settingsOf(ctx)
  if (ctx.constraints.network === 'none') {
    throw new DriftcoreError(
      'policy_denied',
      'the policy gives this call no network (network: none), and Gitea is reached over the network',
      {
        details: { constraint: 'network' },
      },
    )
  }
  const token = await ctx.secrets.resolve(settings.token)
  const server = settings.url.replace(/\/+$/, '')
  // Loaded here, not with the plugin's capabilities, which every driftcore command loads.
  const { default: createClient } = await import('openapi-fetch')
  const client = createClient<paths>({
    baseUrl: `${server}/api/v1`,
    headers: { Authorization: `token ${token}`, Accept: 'application/json' },
  })
  return {
    client,
    server,
    settings,
    async call(action, request) {
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(settings.timeout_ms)])
      let answer: Awaited<ReturnType<typeof request>>
      try {
        answer = await request({ signal })
      } catch (error) {
        if (ctx.signal.aborted) throw error
        if (signal.aborted)
          throw new DriftcoreError(
            'timeout',
            `Gitea at ${server} did not answer to ${action} within ${settings.timeout_ms} ms`,
            {
              hint: 'raise gitea.timeout_ms, or check the server',
            },
          )
        throw networkError(error, action, server)
      }
      if (!answer.response.ok) throw apiError(answer.response.status, action, answer.error, server)
      return answer.data as never
    },
  }
}
