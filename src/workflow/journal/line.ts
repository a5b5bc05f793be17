import { hash } from 'node:crypto'

const SUFFIX = ',"h":"'
const HASH_LENGTH = 16
const TAIL = SUFFIX.length + HASH_LENGTH + 2

/**
 * A journal line ends with a short hash of its own text, so a line that was changed but still
 * parses (a flipped character inside a string) is caught as surely as one that does not. It
 * guards against corruption, not tampering (the audit log's chain does that), so a fast
 * one-shot SHA-1 is enough: replaying 100,000 lines is mostly hashing and parsing.
 */
function digest(text: string): string {
  return hash('sha1', text).slice(0, HASH_LENGTH)
}

export function sealLine(event: object): string {
  const body = JSON.stringify(event)
  return `${body.slice(0, -1)}${SUFFIX}${digest(body)}"}\n`
}

/** The event a line holds, or why it is not an intact journal event. */
export function openLine(line: string): { event: Record<string, unknown> } | { problem: string } {
  if (!line.startsWith('{') || !line.endsWith('"}') || line.slice(-TAIL, -TAIL + SUFFIX.length) !== SUFFIX)
    return { problem: 'not a sealed journal event' }
  const body = line.slice(0, -TAIL) + '}'
  if (digest(body) !== line.slice(-HASH_LENGTH - 2, -2))
    return { problem: 'its content does not match its hash (changed after it was written)' }
  try {
    const event = JSON.parse(body) as Record<string, unknown>
    return typeof event.type === 'string' ? { event } : { problem: 'not a journal event' }
  } catch (error) {
    return { problem: `not JSON (${(error as Error).message})` }
  }
}
