import { encodedForms } from './encodings.js'

export const REDACTED = '[REDACTED]'

// Shapes of secrets worth masking even when nobody registered them: keys, tokens, and
// credentials embedded in URLs, headers and key=value pairs (values of 6+ characters, so prose
// such as "unexpected token: EOF" survives).
const SHAPES: [RegExp, string][] = [
  [/-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, REDACTED],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)([^@\s/]+)@/gi, `$1${REDACTED}@`],
  [/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,})\b/g, REDACTED],
  [/\b(xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|sk-[A-Za-z0-9_-]{20,})\b/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\b((?:authorization|proxy-authorization)\s*:\s*(?:bearer|basic|token)\s+)[^\s"',]+/gi, `$1${REDACTED}`],
  [/\b(bearer\s+)[A-Za-z0-9._~+/-]{16,}=*/gi, `$1${REDACTED}`],
  [
    /("[A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key)"\s*:\s*")((?:[^"\\]|\\.)*)"/gi,
    `$1${REDACTED}"`,
  ],
  [
    /\b((?:[A-Za-z0-9]+[_-])*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)\s*[=:]\s*)(?!\[REDACTED\])(?!secret:\/\/)(?!\/\/)[^\s"',;&]{6,}/gi,
    `$1${REDACTED}`,
  ],
]

// Every shape above needs one of these; a string with none of them (ids, hashes, times, most
// values) skips the shapes. Audit records and journals redact every string, so this matters.
const MAYBE_SHAPE =
  /BEGIN|:\/\/|gh[pousr]_|github_pat_|glpat-|xox[abprs]-|AKIA|sk-|eyJ|authorization|bearer|passw|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key/i

const SENSITIVE_KEY =
  /(^|[-_.])(password|passwd|pass|pwd|secret|token|apikey|api[-_]key|access[-_]key|private[-_]key|client[-_]secret|credentials?|authorization)$/i

export interface RedactorOptions {
  extraPatterns?: string[]
  sensitiveKeys?: string[]
}

/**
 * Masks secrets in everything driftcore prints, logs, stores or returns. Values resolved from
 * secret references are registered here, so even a secret with no recognisable shape is masked
 * once it has been used.
 */
export class Redactor {
  private readonly secrets = new Set<string>()
  private readonly values = new Set<string>()
  private valuePattern: RegExp | undefined
  private valueTest: RegExp | undefined
  private shortestValue = Infinity
  private readonly extra: RegExp[]
  private readonly sensitiveKeys: Set<string>
  /** Grows whenever a value is registered: what was redacted before may need it again. */
  generation = 0

  constructor(options: RedactorOptions = {}) {
    this.extra = (options.extraPatterns ?? []).map((p) => new RegExp(p, 'g'))
    this.sensitiveKeys = new Set((options.sensitiveKeys ?? []).map((k) => k.toLowerCase()))
  }

  /** Masks `value` from now on, as itself and in its common encodings (see `encodedForms`). */
  register(value: string): void {
    // Very short values would mask ordinary words; secrets that short are not secrets.
    if (value.length < 4 || this.secrets.has(value)) return
    this.secrets.add(value)
    this.generation += 1
    for (const form of encodedForms(value)) this.values.add(form)
    const alternatives = [...this.values].sort((a, b) => b.length - a.length)
    this.shortestValue = alternatives.at(-1)!.length
    const source = alternatives.map(escapeRegExp).join('|')
    this.valuePattern = new RegExp(source, 'g')
    this.valueTest = new RegExp(source)
  }

  redactText(text: string): string {
    let out = text
    // Testing first (no allocation) keeps the common case, a string with no secret, cheap.
    if (this.valuePattern && out.length >= this.shortestValue && this.valueTest!.test(out))
      out = out.replace(this.valuePattern, REDACTED)
    if (MAYBE_SHAPE.test(out))
      for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement)
    for (const pattern of this.extra) out = out.replace(pattern, REDACTED)
    return out
  }

  /** Deep copy with secrets masked: string values by shape, values under sensitive keys wholesale. */
  redact<T>(value: T): T {
    return this.walk(value, undefined) as T
  }

  isSensitiveKey(key: string): boolean {
    return SENSITIVE_KEY.test(key) || this.sensitiveKeys.has(key.toLowerCase())
  }

  private walk(value: unknown, key: string | undefined): unknown {
    if (typeof value === 'string') {
      if (key !== undefined && value !== '' && !value.startsWith('secret://') && this.isSensitiveKey(key)) {
        return REDACTED
      }
      return this.redactText(value)
    }
    if (Array.isArray(value)) return value.map((v) => this.walk(v, key))
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = this.walk(v, k)
      return out
    }
    return value
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
