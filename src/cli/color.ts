import pc from 'picocolors'

/**
 * Colour for people at a terminal, none for pipes, files, NO_COLOR (no-color.org) and
 * TERM=dumb; FORCE_COLOR turns it on. picocolors does the escapes (small, no dependencies, on
 * every Node the engines allow); the choice is ours because its own also colours whenever CI is
 * set, and a piped CI log read by a script should stay plain.
 */
export function colorEnabled(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR) return false
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true
  return stream.isTTY === true && env.TERM !== 'dumb'
}

export type Paint = (text: string) => string

const plain: Paint = (text) => text

/** The palette for stdout, decided once per process. */
export function palette(enabled = colorEnabled()) {
  const c = pc.createColors(enabled)
  const good = enabled ? c.green : plain
  const bad = enabled ? c.red : plain
  const waiting = enabled ? c.yellow : plain
  return {
    enabled,
    dim: enabled ? c.dim : plain,
    bold: enabled ? c.bold : plain,
    good,
    bad,
    waiting,
    /** Decisions and statuses: green done/allowed, yellow waiting, red refused or failed. */
    state(text: string): string {
      const word = text.toLowerCase()
      if (/^(allow|allow_with_constraints|approved|succeeded|ok|healthy|active|used|completed)$/.test(word))
        return good(text)
      if (/^(deny|denied|failed|refused|forged|expired|error|cancelled|timed_out|interrupted)$/.test(word))
        return bad(text)
      if (/^(require_approval|pending|waiting|suspended|running|queued|warning|withdrawn)$/.test(word))
        return waiting(text)
      return text
    },
    /** Drift marks: + added, - removed, ~ changed. */
    mark(mark: string): string {
      return mark === '+' ? good(mark) : mark === '-' ? bad(mark) : mark === '~' ? waiting(mark) : mark
    },
  }
}

export type Palette = ReturnType<typeof palette>
