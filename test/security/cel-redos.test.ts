import { afterEach, describe, expect, it } from 'vitest'
import { readAuditRecords } from '../../src/audit/query.js'
import type { AuditRecord } from '../../src/audit/record.js'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'

// The project's policy: read tools run, but two rules look at what the agent sends. One uses a
// pattern with nested quantifiers, which a backtracking engine takes exponential time over; the
// other a quadratic "all distinct" check. The agent controls every field of policy.simulate's input.
const POLICY = `apiVersion: driftcore/v1
kind: PolicyBundle
name: project
rules:
  - id: read-tools
    decision: ALLOW
    match: { risk_tags: { only: [read] } }
  - id: no-lowercase-only-environments
    decision: DENY
    match: { tools: [policy.simulate] }
    when: >-
      has(request.input.environment) && request.input.environment.matches('^([a-z]+)+$')
  - id: distinct-items
    decision: ALLOW
    match: { tools: [policy.simulate] }
    when: >-
      !has(request.input.input) || !has(request.input.input.items) ||
      request.input.input.items.all(x, request.input.input.items.exists_one(y, y == x))
`

const AGENT = { DRIFTCORE_ACTOR: 'agent:copilot' }

let project: TempProject | undefined
afterEach(async () => {
  await project?.cleanup()
  project = undefined
})

async function toolCalls(p: TempProject): Promise<AuditRecord[]> {
  const records: AuditRecord[] = []
  for await (const r of readAuditRecords(`${p.home}/audit`)) if (r.type === 'tool.call') records.push(r)
  return records
}

describe('a hostile agent cannot stall or slip past policy with a costly CEL condition', () => {
  it('a ReDoS input to matches() is decided at once, by RE2, with the rule as written', async () => {
    project = await tempProject({ policy: { 'project.yaml': POLICY } })
    // 30 characters and a mismatch at the end: about a minute on the JS engine's backtracking.
    const evil = `${'a'.repeat(30)}!`
    const called = await runCli(
      project,
      [
        'tools',
        'call',
        'policy.simulate',
        '--input',
        JSON.stringify({ tool: 'audit.verify', environment: evil }),
        '--json',
      ],
      { env: AGENT, timeoutMs: 30_000 },
    )
    expect(called.exitCode, called.stderr).toBe(0)
    expect(json(called).decision.decision).toBe('ALLOW')

    // The same rule still denies what it is meant to deny.
    const plain = await runCli(
      project,
      [
        'tools',
        'call',
        'policy.simulate',
        '--input',
        JSON.stringify({ tool: 'audit.verify', environment: 'aaaa' }),
        '--json',
      ],
      { env: AGENT },
    )
    expect(plain.exitCode).toBe(4)
    expect(json(plain).error.message).toContain('no-lowercase-only-environments')
  })

  it('a condition that goes over its cost budget denies, naming the rule and the budget', async () => {
    project = await tempProject({ policy: { 'project.yaml': POLICY } })
    const items = Array.from({ length: 1500 }, (_, i) => i)
    const input = JSON.stringify({ tool: 'drush.status', input: { items } })
    const called = await runCli(project, ['tools', 'call', 'policy.simulate', '--input', input, '--json'], {
      env: AGENT,
      timeoutMs: 30_000,
    })
    expect(called.exitCode, called.stderr).toBe(4)
    const error = json(called).error
    expect(error.code).toBe('policy_denied')
    expect(error.message).toMatch(/rule distinct-items: its condition could not be evaluated/)
    expect(error.message).toMatch(/CEL cost budget exceeded/)

    const [record] = await toolCalls(project)
    expect(record?.data).toMatchObject({ outcome: 'denied', decision: 'DENY' })
    expect(JSON.stringify(record?.data)).toContain('CEL cost budget exceeded')

    // A short list is within budget and allowed by the same rule.
    const small = JSON.stringify({ tool: 'drush.status', input: { items: [1, 2, 3] } })
    const ok = await runCli(project, ['tools', 'call', 'policy.simulate', '--input', small, '--json'], {
      env: AGENT,
    })
    expect(ok.exitCode, ok.stderr).toBe(0)
  })

  it('a pattern RE2 cannot run in linear time is refused when the bundle is published', async () => {
    const backreference = POLICY.replace(`'^([a-z]+)+$'`, () => `'^(a)\\\\1$'`)
    project = await tempProject({ policy: { 'project.yaml': backreference } })
    const published = await runCli(project, ['policy', 'publish', '--json'])
    expect(published.exitCode).toBe(2)
    expect(json(published).error.message).toMatch(
      /project\.yaml:\d+:\d+: invalid CEL expression .*RE2 syntax/,
    )
  })
})
