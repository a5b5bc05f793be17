import { AsyncLocalStorage } from 'node:async_hooks'
import { readlinkSync } from 'node:fs'
import { userInfo } from 'node:os'
import { isatty } from 'node:tty'
import type { Identity } from './record.js'

let memo: Identity | undefined

/**
 * Who this process runs as, computed once. The login name comes from the uid (the password
 * database), never from `USER`/`LOGNAME`, which whoever starts the process sets; the terminal is
 * the one on stdin, found through /proc so no native module is needed (elsewhere it is left out).
 */
export function processIdentity(): Identity {
  return (memo ??= computeIdentity())
}

function computeIdentity(): Identity {
  const uid = process.getuid?.() ?? -1
  let osUser: string
  try {
    osUser = userInfo().username
  } catch {
    // A uid with no passwd entry (containers): the number is the only honest name.
    osUser = `uid:${uid}`
  }
  const tty = stdinTerminal()
  return { os_user: osUser, uid, ...(tty ? { tty } : {}) }
}

function stdinTerminal(): string | undefined {
  if (!isatty(0)) return undefined
  try {
    const target = readlinkSync('/proc/self/fd/0')
    return target.startsWith('/dev/') ? target : undefined
  } catch {
    return undefined
  }
}

const MAX_TEXT = 128

// One store per process even if two copies of this module are loaded (a plugin that resolved its
// own copy of driftcore): a scope opened through one must be seen by the audit log of the other.
const AMBIENT = Symbol.for('driftcore.audit.identity')
const ambient = ((globalThis as Record<symbol, unknown>)[AMBIENT] ??= new AsyncLocalStorage<
  Partial<Identity>
>()) as AsyncLocalStorage<Partial<Identity>>

/**
 * Runs `fn` with `identity` as the caller's identity for every audit record written inside it
 * that names none itself. The gate runs a tool's handler this way, so the records the handler's
 * own work writes (`config.changed` from `config.set`, a policy rollback) say who called too,
 * without every service on the way taking an identity argument.
 */
export function withIdentity<T>(identity: Partial<Identity> | undefined, fn: () => T): T {
  return identity ? ambient.run(identity, fn) : fn()
}

/** The identity given to the innermost `withIdentity` this code runs under, with `own` laid over it. */
export function callerIdentity(own: Partial<Identity> | undefined): Partial<Identity> | undefined {
  const outer = ambient.getStore()
  if (!outer) return own
  return own ? { ...outer, ...own } : outer
}

/**
 * The process's identity with what the caller knows added to it. os_user, uid and tty are
 * always the process's own: they are the one part nobody upstream can claim. The rest comes
 * from callers, partly from the agent itself (an MCP client names itself), so every string is
 * made safe to print and match: control, format and line-separator characters are escaped as
 * `\uXXXX` (a backslash as `\\`) and the length is capped, so a name cannot forge a line of `audit tail` or hide.
 */
export function mergeIdentity(base: Identity, extra: Partial<Identity> | undefined): Identity {
  const out: Identity = { os_user: base.os_user, uid: base.uid, ...(base.tty ? { tty: base.tty } : {}) }
  if (extra?.mcp)
    out.mcp = { client: safeText(extra.mcp.client) || 'unnamed', session: safeText(extra.mcp.session) }
  if (extra?.token !== undefined) out.token = safeText(extra.token)
  if (extra?.key)
    out.key = { principal: safeText(extra.key.principal), fingerprint: safeText(extra.key.fingerprint) }
  return out
}

/** Printable, bounded text: what identity fields hold. */
export function safeText(value: unknown): string {
  const escaped = escapeText(value)
  return escaped.length > MAX_TEXT ? `${escaped.slice(0, MAX_TEXT - 1)}…` : escaped
}

/** Printable text: control, format and line-separator characters as `\uXXXX`, a backslash as `\\`. */
export function escapeText(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : (JSON.stringify(value) ?? '')
  return text.replace(/[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) =>
    c === '\\' ? '\\\\' : `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  )
}
