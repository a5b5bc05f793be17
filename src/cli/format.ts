import { palette, type Palette } from './color.js'

export interface TableOptions {
  /** Columns to fit in; default: the terminal's width (COLUMNS when not a terminal), else no limit. */
  width?: number
  /** Free-text columns that wrap onto more lines before anything is cut (default: the last one). */
  wrap?: readonly string[]
  /** Columns cut only when nothing else can give way (default: id, run_id and the state columns). */
  keep?: readonly string[]
  /** Columns whose words are decisions or statuses, coloured as such (default: status, decision). */
  stateColumns?: readonly string[]
  palette?: Palette
}

/**
 * Plain text tables: commands build rows from the same objects they return for --json. Wider
 * than the terminal, the free-text columns wrap first; then the widest columns give way and
 * their cells end with "…" (the full values are in --json). Statuses and decisions are
 * coloured on a terminal.
 */
export function table(
  rows: readonly object[],
  columns: readonly string[],
  options: TableOptions = {},
): string {
  if (rows.length === 0) return '(none)'
  const cells = rows.map((row) =>
    columns.map((c) => oneLine(timeCell(c, cell((row as Record<string, unknown>)[c])))),
  )
  const natural = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => length(r[i]!))))
  const wrapping = new Set(options.wrap ?? columns.slice(-1))
  const states = new Set(options.stateColumns ?? ['status', 'decision'])
  const keep = new Set(options.keep ?? ['id', 'run_id', ...states])
  const widths = fitWidths(natural, columns, { wrapping, keep }, options.width ?? terminalWidth())
  const paint = options.palette ?? palette()
  const row = (values: string[], header: boolean): string[] => {
    const parts = values.map((v, i) =>
      wrapping.has(columns[i]!) && !header ? wrapText(v, widths[i]!) : [truncate(v, widths[i]!)],
    )
    const height = Math.max(...parts.map((p) => p.length))
    return Array.from({ length: height }, (_, n) =>
      parts
        .map((p, i) => {
          const text = p[n] ?? ''
          const padding = ' '.repeat(Math.max(0, widths[i]! - length(text)))
          if (header) return paint.bold(text) + padding
          return (states.has(columns[i]!) ? paint.state(text) : text) + padding
        })
        .join('  ')
        .trimEnd(),
    )
  }
  return [
    ...row(
      columns.map((c) => c.toUpperCase()),
      true,
    ),
    ...cells.flatMap((r) => row(r, false)),
  ].join('\n')
}

/** The width output should fit: a terminal's, or COLUMNS (how tests and `watch` say it). */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  if (stream.isTTY && stream.columns) return stream.columns
  const fromEnv = Number(process.env.COLUMNS)
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Number.POSITIVE_INFINITY
}

/**
 * Narrows columns one character at a time until a row fits: first the wrapping columns (down
 * to 16 or their header), then the widest of the others (down to 6 or the header), ids last.
 */
function fitWidths(
  natural: number[],
  columns: readonly string[],
  { wrapping, keep }: { wrapping: Set<string>; keep: Set<string> },
  width: number,
): number[] {
  const widths = [...natural]
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1)
  const shrink = (floor: (i: number) => number, only: (i: number) => boolean) => {
    while (total() > width) {
      let widest = -1
      for (let i = 0; i < widths.length; i++)
        if (only(i) && widths[i]! > floor(i) && (widest < 0 || widths[i]! > widths[widest]!)) widest = i
      if (widest < 0) return
      widths[widest]! -= 1
    }
  }
  const header = (i: number) => Math.min(natural[i]!, columns[i]!.length)
  shrink(
    (i) => Math.max(header(i), 16),
    (i) => wrapping.has(columns[i]!),
  )
  shrink(
    (i) => Math.max(header(i), 8),
    (i) => !keep.has(columns[i]!) && !wrapping.has(columns[i]!),
  )
  shrink(
    (i) => Math.max(header(i), 6),
    (i) => !keep.has(columns[i]!),
  )
  shrink(
    (i) => Math.max(header(i), 6),
    () => true,
  )
  return widths
}

/** Breaks text into lines of at most `width` characters, at spaces where it can. */
export function wrapText(text: string, width: number): string[] {
  if (width <= 0 || length(text) <= width) return [text]
  const lines: string[] = []
  let rest = [...text]
  while (rest.length > width) {
    const space = rest.slice(0, width + 1).lastIndexOf(' ')
    const cut = space > 0 ? space : width
    lines.push(rest.slice(0, cut).join('').trimEnd())
    rest = rest.slice(space > 0 ? cut + 1 : cut)
  }
  if (rest.length > 0) lines.push(rest.join(''))
  return lines
}

// Times in `*_at` columns to the minute, in UTC: `2026-12-01 16:12Z` (--json keeps the full time).
function timeCell(column: string, text: string): string {
  const match = column.endsWith('_at') ? /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})[\d:.]*Z$/.exec(text) : null
  return match ? `${match[1]} ${match[2]}Z` : text
}

function length(text: string): number {
  return [...text].length
}

/** Cuts text to `width` characters, the last one "…" when anything was cut. */
export function truncate(text: string, width: number): string {
  const chars = [...text]
  if (chars.length <= width) return text
  return width <= 0 ? '' : `${chars.slice(0, width - 1).join('')}…`
}

// A newline or tab in a value would break the table's rows; they show as one space.
function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ')
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return value.map(cell).join(',')
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value) ?? ''
}

export function yamlish(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return `${indent}${cell(value)}`
  return Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) =>
      v !== null && typeof v === 'object' && !Array.isArray(v)
        ? `${indent}${k}:\n${yamlish(v, indent + '  ')}`
        : `${indent}${k}: ${cell(v)}`,
    )
    .join('\n')
}

/** Constraints in one line for people: `timeout_ms=60000 · network=none · deny_paths=a,b`. */
export function constraintsLine(constraints: Record<string, unknown> | undefined): string | undefined {
  const entries = Object.entries(constraints ?? {}).filter(([, v]) => v !== undefined)
  if (entries.length === 0) return undefined
  return entries.map(([k, v]) => `${k}=${cell(v)}`).join(' · ')
}
