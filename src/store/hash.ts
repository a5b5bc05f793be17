import { createHash, hash, type Hash } from 'node:crypto'
import canonicalize from 'canonicalize'

/** One-shot hashing: about twice as fast as createHash() for the short texts audit lines are. */
export function sha256(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex')
}

/** RFC 8785 canonical JSON, so equal values hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return canonicalize(value) ?? 'null'
}

/**
 * sha256 of canonicalJson(value), without holding that text: a 50,000-step definition's text
 * built by concatenation held ~60 MB of string pieces to hash 4 MB. Plain arrays and objects
 * are walked here and written in 64 KB pieces; anything else (a toJSON, a boxed primitive, a
 * leaf) goes to canonicalize, so the bytes hashed are the same.
 */
export function canonicalHash(value: unknown): string {
  const sink = new PieceSink(createHash('sha256'))
  writeCanonical(value, sink, new Set())
  return sink.digest()
}

const PIECE = 64 * 1024

class PieceSink {
  private text = ''
  constructor(private readonly hash: Hash) {}

  write(piece: string): void {
    this.text += piece
    if (this.text.length >= PIECE) {
      this.hash.update(this.text)
      this.text = ''
    }
  }

  digest(): string {
    return this.hash.update(this.text).digest('hex')
  }
}

/** Whether JSON writes `value` member by member itself: an array, or an object of no class and no toJSON. */
export function isPlain(value: object): boolean {
  if (Array.isArray(value)) return true
  const proto = Object.getPrototypeOf(value) as unknown
  return (
    (proto === Object.prototype || proto === null) &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  )
}

const dropped = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol'

function writeCanonical(value: unknown, sink: PieceSink, open: Set<object>): void {
  if (value === null || typeof value !== 'object' || !isPlain(value)) {
    sink.write(canonicalJson(value))
    return
  }
  if (open.has(value)) throw new Error('Circular reference detected')
  open.add(value)
  if (Array.isArray(value)) {
    sink.write('[')
    for (let i = 0; i < value.length; i++) {
      if (i > 0) sink.write(',')
      const item: unknown = value[i]
      writeCanonical(dropped(item) ? null : item, sink, open)
    }
    sink.write(']')
  } else {
    const record = value as Record<string, unknown>
    let first = true
    sink.write('{')
    for (const key of Object.keys(record).sort()) {
      const member = record[key]
      if (dropped(member)) continue
      // A toJSON may answer undefined, which drops the member as JSON.stringify does.
      const whole =
        member !== null && typeof member === 'object' && !isPlain(member) ? canonicalize(member) : ''
      if (whole === undefined) continue
      sink.write(first ? `${canonicalJson(key)}:` : `,${canonicalJson(key)}:`)
      first = false
      if (whole) sink.write(whole)
      else writeCanonical(member, sink, open)
    }
    sink.write('}')
  }
  open.delete(value)
}
