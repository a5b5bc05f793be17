import { render } from 'ink'
import { createElement } from 'react'
import type { Actor } from '../../audit/record.js'
import type { Approvals } from '../approvals.js'
import { decisionLine, type Redact } from './format.js'
import { ReviewApp } from './review-app.js'

/**
 * Runs the review UI on the terminal until the person quits (q or Ctrl-C). A decision still
 * being written when they quit is waited for, so the caller closes the kernel (and flushes the
 * audit log) only after it is recorded.
 */
export async function startReview(options: {
  approvals: Approvals
  reviewer: Actor
  redact: Redact
  pollMs?: number
  /** How a decision is made (the command signs it with the person's key); default: `approvals.decide`. */
  decide?: Approvals['decide']
}): Promise<void> {
  const inFlight = new Set<Promise<unknown>>()
  const decided: string[] = []
  const approvals: Pick<Approvals, 'list' | 'decide'> = {
    list: (status) => options.approvals.list(status),
    decide: (...args) => {
      const decision = options.decide ? options.decide(...args) : options.approvals.decide(...args)
      inFlight.add(decision)
      const forget = () => inFlight.delete(decision)
      decision.then((approval) => {
        decided.push(options.redact(decisionLine(approval)))
        forget()
      }, forget)
      return decision
    },
  }
  const app = render(
    createElement(ReviewApp, {
      approvals,
      reviewer: options.reviewer,
      redact: options.redact,
      ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    }),
    {
      exitOnCtrlC: true,
      // The command has checked for a terminal; with CI set in the person's environment Ink
      // would otherwise draw only the last frame, at exit.
      interactive: true,
      // Its own screen, as less and vim do: frames never pile up in the scrollback, and the
      // person's terminal is as it was when they quit.
      alternateScreen: true,
    },
  )
  try {
    await app.waitUntilExit()
  } finally {
    await Promise.allSettled(inFlight)
    // The alternate screen is gone with what it showed: what was decided stays on record here.
    for (const line of decided) process.stdout.write(`${line}\n`)
  }
}
