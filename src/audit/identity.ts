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

/** The process's identity with what the caller knows laid over it. */
export function mergeIdentity(base: Identity, extra: Partial<Identity> | undefined): Identity {
  if (!extra) return base
  const merged: Identity = { ...base }
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value
  }
  return merged
}
