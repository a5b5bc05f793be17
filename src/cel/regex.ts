import { createRequire } from 'node:module'
import type * as Re2 from 're2js'

// re2js is loaded on first use, like the CEL library: most commands never match a pattern.
let re2Library: typeof Re2 | undefined
function re2(): typeof Re2 {
  re2Library ??= createRequire(import.meta.url)('re2js') as typeof Re2
  return re2Library
}

export interface CompiledPattern {
  test(text: string): boolean
  /** The size of the compiled program: what one character of input costs, at worst. */
  size: number
}

const MAX_PATTERN_LENGTH = 4096
const CACHE_LIMIT = 512
const cache = new Map<string, CompiledPattern>()

/** Why a pattern is refused, as CEL's `matches` reports it. */
export class PatternError extends Error {}

/**
 * Compiles a pattern with RE2's syntax and semantics, as CEL specifies: matching takes time
 * linear in the input (no backtracking, hence no backreferences or lookaround). Compiled
 * patterns are kept, since a policy's patterns are few and evaluated on every call.
 */
export function compilePattern(pattern: string): CompiledPattern {
  const known = cache.get(pattern)
  if (known) return known
  if (pattern.length > MAX_PATTERN_LENGTH)
    throw new PatternError(`regular expression longer than ${MAX_PATTERN_LENGTH} characters`)
  let compiled: CompiledPattern
  try {
    const re = re2().RE2JS.compile(pattern)
    compiled = { test: (text) => re.test(text), size: re.programSize() }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    throw new PatternError(`invalid regular expression ${JSON.stringify(pattern)} (RE2 syntax): ${why}`)
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!)
  cache.set(pattern, compiled)
  return compiled
}
