import { table } from 'driftcore/api'

export interface PullView {
  number: number
  title: string
  body: string
  state: string
  merged: boolean
  html_url?: string
  head: { ref: string; sha: string }
  base: { ref: string; sha: string }
  user?: string
  additions?: number
  deletions?: number
  changed_files?: number
}

export function pullLine(p: PullView): string {
  return `#${p.number} ${p.title} (${p.head.ref} → ${p.base.ref}, ${p.merged ? 'merged' : p.state})${p.html_url ? `\n${p.html_url}` : ''}`
}

export function pullDetail(p: PullView): string {
  const size =
    p.changed_files !== undefined
      ? `${p.changed_files} files, +${p.additions ?? 0} −${p.deletions ?? 0}`
      : undefined
  return [
    pullLine(p),
    `head ${p.head.sha}`,
    `base ${p.base.sha}`,
    ...(size ? [size] : []),
    ...(p.user ? [`opened by ${p.user}`] : []),
    ...(p.body ? ['', p.body] : []),
  ].join('\n')
}

export function pullTable(pulls: readonly PullView[]): string {
  return table(
    pulls.map((p) => ({
      number: p.number,
      state: p.merged ? 'merged' : p.state,
      head: p.head.ref,
      base: p.base.ref,
      title: p.title,
    })),
    ['number', 'state', 'head', 'base', 'title'],
  )
}
