import picomatch from 'picomatch'
import type { PolicyRule } from './bundle.js'

export type Matcher = (value: string) => boolean

/** How policy globs are read (the prefix index compiles them the same way). */
export const GLOB_OPTIONS = { dot: true } as const

/**
 * A glob of only these characters, not starting with `.`, stands for itself: picomatch matches
 * it by equality (it compares the text first, and its expression escapes every one of them), so
 * it is compared as a string and no expression is compiled for it at start.
 */
const LITERAL = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/

export function isLiteralGlob(glob: string): boolean {
  return LITERAL.test(glob)
}

/** A value matches the list when it matches any of its globs. */
export function anyOf(patterns: readonly string[]): Matcher {
  const literals = new Set(patterns.filter(isLiteralGlob))
  const matchers = patterns.filter((p) => !literals.has(p)).map(globMatcher)
  if (matchers.length === 0) return (value) => literals.has(value)
  if (literals.size === 0 && matchers.length === 1) return matchers[0]!
  return (value) => literals.has(value) || matchers.some((m) => m(value))
}

/**
 * What `picomatch(glob, GLOB_OPTIONS)` returns, less what these options never use: its matcher
 * builds a result object and a match array on every call, which a first decision for a tool id
 * paid once per candidate glob. The steps are picomatch.test's (an empty value matches nothing,
 * the glob's own text matches itself, then its expression); the tests compare the two.
 */
function globMatcher(glob: string): Matcher {
  const regex = picomatch.makeRe(glob, GLOB_OPTIONS)
  const prefix = glob.slice(0, -1)
  // The commonest policy glob, `drush.*`: its expression is `^prefix[^/]*?$` (checked against the
  // very text picomatch compiled, so any other reading of it takes the expression), which is a
  // prefix test and no `/` after it, several times cheaper than running the expression.
  if (
    glob.endsWith('*') &&
    isLiteralGlob(prefix) &&
    regex.flags === '' &&
    regex.source === starSource(prefix)
  )
    return (value) => value.startsWith(prefix) && !value.includes('/', prefix.length)
  return (value) => value !== '' && (value === glob || regex.test(value))
}

const starSource = (prefix: string): string => `^(?:^(?:${prefix.replace(/[.:-]/g, '\\$&')}[^/]*?)$)$`

/** The `risk_tags` criterion: a list (any of) or `{any, all, none, only}`. */
export function riskCheck(
  spec: NonNullable<PolicyRule['match']['risk_tags']>,
): (tags: readonly string[]) => boolean {
  const { any, all, none, only } = Array.isArray(spec) ? { any: spec } : spec
  return (tags) =>
    (!any || any.some((t) => tags.includes(t))) &&
    (!all || all.every((t) => tags.includes(t))) &&
    (!none || !none.some((t) => tags.includes(t))) &&
    // `only` needs at least one tag: a tool that declares no risk is not thereby read-only.
    (!only || (tags.length > 0 && tags.every((t) => only.includes(t))))
}
