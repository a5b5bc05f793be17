import type { RunFinding, RunResult } from '../journal/events.js'
import type { RunState } from '../journal/state.js'
import { cleanText } from './judge.js'

const LEVELS: RunFinding['level'][] = ['failed', 'warning', 'info']

/**
 * The run's result in words, from what its steps said: each failure (an unmet expectation or
 * verdict quotes the tool's summary), each warning (`on_verdict: warn`), then what the other
 * steps with a verdict did, in the workflow's order. A succeeded run with a warning is
 * `succeeded_with_warnings`: its status stays `succeeded`, its result is not ok.
 */
export function runResult(
  state: Pick<RunState, 'steps'>,
  order: readonly string[],
  status: 'succeeded' | 'failed' | 'cancelled' | 'timed_out',
  counts: string,
): RunResult {
  const findings: RunFinding[] = []
  for (const step of order) {
    const s = state.steps[step]
    if (!s) continue
    if (s.status === 'failed' || s.status === 'timed_out') {
      const message = s.error?.message.split('\n')[0] ?? s.status
      const text =
        s.error?.code === 'unmet'
          ? message.replace(`step ${step}: `, '')
          : `${s.error?.code ?? s.status}: ${message.replace(`step ${step}: `, '')}`
      findings.push({ step, level: 'failed', text: cleanText(text) })
    } else if (s.verdict) {
      const level = !s.verdict.ok && s.verdict.on === 'warn' ? 'warning' : 'info'
      findings.push({ step, level, text: cleanText(s.verdict.summary) })
    } else if (s.status === 'blocked' && s.reason) {
      findings.push({ step, level: 'info', text: cleanText(`not run: ${s.reason}`) })
    }
  }
  findings.sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level))
  const warned = findings.some((f) => f.level === 'warning')
  const outcome = status === 'succeeded' && warned ? 'succeeded_with_warnings' : status
  const headline = findings.filter(
    (f) => f.level === (status === 'succeeded' ? (warned ? 'warning' : 'info') : 'failed'),
  )
  const summary =
    headline.length > 0 ? headline.map((f) => `${f.step}: ${f.text}`).join('; ') : `${status}: ${counts}`
  return { ok: outcome === 'succeeded', outcome, summary, findings }
}
