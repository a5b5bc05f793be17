import { DriftcoreError } from '../errors/driftcore-error.js'

/** How deep JSON and YAML input may nest: far beyond any real document, far below the stack. */
export const MAX_NESTING = 128

/**
 * Refuses text whose brackets nest deeper than `max`, at the file:line:col where they do, before
 * a parser or a recursive walk (redaction, hashing, validation) overflows the stack on it. One
 * pass over the text, skipping strings: `"…"` for JSON, and for YAML also `'…'` where a quoted
 * scalar can start. Block YAML cannot nest deep within the size limit (its indentation grows
 * with the square of the depth), so brackets are what is counted.
 */
export function checkNesting(
  text: string,
  where: string,
  options: { yaml?: boolean; max?: number } = {},
): void {
  const max = options.max ?? MAX_NESTING
  let depth = 0
  let quote: string | undefined
  let line = 1
  let lineStart = 0
  let previous = '\n'
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '\n') {
      line += 1
      lineStart = i + 1
    }
    if (quote) {
      if (c === '\\' && quote === '"') i += 1
      else if (c === quote) quote = undefined
    } else if (c === '"' || (options.yaml && c === "'" && /[\s[{,:]/.test(previous))) {
      quote = c
    } else if (c === '[' || c === '{') {
      depth += 1
      if (depth > max)
        throw new DriftcoreError(
          'invalid_input',
          `${where}:${line}:${i - lineStart + 1}: nested deeper than ${max} levels`,
          { hint: 'flatten the structure; no real input nests this deep' },
        )
    } else if (c === ']' || c === '}') {
      depth = Math.max(0, depth - 1)
    } else if (options.yaml && c === '#' && /\s/.test(previous)) {
      const end = text.indexOf('\n', i)
      i = (end === -1 ? text.length : end) - 1
    }
    previous = c
  }
}

/** Decodes UTF-8 strictly: a file that is not UTF-8 is refused where it stops being so. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    // Find the first bad byte: decode growing prefixes is quadratic, so decode the valid part once.
    let ok = 0
    const decoder = new TextDecoder('utf-8', { fatal: true })
    for (let step = 1 << 16; step >= 1; step >>= 1) {
      while (ok + step <= bytes.length) {
        try {
          decoder.decode(bytes.subarray(0, ok + step))
          ok += step
        } catch {
          break
        }
      }
    }
    const before = Buffer.from(bytes.subarray(0, ok)).toString('utf8')
    const line = before.split('\n').length
    const col = before.length - before.lastIndexOf('\n')
    throw new DriftcoreError('invalid_input', `${file}:${line}:${col}: not UTF-8 text (byte ${ok})`, {
      hint: 'save the file as UTF-8',
    })
  }
}
