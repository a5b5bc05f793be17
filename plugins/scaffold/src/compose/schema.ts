import { z } from 'zod'

/**
 * The part of the Compose Specification the sandbox relies on, typed; other keys pass through
 * for `docker compose config` to judge. Used on the file as written, before interpolation, so
 * `${VAR}` references are checked as references.
 */
const stringList = z.lazy(() => z.array(z.string()))
const mount = z.lazy(() =>
  z.union([
    z.string(),
    z.looseObject({
      type: z.enum(['bind', 'volume', 'tmpfs', 'npipe', 'cluster', 'image']),
      source: z.string().optional(),
      target: z.string(),
      read_only: z.boolean().optional(),
    }),
  ]),
)

const service = z.lazy(() =>
  z.looseObject({
    image: z.string().min(1),
    user: z.string().optional(),
    privileged: z.boolean().optional(),
    network_mode: z.string().optional(),
    networks: z.union([stringList, z.record(z.string(), z.unknown())]).optional(),
    ports: z.array(z.unknown()).optional(),
    environment: z
      .union([z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), stringList])
      .optional(),
    env_file: z.union([z.string(), z.array(z.unknown())]).optional(),
    volumes: z.array(mount).optional(),
    cap_drop: stringList.optional(),
    security_opt: stringList.optional(),
  }),
)

export const composeSchema = z.lazy(() =>
  z.looseObject({
    services: z.record(z.string().regex(/^[a-zA-Z0-9._-]+$/), service),
    networks: z.record(z.string(), z.looseObject({ internal: z.boolean().optional() }).nullable()).optional(),
    volumes: z.record(z.string(), z.unknown()).optional(),
  }),
)

export type ComposeFile = z.output<typeof composeSchema>
export type ComposeService = z.output<typeof service>

export interface Problem {
  /** Dotted path in the file, e.g. services.db.user. */
  path: string
  message: string
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|SALT|KEY|CREDENTIAL/i
const REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:?[?-][^}]*)?\}$/

/** A mount as {target, read_only}, whichever syntax it was written in. */
export function mountOf(entry: string | { target: string; read_only?: boolean | undefined }): {
  target: string
  read_only: boolean
} {
  if (typeof entry !== 'string') return { target: entry.target, read_only: entry.read_only === true }
  const [, target = '', mode = ''] = entry.split(':')
  return { target, read_only: mode.split(',').includes('ro') }
}

export function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {}
  if (Array.isArray(env))
    return Object.fromEntries(env.map((e) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)]))
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]))
}

/**
 * What driftcore requires of the sandbox beyond a valid file: no container runs as root or keeps
 * capabilities, none can reach outside (internal networks only, nothing published), the exported
 * config is mounted read-only, and secrets appear only as references to .env.
 */
export function sandboxProblems(compose: ComposeFile): Problem[] {
  const problems: Problem[] = []
  const add = (path: string, message: string) => problems.push({ path, message })
  const networks = compose.networks ?? {}
  for (const [name, network] of Object.entries(networks)) {
    if (network?.internal !== true)
      add(`networks.${name}.internal`, 'must be true: the sandbox has no outbound network')
  }
  let configMounts = 0
  for (const [name, svc] of Object.entries(compose.services)) {
    const at = `services.${name}`
    const user = svc.user?.split(':')[0]
    if (user === undefined) add(`${at}.user`, 'is missing: every container runs as a non-root user')
    else if (user === '0' || user === 'root') add(`${at}.user`, 'must not be root')
    if (svc.privileged) add(`${at}.privileged`, 'must not be set')
    if (!svc.cap_drop?.includes('ALL')) add(`${at}.cap_drop`, 'must include ALL')
    if (!svc.security_opt?.includes('no-new-privileges:true'))
      add(`${at}.security_opt`, 'must include no-new-privileges:true')
    if (svc.network_mode !== undefined && svc.network_mode !== 'none')
      add(`${at}.network_mode`, `"${svc.network_mode}" bypasses the internal network`)
    const joined =
      svc.networks === undefined
        ? ['default']
        : Array.isArray(svc.networks)
          ? svc.networks
          : Object.keys(svc.networks)
    for (const net of joined) {
      if (!Object.hasOwn(networks, net))
        add(`${at}.networks`, `joins "${net}", which is not declared as an internal network`)
    }
    if (svc.ports?.length)
      add(`${at}.ports`, 'publishes ports; the default sandbox publishes none (see compose.publish.yaml)')
    const tag = /:([^/@]+)$/.exec(svc.image)?.[1]
    if (!svc.image.includes('@') && (tag === undefined || tag === 'latest'))
      add(`${at}.image`, 'must be pinned to a version tag or digest')
    for (const [index, volume] of (svc.volumes ?? []).entries()) {
      const { target, read_only } = mountOf(volume)
      if (!/\/config\/sync\/?$/.test(target)) continue
      configMounts += 1
      if (!read_only)
        add(`${at}.volumes.${index}`, `the exported config (${target}) must be mounted read-only`)
    }
    for (const [key, value] of Object.entries(environmentOf(svc))) {
      if (SECRET_NAME.test(key) && !REFERENCE.test(value))
        add(
          `${at}.environment.${key}`,
          'holds a credential, so it must be a ${NAME} reference to .env, never the value itself',
        )
    }
  }
  if (configMounts === 0) add('services', 'no service mounts the exported config (…/config/sync) read-only')
  return problems
}
