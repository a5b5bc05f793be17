import { createHash, timingSafeEqual } from 'node:crypto'

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Whether a bind address only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/**
 * DNS rebinding protection: a page on evil.example whose name now resolves to 127.0.0.1 still
 * sends `Host: evil.example`. Only loopback names and the configured ones pass (any port).
 */
export function hostAllowed(header: string | undefined, extra: readonly string[]): boolean {
  if (!header) return false
  let hostname: string
  try {
    hostname = new URL(`http://${header}`).hostname.toLowerCase()
  } catch {
    return false
  }
  return LOOPBACK.has(hostname) || extra.some((h) => h.toLowerCase() === hostname)
}

/**
 * A browser always sends Origin on cross-site requests; other clients usually send none. A
 * present Origin must be a loopback page (any port), the server's own origin (the request's
 * Host, which hostAllowed has already checked), or one configured exactly. `required` (a
 * server bound beyond loopback) refuses a request without one.
 */
export function originAllowed(
  header: string | undefined,
  extra: readonly string[],
  options: { required?: boolean; host?: string | undefined } = {},
): boolean {
  if (header === undefined) return !options.required
  let origin: URL
  try {
    origin = new URL(header)
  } catch {
    return false
  }
  if (origin.protocol !== 'http:' && origin.protocol !== 'https:') return false
  if (LOOPBACK.has(origin.hostname)) return true
  if (options.host !== undefined && origin.host === hostOf(options.host)) return true
  return extra.some((allowed) => new URL(allowed).origin === origin.origin)
}

/** `Authorization: Bearer <token>`, compared in constant time. */
export function bearerValid(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  if (!match) return false
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(match[1]!), digest(token))
}

function hostOf(header: string): string | undefined {
  try {
    return new URL(`http://${header}`).host
  } catch {
    return undefined
  }
}
