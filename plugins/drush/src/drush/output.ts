import { DriftcoreError } from 'driftcore/api'

export type LogLevel = 'success' | 'notice' | 'warning' | 'error' | 'info' | 'debug' | 'critical' | 'alert'

export interface DrushLogEntry {
  level: LogLevel | 'output'
  message: string
  /** For an exception Drush printed as a box: where it was thrown (`ConfigImportCommands.php line 291`). */
  where?: string
}

/**
 * The terminal width driftcore gives Drush (COLUMNS): Symfony wraps an exception's box at the
 * terminal width, and Drush's tables and prompts follow it. Wide enough that a message is one
 * line; the parser still joins boxes wrapped at 80 columns (a prefix such as `ddev drush` may
 * not pass COLUMNS on).
 */
export const DRUSH_COLUMNS = 4000
const WRAP_WIDTHS = [80, DRUSH_COLUMNS]

const LOG_LINE = /^\s*\[(success|notice|warning|error|info|debug|critical|alert|emergency|ok)\]\s+(.*)$/
const BOX_HEADER = /^In (\S+) line (\d+):$/
const BOX_EDGE = /^ {4,}$/

/**
 * What Drush printed on stderr, as entries: its log lines (` [success] Cache rebuild complete.`),
 * and each uncaught exception, which Drush 13 (Symfony Console) prints as `In X.php line N:`
 * and a padded box, as one `error` entry whose message is the sentence Drush wrote, whole:
 * lines Symfony split at the terminal width are joined again, the message's own lines kept.
 * A plain line continues the entry before it (multi-line messages); lines before the first
 * entry are kept as `output`. Drupal's HTML escapes (`&#039;`) are decoded.
 */
export function parseDrushLog(text: string): DrushLogEntry[] {
  const entries: DrushLogEntry[] = []
  const lines = text.split(/\r?\n/)
  let afterBlank = false
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const header = BOX_HEADER.exec(line)
    const edge = header ? lines[i + 1] : line
    if (edge !== undefined && BOX_EDGE.test(edge)) {
      const box = readBox(lines, header ? i + 1 : i)
      if (box) {
        entries.push({
          level: 'error',
          message: box.message,
          ...(header ? { where: `${header[1]} line ${header[2]}` } : {}),
        })
        i = box.end
        afterBlank = false
        continue
      }
    }
    const match = LOG_LINE.exec(line.trimEnd())
    if (match) {
      const level = match[1] === 'emergency' ? 'critical' : match[1] === 'ok' ? 'success' : match[1]
      entries.push({ level: level as LogLevel, message: decodeEntities(match[2]!.trim()) })
      afterBlank = false
      continue
    }
    if (line.trim() === '') {
      afterBlank = true
      continue
    }
    const last = entries.at(-1)
    if (last && !afterBlank && last.level !== 'error') last.message += `\n${decodeEntities(line.trim())}`
    else entries.push({ level: 'output', message: decodeEntities(line.trim()) })
    afterBlank = false
  }
  return entries
}

/** A box from its top edge: the message, and the index of its bottom edge. */
function readBox(lines: readonly string[], top: number): { message: string; end: number } | undefined {
  const width = lines[top]!.length
  // Symfony splits a line exactly at the box's inner width: a line whose text reaches the right
  // margin of a box as wide as the terminal was split, and the next line continues it.
  const wrapped = WRAP_WIDTHS.includes(width + 1)
  let message = ''
  for (let i = top + 1; i < lines.length; i++) {
    const line = lines[i]!
    if (BOX_EDGE.test(line) && line.length === width)
      return { message: decodeEntities(message.trim()), end: i }
    if (!line.startsWith('  ')) return undefined
    const text = line.slice(2).replace(/ +$/, '')
    const split = wrapped && text.length >= width - 4
    message += split ? line.slice(2, Math.max(width - 2, text.length + 2)) : `${text}\n`
  }
  return undefined
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** Drupal's Html::escape undone: `&#039;` → `'`. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (all, code: string) => {
    if (code[0] === '#') {
      const n = code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10)
      return Number.isFinite(n) ? String.fromCodePoint(n) : all
    }
    return ENTITIES[code.toLowerCase()] ?? all
  })
}

/**
 * A RowsOfFields or PropertyList printed with --format=json. Drush prints an object keyed by
 * row (not an array) and `[]` when there are no rows; both become a plain object.
 */
export function parseDrushJson(stdout: string, command: string): Record<string, unknown> {
  const text = stdout.trim()
  if (text === '' || text === '[]') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new DriftcoreError(
      'internal',
      `drush ${command} printed output that is not JSON: ${preview(text)}`,
      {
        hint: 'check that the Drush command prefix runs Drush itself (drush.command)',
        cause: error,
      },
    )
  }
  if (Array.isArray(value)) return Object.fromEntries(value.map((row, i) => [String(i), row as unknown]))
  if (value === null || typeof value !== 'object') {
    throw new DriftcoreError('internal', `drush ${command} printed ${typeof value}, expected a JSON object`)
  }
  return value as Record<string, unknown>
}

function preview(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}
