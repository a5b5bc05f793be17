import { describe, expect, it } from 'vitest'
import { parseBundle, type PolicyRule } from '../../../src/policy/bundle.js'
import { CompiledPolicy } from '../../../src/policy/engine.js'

const head = 'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: t\nrules:\n'

function load(rule: string) {
  return () => parseBundle(head + rule, 'team.yaml')
}

function decide(rules: Partial<PolicyRule>[]) {
  const policy = new CompiledPolicy(
    rules.map((r, i) => ({ bundle: 't', rule: { id: `r${i}`, match: {}, decision: 'ALLOW', ...r } })),
    { version: 1, hash: 'h' },
  )
  return policy.evaluate({
    tool: { id: 'gitea.pr.merge', capability: 'gitea.write', risk_tags: ['write', 'network'] },
    input: {},
    actor: { type: 'agent', id: 'copilot' },
    environment: 'dev',
  })
}

describe('approval.count: how many different people a rule needs', () => {
  it('the highest count of the matching REQUIRE_APPROVAL rules wins; one person is the default', () => {
    expect(decide([{ decision: 'REQUIRE_APPROVAL' }]).approvals_required).toBeUndefined()
    const d = decide([
      { decision: 'REQUIRE_APPROVAL', approval: { client_attested: false, count: 2 } },
      { decision: 'REQUIRE_APPROVAL', approval: { client_attested: false, count: 3 } },
      { decision: 'REQUIRE_APPROVAL' },
    ])
    expect(d).toMatchObject({ decision: 'REQUIRE_APPROVAL', approvals_required: 3 })
  })

  it('a count on a rule that does not ask for approval is refused at its line', () => {
    expect(load('  - id: a\n    decision: ALLOW\n    approval: { count: 2 }\n')).toThrow(
      /team\.yaml:7:\d+: rule "a": approval\.count needs decision REQUIRE_APPROVAL/,
    )
  })

  it('more than one person cannot go with self-approval or a client’s answer: the requester never counts', () => {
    expect(
      load(
        '  - id: a\n    decision: REQUIRE_APPROVAL\n    self_approval: allowed\n    approval: { count: 2 }\n',
      ),
    ).toThrow(/approval\.count 2 cannot go with self_approval: allowed/)
    expect(
      load('  - id: a\n    decision: REQUIRE_APPROVAL\n    approval: { count: 2, client_attested: true }\n'),
    ).toThrow(/approval\.count 2 cannot go with approval\.client_attested/)
  })

  it('self-approval does not survive a matching rule that needs two people', () => {
    const d = decide([
      { decision: 'REQUIRE_APPROVAL', self_approval: 'allowed' },
      { decision: 'REQUIRE_APPROVAL', approval: { client_attested: false, count: 2 } },
    ])
    expect(d.self_approval).toBeUndefined()
    expect(d.approvals_required).toBe(2)
  })
})
