import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError, ERROR_CODES, type ErrorCode } from '../errors/driftcore-error.js'
import { CONTROL_BASE } from './openapi.js'

export const SERVER_ENV = 'DRIFTCORE_SERVER'
export const SERVER_TOKEN_ENV = 'DRIFTCORE_SERVER_TOKEN'
export const SERVER_TOKEN_FILE_ENV = 'DRIFTCORE_SERVER_TOKEN_FILE'
/** The default token file, in the user's driftcore config folder. */
export const SERVER_TOKEN_FILE = 'server-token'

export interface ClientToken {
  token: string
  /** Where it came from, named in errors (never the value). */
  source: string
}

/**
 * The person's control-API token: DRIFTCORE_SERVER_TOKEN, else the file DRIFTCORE_SERVER_TOKEN_FILE
 * names, else `server-token` in the user's config folder. Never a flag: flags show in `ps`.
 * A token file others can read is refused, as ssh refuses such a key.
 */
export async function clientToken(
  env: NodeJS.ProcessEnv,
  configDir: string,
): Promise<ClientToken | undefined> {
  const fromEnv = env[SERVER_TOKEN_ENV]?.trim()
  if (fromEnv) return { token: fromEnv, source: SERVER_TOKEN_ENV }
  const file = env[SERVER_TOKEN_FILE_ENV] || path.join(configDir, SERVER_TOKEN_FILE)
  let mode: number
  try {
    mode = (await stat(file)).mode
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !env[SERVER_TOKEN_FILE_ENV]) return undefined
    throw new DriftcoreError('not_found', `cannot read the server token file ${file}`, {
      hint: `${SERVER_TOKEN_FILE_ENV} names it; write the token there with mode 600`,
      cause: error,
    })
  }
  if ((mode & 0o077) !== 0)
    throw new DriftcoreError(
      'forbidden',
      `${file} can be read by other users (mode ${(mode & 0o777).toString(8)}); refusing to use it`,
      { hint: `chmod 600 ${file}` },
    )
  const token = (await readFile(file, 'utf8')).trim()
  if (token === '')
    throw new DriftcoreError('invalid_input', `${file} is empty`, { hint: 'put the token in it' })
  return { token, source: file }
}

/**
 * A small client of the control API (see openapi.ts): JSON in, JSON out, and a server's error
 * turned back into the same DriftcoreError, so a command exits as it would locally.
 */
export class ControlClient {
  readonly base: string

  constructor(
    server: string,
    private readonly token: ClientToken | undefined,
    private readonly where = `--server / ${SERVER_ENV}`,
  ) {
    this.base = controlBase(server)
  }

  get<T>(route: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = new URLSearchParams()
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value))
    const search = params.size > 0 ? `?${params.toString()}` : ''
    return this.request<T>('GET', `${route}${search}`)
  }

  post<T>(route: string, body: unknown): Promise<T> {
    return this.request<T>('POST', route, body)
  }

  private async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    if (!this.token) {
      throw new DriftcoreError('forbidden', `no person token for the driftcore server at ${this.base}`, {
        hint: `set ${SERVER_TOKEN_ENV}, or write the token to the file ${SERVER_TOKEN_FILE_ENV} names (mode 600); the server's operator makes one with: driftcore serve tokens add NAME`,
      })
    }
    const url = `${this.base}${CONTROL_BASE}${route}`
    let response: Response
    try {
      response = await fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${this.token.token}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause
      throw new DriftcoreError(
        'unavailable',
        `cannot reach the driftcore server at ${this.base} (from ${this.where}): ${cause?.code ?? cause?.message ?? (error as Error).message}`,
        { hint: `is \`driftcore serve\` running there? Check the URL in ${this.where}`, cause: error },
      )
    }
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new DriftcoreError(
        'unavailable',
        `${this.base} did not answer like a driftcore control API (HTTP ${response.status} to ${method} ${CONTROL_BASE}${route})`,
        { hint: `check the URL in ${this.where}: it is the address \`driftcore serve\` prints` },
      )
    }
    if (response.status === 401) {
      throw new DriftcoreError(
        'forbidden',
        `the driftcore server at ${this.base} refused the token from ${this.token.source}`,
        {
          hint: `it is not a person token of that server (an MCP token is not one): ask its operator for one (driftcore serve tokens add NAME) and put it in ${SERVER_TOKEN_ENV}`,
        },
      )
    }
    if (!response.ok) throw errorFrom(parsed, response.status, url)
    return parsed as T
  }
}

/** The server's base URL: what `driftcore serve` prints, with or without `/mcp` or `/control/v1`. */
export function controlBase(server: string): string {
  let url: URL
  try {
    url = new URL(server)
  } catch {
    throw new DriftcoreError('invalid_input', `"${server}" is not a server URL`, {
      hint: 'e.g. --server http://127.0.0.1:7800 (what `driftcore serve` prints)',
    })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new DriftcoreError('invalid_input', `"${server}" is not an http(s) URL`)
  const pathname = url.pathname.replace(/\/+$/, '').replace(/(\/mcp|\/control\/v1)$/, '')
  return `${url.origin}${pathname}`
}

function errorFrom(body: unknown, status: number, url: string): DriftcoreError {
  const error = (
    body as { error?: { code?: string; message?: string; hint?: string; details?: Record<string, unknown> } }
  ).error
  if (
    error &&
    typeof error.message === 'string' &&
    typeof error.code === 'string' &&
    error.code in ERROR_CODES
  ) {
    return new DriftcoreError(error.code as ErrorCode, error.message, {
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error.details ? { details: error.details } : {}),
    })
  }
  return new DriftcoreError('internal', `the server answered HTTP ${status} to ${url}`)
}
