import { Box, Text } from 'ink'
import type { ApprovalRequest } from '../approvals.js'
import { detailLines, reviewRow, type Redact } from './format.js'

const HEADINGS = { id: 'ID', tool: 'TOOL', requester: 'REQUESTER', age: 'AGE', expires: 'EXPIRES IN' }
const COLUMNS = ['id', 'tool', 'requester', 'age', 'expires'] as const

/** The pending requests as a table; the selected one is marked with › and highlighted. */
export function RequestList(props: {
  requests: ApprovalRequest[]
  selected: number
  now: number
  redact: Redact
}) {
  const rows = props.requests.map((r) => reviewRow(r, props.now, props.redact))
  const widths = Object.fromEntries(
    COLUMNS.map((c) => [c, Math.max(HEADINGS[c].length, ...rows.map((row) => row[c].length))]),
  ) as Record<(typeof COLUMNS)[number], number>
  const line = (cells: Record<(typeof COLUMNS)[number], string>) =>
    COLUMNS.map((c) => cells[c].padEnd(widths[c])).join('  ')
  return (
    <Box flexDirection="column">
      <Text dimColor wrap="truncate-end">
        {'  ' + line(HEADINGS)}
      </Text>
      {rows.map((row, index) => (
        <Text
          key={row.id}
          wrap="truncate-end"
          inverse={index === props.selected}
          color={index === props.selected ? 'cyan' : undefined}
        >
          {(index === props.selected ? '› ' : '  ') + line(row)}
        </Text>
      ))}
    </Box>
  )
}

/** Everything about the selected request that a person weighs before deciding. */
export function RequestDetail(props: { request: ApprovalRequest; now: number; redact: Redact }) {
  const lines = detailLines(props.request, props.now, props.redact)
  const width = Math.max(...lines.map(([label]) => label.length))
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>{props.request.id}</Text>
      {lines.map(([label, value]) => (
        <Text key={label}>
          <Text dimColor>{label.padEnd(width)}</Text> {value.replaceAll('\n', `\n${' '.repeat(width + 1)}`)}
        </Text>
      ))}
    </Box>
  )
}

export function KeyHelp() {
  return <Text dimColor>↑/↓ or j/k move · a approve · d deny · r refresh · q quit</Text>
}
