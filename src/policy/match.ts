import picomatch from 'picomatch'
import type { PolicyRule } from './bundle.js'

export type Matcher = (value: string) => boolean

/** How policy globs are read (the prefix index compiles them the same way). */
export const GLOB_OPTIONS = { dot: true } as const

/** A value matches the list when it matches any of its globs. */
export function anyOf(patterns: readonly string[]): Matcher {
  const matchers = patterns.map((p) => picomatch(p, GLOB_OPTIONS))
  return (value) => matchers.some((m) => m(value))
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
