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
  const matchers = patterns.filter((p) => !literals.has(p)).map((p) => picomatch(p, GLOB_OPTIONS))
  return (value) => literals.has(value) || matchers.some((m) => m(value))
}

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
