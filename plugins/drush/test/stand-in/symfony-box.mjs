// Part of the Drush STAND-IN: how Drush 13 (Symfony Console 6/7) prints an uncaught exception
// on stderr, rewritten from Symfony\Component\Console\Application::doRenderThrowable. Each
// exception (then each previous one) is `In File.php line N:` (not for Console's own
// exceptions, such as a command not found) and a box, after one blank line; the box is padded to its longest line, its
// lines split at the terminal width ($COLUMNS, default 80) minus 5 characters.

/** @param {{file?: string, line?: number, message: string}[]} chain @param {number} columns */
export function renderThrowable(chain, columns) {
  const width = columns - 1
  const out = ['']
  for (const e of chain) {
    const lines = []
    let len = 0
    for (const line of e.message.trim().split(/\r?\n/)) {
      for (const part of splitByWidth(line, width - 4)) {
        lines.push(part)
        len = Math.max(len, [...part].length + 4)
      }
    }
    if (e.file) out.push(`In ${e.file} line ${e.line}:`)
    out.push(' '.repeat(len))
    for (const line of lines) out.push(`  ${line}  ${' '.repeat(len - [...line].length - 4)}`)
    out.push(' '.repeat(len), '')
  }
  return out.join('\n') + '\n'
}

function splitByWidth(line, width) {
  const chars = [...line]
  if (chars.length === 0) return ['']
  const parts = []
  for (let i = 0; i < chars.length; i += width) parts.push(chars.slice(i, i + width).join(''))
  return parts
}

/** The terminal width Symfony uses: $COLUMNS when set, else 80 (no terminal). */
export function terminalColumns(env = process.env) {
  const n = Number.parseInt(env.COLUMNS ?? '', 10)
  return Number.isFinite(n) && n > 0 ? n : 80
}

/** A SymfonyStyle comment block (` // text`), padded to min(width, 120) columns. */
export function comment(text, columns) {
  const line = ` // ${text}`
  return line + ' '.repeat(Math.max(Math.min(columns, 120) - line.length, 0))
}

/** Drush's ascii table (Consolidation OutputFormatters, table style "default"). */
export function asciiTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`
  const row = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`
  return [rule, row(header), rule, ...rows.map(row), rule].join('\n') + '\n'
}
