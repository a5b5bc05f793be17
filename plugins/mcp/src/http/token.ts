import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError, type Kernel } from 'driftcore/api'
import { mcpConfig } from '../config/section.js'

export const TOKEN_ENV = 'DRIFTCORE_MCP_TOKEN'
export const TOKEN_FILE = 'mcp-token'

export interface ResolvedToken {
  token: string
  /** Where it came from, for the start-up note (never the value). */
  source: string
}

/**
 * The bearer token HTTP clients must send: DRIFTCORE_MCP_TOKEN, else the `mcp.http.token`
 * secret reference, else `.driftcore/state/mcp-token`, generated on first use with mode 0600 (in
 * state/, which a project's .driftcore/.gitignore keeps out of version control). A
 * token file others can read is refused, as ssh refuses such a key. The value is registered
 * with the redactor, so it is masked wherever it might be printed.
 */
export async function resolveToken(
  kernel: Kernel,
  env: NodeJS.ProcessEnv = process.env,
  options: { create: boolean } = { create: true },
): Promise<ResolvedToken> {
  const fromEnv = env[TOKEN_ENV]
  const ref = mcpConfig(kernel.config.values).http.token
  const resolved: ResolvedToken = fromEnv
    ? { token: fromEnv, source: TOKEN_ENV }
    : ref
      ? { token: await kernel.secrets.resolve(ref), source: ref }
      : await tokenFile(tokenPath(kernel), options.create)
  if (resolved.token.length < 16) {
    throw new DriftcoreError(
      'invalid_input',
      `the MCP token from ${resolved.source} is too short to be a secret`,
      {
        hint: 'use at least 16 random characters, e.g. openssl rand -base64 32',
      },
    )
  }
  kernel.redactor.register(resolved.token)
  return resolved
}

/** Where the generated token lives. */
export function tokenPath(kernel: Pick<Kernel, 'paths'>): string {
  return path.join(kernel.paths.state, TOKEN_FILE)
}

async function tokenFile(file: string, create: boolean): Promise<ResolvedToken> {
  const existing = await readToken(file)
  if (existing !== undefined) return { token: existing, source: file }
  if (!create) {
    throw new DriftcoreError(
      'not_found',
      `no MCP token: ${TOKEN_ENV} is not set and ${file} does not exist`,
      {
        hint: 'start the server once with `driftcore mcp serve --transport http`, or set DRIFTCORE_MCP_TOKEN',
      },
    )
  }
  const token = randomBytes(32).toString('base64url')
  await mkdir(path.dirname(file), { recursive: true })
  try {
    // wx: never replace a token another process has just written; 0600: only this user reads it.
    const handle = await open(file, 'wx', 0o600)
    try {
      await handle.writeFile(`${token}\n`)
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return { token: (await readToken(file))!, source: file }
  }
  return { token, source: file }
}

async function readToken(file: string): Promise<string | undefined> {
  let mode: number
  try {
    mode = (await stat(file)).mode
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  if ((mode & 0o077) !== 0) {
    throw new DriftcoreError(
      'forbidden',
      `${file} can be read by other users (mode ${(mode & 0o777).toString(8)}); refusing to use it`,
      { hint: `chmod 600 ${file}` },
    )
  }
  const token = (await readFile(file, 'utf8')).trim()
  if (token === '')
    throw new DriftcoreError('integrity', `${file} is empty`, { hint: `delete it to generate a new one` })
  return token
}
