import { Box, Text } from 'ink'
import type { ApprovalRequest } from '../approvals.js'
import { wrapText } from '../../cli/format.js'
import { detailLines, reviewRow, type Redact } from './format.js'

const HEADINGS = { id: 'ID', tool: 'TOOL', requester: 'REQUESTER', age: 'AGE', expires: 'EXPIRES IN' }
const COLUMNS = ['id', 'tool', 'requester', 'age', 'expires'] as const

/**
 * The pending requests as a table; the selected one is marked with › and highlighted. At most
 * `height` rows show, a window that follows the selection; the heading says which.
 */
export function RequestList(props: {
  requests: ApprovalRequest[]
  selected: number
  now: number
  redact: Redact
  height?: number
}) {
  const all = props.requests.map((r) => reviewRow(r, props.now, props.redact))
  const height = Math.max(1, Math.min(props.height ?? all.length, all.length))
  const top = Math.max(0, Math.min(props.selected - Math.floor(height / 2), all.length - height))
  const rows = all.slice(top, top + height)
  const widths = Object.fromEntries(
    COLUMNS.map((c) => [c, Math.max(HEADINGS[c].length, ...rows.map((row) => row[c].length))]),
  ) as Record<(typeof COLUMNS)[number], number>
  const line = (cells: Record<(typeof COLUMNS)[number], string>) =>
    COLUMNS.map((c) => cells[c].padEnd(widths[c])).join('  ')
  return (
    <Box flexDirection="column">
      <Text dimColor wrap="truncate-end">
        {'  ' +
          line(HEADINGS) +
          (height < all.length ? `  (${top + 1}–${top + rows.length} of ${all.length})` : '')}
      </Text>
      {rows.map((row, shown) => {
        const index = top + shown
        return (
          <Text
            key={row.id}
            wrap="truncate-end"
            inverse={index === props.selected}
            color={index === props.selected ? 'cyan' : undefined}
          >
            {(index === props.selected ? '› ' : '  ') + line(row)}
          </Text>
        )
      })}
    </Box>
  )
}

/**
 * Everything about the selected request that a person weighs before deciding, as screen rows
 * `width` wide; `height` of them show from `offset` (PgUp/PgDn scroll), and the title says
 * which, so nothing is hidden without saying so.
 */
export function RequestDetail(props: {
  request: ApprovalRequest
  now: number
  redact: Redact
  width?: number
  height?: number
  offset?: number
}) {
  const lines = detailRows(props.request, props.now, props.redact, props.width ?? 76)
  const height = Math.max(1, Math.min(props.height ?? lines.length, lines.length))
  const offset = Math.max(0, Math.min(props.offset ?? 0, lines.length - height))
  const shown = lines.slice(offset, offset + height)
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold wrap="truncate-end">
        {props.request.id}
        {height < lines.length
          ? `  (lines ${offset + 1}–${offset + shown.length} of ${lines.length}, PgUp/PgDn)`
          : ''}
      </Text>
      {shown.map((row, i) => (
        <Text key={`${offset + i}`} wrap="truncate-end">
          <Text dimColor>{row.label}</Text>
          {row.text}
        </Text>
      ))}
    </Box>
  )
}

/** The detail's label/value pairs as the rows they take on screen: multi-line values and long lines wrapped. */
export function detailRows(
  request: ApprovalRequest,
  now: number,
  redact: Redact,
  width: number,
): { label: string; text: string }[] {
  const pairs = detailLines(request, now, redact)
  const labelWidth = Math.max(...pairs.map(([label]) => label.length)) + 1
  const room = Math.max(10, width - labelWidth)
  return pairs.flatMap(([label, value]) =>
    value
      .split('\n')
      .flatMap((line) => wrapText(line, room))
      .map((text, i) => ({ label: (i === 0 ? label : '').padEnd(labelWidth), text })),
  )
}

export function KeyHelp() {
  return (
    <Text dimColor wrap="truncate-end">
      ↑/↓ or j/k move · a approve · d deny · r refresh · q quit · PgUp/PgDn details
    </Text>
  )
}
