import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ApprovalRequest } from '../../src/approvals/approvals.js'
import { detailLines, INPUT_LINES } from '../../src/approvals/review/format.js'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'

// The agent asks for a change a person approves. It tries to make the person approve more than
// they see: the dangerous part after the 300 characters the summary used to show, or hidden by
// characters a terminal does not print. The approver must see the whole input, as it is.

const TARGET = '/home/victim/.config/driftcore-rogue-target'

// Twenty harmless lines first, then a symlink whose target is what matters.
function longPatch(extra = ''): string {
  const lines = Array.from({ length: 20 }, (_, i) => `+line ${i} of a perfectly ordinary README`)
  return [
    'diff --git a/mod/README.md b/mod/README.md',
    'new file mode 100644',
    '--- /dev/null',
    '+++ b/mod/README.md',
    `@@ -0,0 +1,${lines.length} @@`,
    ...lines,
    'diff --git a/mod/l b/mod/l',
    'new file mode 120000',
    '--- /dev/null',
    '+++ b/mod/l',
    '@@ -0,0 +1 @@',
    `+${TARGET}${extra}`,
    '\\ No newline at end of file',
    '',
  ].join('\n')
}

let p: TempProject
const cli = (...args: string[]) => runCli(p, args)
beforeEach(async () => {
  // The default policy: sandbox.apply writes, so a person approves it first.
  p = await tempProject()
})
afterEach(() => p.cleanup())

async function ask(patch: string, files: unknown[] = []): Promise<string> {
  const input = JSON.stringify({ patch, files })
  const asked = await cli('tools', 'call', 'sandbox.apply', '--input', input, '--json')
  expect(asked.exitCode).toBe(5)
  return json(asked).error.details.approval_id as string
}

describe('approvals show gives the approver the whole input', () => {
  it('shows a symlink target that sits far beyond the first 300 characters', async () => {
    const id = await ask(longPatch())
    const shown = await cli('approvals', 'show', id)
    expect(shown.exitCode).toBe(0)
    expect(shown.stdout).toContain('new file mode 120000')
    expect(shown.stdout).toContain(`+${TARGET}`)
    // Line by line, as the patch reads, not one escaped JSON string.
    expect(shown.stdout).toMatch(/^\s+\+line 19 of a perfectly ordinary README$/m)
  })

  it('says in so many words that a list summary is cut, and where the whole input is', async () => {
    const id = await ask(longPatch())
    const listed = json<{ id: string; input_summary: string }[]>(await cli('approvals', 'list', '--json'))
    const summary = listed.find((r) => r.id === id)!.input_summary
    expect(summary).toMatch(
      /\[cut: 240 of \d+ characters shown; `driftcore approvals show` prints the whole input\]$/,
    )
  })

  it('still shows the whole input, secrets masked, when the input holds a secret', async () => {
    const secretFile = { path: 'mod/settings.txt', content: 'password=hunter2hunter2 and more' }
    const id = await ask(longPatch(), [secretFile])
    const shown = await cli('approvals', 'show', id)
    expect(shown.stdout).toContain(`+${TARGET}`)
    expect(shown.stdout).toContain('secrets masked')
    expect(shown.stdout).not.toContain('hunter2hunter2')
  })

  it('shows characters that would hide or rewrite a line as escapes, never raw', async () => {
    // A carriage return and an ANSI "erase line" would make the terminal overwrite the target.
    const id = await ask(longPatch('\r\u001b[2K+harmless.txt\u202e'))
    const shown = await cli('approvals', 'show', id)
    expect(shown.stdout).toContain(`+${TARGET}\\r\\e[2K+harmless.txt\\u{202e}`)
    for (const raw of ['\r', '\u001b', '\u202e']) expect(shown.stdout).not.toContain(raw)
  })

  it('--max-lines cuts the input only with a note naming the command that shows it all', async () => {
    const id = await ask(longPatch())
    const shown = await cli('approvals', 'show', id, '--max-lines', '5')
    expect(shown.stdout).not.toContain(TARGET)
    expect(shown.stdout).toContain(`cut here: 5 of`)
    expect(shown.stdout).toContain(`the whole input: driftcore approvals show ${id}`)
  })
})

describe('the review screen', () => {
  const request = (patch: string): ApprovalRequest => ({
    id: 'apr_000000000001',
    tool: 'sandbox.apply',
    input_hash: 'a'.repeat(64),
    input: { files: [], patch },
    input_summary: JSON.stringify({ patch }).slice(0, 240),
    requester: { type: 'agent', id: 'copilot' },
    rule_ids: ['approve-write-exec'],
    deciding_rule: 'approve-write-exec',
    reason: 'writes',
    trace_id: 't',
    status: 'pending',
    created_at: new Date().toISOString(),
    expires_at: new Date(Date.now() + 3_600_000).toISOString(),
  })
  const inputOf = (r: ApprovalRequest) =>
    detailLines(r, Date.now(), (t) => t).find(([l]) => l === 'input')![1]

  it('shows the link target of a patch that fits on the screen', () => {
    expect(inputOf(request(longPatch()))).toContain(`+${TARGET}`)
  })

  it('cuts a longer patch only with a note saying so and how to see the rest', () => {
    const padding = Array.from({ length: INPUT_LINES }, () => '+x').join('\n')
    const text = inputOf(request(`${padding}\n${longPatch()}`))
    expect(text).not.toContain(TARGET)
    expect(text).toMatch(
      /cut here: \d+ of \d+ lines shown; the whole input: driftcore approvals show apr_000000000001$/,
    )
  })
})
