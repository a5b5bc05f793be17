import { Box, Text, useApp, useInput, useWindowSize } from 'ink'
import TextInput from 'ink-text-input'
import { useCallback, useEffect, useRef, useState } from 'react'
import type { Actor } from '../../audit/record.js'
import type { ApprovalRequest, Approvals } from '../approvals.js'
import { actorLabel, decisionLine, errorLine, type Redact } from './format.js'
import { detailRows, KeyHelp, RequestDetail, RequestList } from './review-view.js'

export interface ReviewAppProps {
  /** The store to read and decide through: decisions are checked and audited there. */
  approvals: Pick<Approvals, 'list' | 'decide'>
  /** Who decides: the command's actor. */
  reviewer: Actor
  redact: Redact
  /** How often the pending list is read again, so requests decided elsewhere disappear. */
  pollMs?: number
  clock?: () => number
}

type Verdict = 'approved' | 'denied'
interface Selection {
  id: string | undefined
  index: number
}

/**
 * `driftcore approvals review`: pending requests on the left of a person's attention, the
 * selected one in detail, `a`/`d` to decide with an optional comment. The list is read again
 * every `pollMs`; a refused decision (own request, not an approver, no longer pending) is shown
 * in red and the session goes on.
 */
export function ReviewApp({ approvals, reviewer, redact, pollMs = 1000, clock = Date.now }: ReviewAppProps) {
  const { exit } = useApp()
  const [requests, setRequests] = useState<ApprovalRequest[] | undefined>(undefined)
  const [selection, setSelection] = useState<Selection>({ id: undefined, index: 0 })
  const [now, setNow] = useState(clock)
  const [prompt, setPrompt] = useState<{ verdict: Verdict; request: ApprovalRequest } | undefined>()
  const [comment, setComment] = useState('')
  const [busy, setBusy] = useState(false)
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error'; text: string } | undefined>()
  const mounted = useRef(true)
  const reading = useRef(false)
  const readAgain = useRef(false)

  // One read at a time; a refresh asked for meanwhile runs once the current read ends, so `r`
  // never returns a list older than the key press.
  const refresh = useCallback(async () => {
    if (reading.current) {
      readAgain.current = true
      return
    }
    reading.current = true
    try {
      do {
        readAgain.current = false
        try {
          const next = await approvals.list('pending')
          if (!mounted.current) return
          setRequests(next)
          setNow(clock())
          setSelection((previous) => {
            const kept = next.findIndex((r) => r.id === previous.id)
            const index = kept >= 0 ? kept : Math.max(0, Math.min(previous.index, next.length - 1))
            return { id: next[index]?.id, index }
          })
        } catch (error) {
          if (mounted.current) setNotice({ tone: 'error', text: redact(errorLine(error)) })
        }
      } while (readAgain.current && mounted.current)
    } finally {
      reading.current = false
    }
  }, [approvals, clock, redact])

  useEffect(() => {
    mounted.current = true
    void refresh()
    const timer = setInterval(() => void refresh(), pollMs)
    return () => {
      mounted.current = false
      clearInterval(timer)
    }
  }, [refresh, pollMs])

  const [detailOffset, setDetailOffset] = useState(0)
  const { rows, columns } = useWindowSize()
  const list = requests ?? []
  const selected = list[selection.index]

  // The frame never grows past the window, so Ink can always redraw it in place (a taller one
  // leaves copies in the scrollback): the list and the detail share what the fixed lines leave.
  // A notice says what to do next (the resume command): it wraps rather than being cut.
  const noticeLines = notice ? Math.ceil([...notice.text].length / Math.max(1, columns)) : 0
  const fixed = 1 + 1 + 3 + (busy ? 1 : 0) + noticeLines + (prompt ? 2 : 1) + 1
  const room = Math.max(2, rows - fixed)
  const listHeight = Math.min(Math.max(list.length, 1), Math.max(1, Math.floor(room * 0.4)))
  const detailHeight = Math.max(1, room - listHeight)
  const detailWidth = Math.max(20, columns - 4)
  const detailTotal = selected ? detailRows(selected, now, redact, detailWidth).length : 0

  const move = (by: number) => {
    if (list.length === 0) return
    const index = Math.max(0, Math.min(selection.index + by, list.length - 1))
    setSelection({ id: list[index]?.id, index })
    setDetailOffset(0)
  }
  const scroll = (by: number) =>
    setDetailOffset((offset) => Math.max(0, Math.min(offset + by, detailTotal - detailHeight)))

  useInput(
    (input, key) => {
      if (input === 'q') exit()
      // Keys typed faster than a frame arrive together ("jjj"): each one counts.
      else if (key.upArrow || /^k+$/.test(input)) move(-Math.max(1, input.length))
      else if (key.downArrow || /^j+$/.test(input)) move(Math.max(1, input.length))
      else if (key.pageDown || input === ']') scroll(Math.max(1, detailHeight - 1))
      else if (key.pageUp || input === '[') scroll(-Math.max(1, detailHeight - 1))
      else if (input === 'r') void refresh()
      else if ((input === 'a' || input === 'd') && selected && !busy) {
        setNotice(undefined)
        setComment('')
        setPrompt({ verdict: input === 'a' ? 'approved' : 'denied', request: selected })
      }
    },
    { isActive: prompt === undefined },
  )

  useInput(
    (_input, key) => {
      if (key.escape) setPrompt(undefined)
    },
    { isActive: prompt !== undefined },
  )

  const decide = (text: string) => {
    if (!prompt) return
    const { verdict, request } = prompt
    setPrompt(undefined)
    setBusy(true)
    approvals
      .decide(request.id, reviewer, verdict, text.trim() || undefined)
      .then((approval) => ({ tone: 'ok' as const, text: decisionLine(approval) }))
      .catch((error: unknown) => ({ tone: 'error' as const, text: errorLine(error) }))
      .then((result) => {
        if (!mounted.current) return
        setNotice({ tone: result.tone, text: redact(result.text) })
        setBusy(false)
        return refresh()
      })
      .catch(() => undefined)
  }

  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        Pending approvals for {redact(actorLabel(reviewer))}
        {requests ? ` — ${requests.length} pending` : ''}
      </Text>
      {requests === undefined ? (
        <Text dimColor>Reading pending approvals…</Text>
      ) : list.length === 0 ? (
        <Text dimColor>Nothing waiting for a decision. New requests appear here.</Text>
      ) : (
        <RequestList
          requests={list}
          selected={selection.index}
          now={now}
          redact={redact}
          height={listHeight}
        />
      )}
      {selected ? (
        <RequestDetail
          request={selected}
          now={now}
          redact={redact}
          width={detailWidth}
          height={detailHeight}
          offset={detailOffset}
        />
      ) : null}
      {busy ? <Text color="yellow">deciding…</Text> : null}
      {notice ? <Text color={notice.tone === 'ok' ? 'green' : 'red'}>{notice.text}</Text> : null}
      {prompt ? (
        <Box>
          <Text>
            {prompt.verdict === 'approved' ? 'Approve' : 'Deny'} {prompt.request.id} — comment (optional,
            Enter confirms, Esc cancels):{' '}
          </Text>
          <TextInput value={comment} onChange={setComment} onSubmit={decide} />
        </Box>
      ) : (
        <KeyHelp />
      )}
    </Box>
  )
}
