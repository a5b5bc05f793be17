import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Redactor } from '../audit/redact.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { yamlLib } from '../store/yaml-lib.js'

const REF = /^secret:\/\/(env|file)\/(.+)$/
const MAX_SECRET_FILE_BYTES = 1024 * 1024

export function isSecretRef(value: unknown): value is string {
  return typeof value === 'string' && REF.test(value)
}

export interface SecretResolver {
  /** Resolves a `secret://…` reference and registers the value with the redactor. */
  resolve(ref: string): Promise<string>
}

/**
 * Secrets are named by reference (`secret://env/NAME`, `secret://file/PATH#key`) everywhere a
 * user writes them, and turned into values only here, at the moment a handler or the launcher
 * needs them. Every value resolved is registered with the redactor before it is returned.
 */
export function createSecretResolver(options: {
  root: string
  env: NodeJS.ProcessEnv
  redactor: Redactor
}): SecretResolver {
  return {
    async resolve(ref: string): Promise<string> {
      const match = REF.exec(ref)
      if (!match) {
        throw new DriftcoreError('invalid_input', `"${ref}" is not a secret reference`, {
          hint: 'use secret://env/NAME or secret://file/PATH#key',
        })
      }
      const value =
        match[1] === 'env'
          ? fromEnv(ref, match[2]!, options.env)
          : await fromFile(ref, match[2]!, options.root)
      options.redactor.register(value)
      return value
    },
  }
}

/** Every `secret://` reference among `value`'s strings, however deep (arrays and objects). */
export function secretRefsIn(value: unknown, found = new Set<string>()): Set<string> {
  if (isSecretRef(value)) found.add(value)
  else if (Array.isArray(value)) for (const item of value) secretRefsIn(item, found)
  else if (value !== null && typeof value === 'object')
    for (const item of Object.values(value)) secretRefsIn(item, found)
  return found
}

export interface UnresolvedSecret {
  ref: string
  reason: string
}

/**
 * Resolves every secret the config refers to (core and plugin sections), so that the redactor
 * masks each value from the start: a process that never uses a secret can still meet its value
 * (in a site's config, a command's output, a log) and must not print or record it. A reference
 * that does not resolve here is returned, not thrown: the command may not need it.
 */
export async function registerConfigSecrets(
  values: unknown,
  resolver: SecretResolver,
): Promise<UnresolvedSecret[]> {
  const outcomes = await Promise.all(
    [...secretRefsIn(values)].map((ref) =>
      resolver.resolve(ref).then(
        () => undefined,
        (error: unknown) => ({ ref, reason: error instanceof Error ? error.message : String(error) }),
      ),
    ),
  )
  return outcomes.filter((o) => o !== undefined)
}

function unresolved(ref: string, why: string): DriftcoreError {
  return new DriftcoreError('not_found', `secret reference ${ref} does not resolve: ${why}`, {
    hint: 'set the variable or create the file it names; the value itself never appears in config',
  })
}

function fromEnv(ref: string, name: string, env: NodeJS.ProcessEnv): string {
  const value = env[name]
  if (value === undefined || value === '') throw unresolved(ref, `environment variable ${name} is not set`)
  return value
}

async function fromFile(ref: string, spec: string, root: string): Promise<string> {
  const hash = spec.indexOf('#')
  const file = path.resolve(root, hash === -1 ? spec : spec.slice(0, hash))
  const key = hash === -1 ? undefined : spec.slice(hash + 1)
  let text: string
  try {
    // A secret file is small: a device or a huge file named by mistake must not stall the kernel.
    const info = await stat(file)
    if (!info.isFile() || info.size > MAX_SECRET_FILE_BYTES) throw new Error('not a small regular file')
    text = await readFile(file, 'utf8')
  } catch {
    throw unresolved(ref, `cannot read ${file} (a regular file of at most 1 MiB)`)
  }
  if (key === undefined) return text.trim()
  const value = lookup(parseSecretFile(file, text), key)
  if (typeof value !== 'string' && typeof value !== 'number')
    throw unresolved(ref, `${file} has no key "${key}"`)
  return String(value)
}

function parseSecretFile(file: string, text: string): unknown {
  if (/\.(json|ya?ml)$/i.test(file)) {
    try {
      return yamlLib().parse(text) as unknown
    } catch {
      return undefined
    }
  }
  // dotenv: KEY=VALUE per line, optional quotes.
  const entries: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$/.exec(line)
    if (m) entries[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2')
  }
  return entries
}

function lookup(data: unknown, key: string): unknown {
  let node = data
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[part]
  }
  return node
}
