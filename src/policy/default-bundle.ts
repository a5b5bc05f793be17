/**
 * The built-in bundle, used while a project has no bundle of its own. `driftcore init` writes a
 * copy to .driftcore/policy/default.yaml so the rules in force are always visible and editable.
 */
export const DEFAULT_BUNDLE_YAML = `apiVersion: driftcore/v1
kind: PolicyBundle
name: default
description: >-
  Read-only tools run; tools that write or execute need a person's approval; everything else
  (network, secrets, prod, or no declared risk) is denied because no rule matches it. Changing
  driftcore's own config and policy is a person's call.
rules:
  - id: allow-read-only
    description: Tools whose only risk tag is read run without asking.
    decision: ALLOW
    match:
      risk_tags: { only: [read] }
  - id: approve-write-exec
    description: Tools that change things or run programs need a person's approval.
    decision: REQUIRE_APPROVAL
    match:
      tools: ['!{config.set,policy.rollback,approvers.add,approvers.remove}']
      risk_tags: { any: [write, exec] }
  - id: people-set-config
    description: >-
      A person changes config themselves (they could edit the file as well); every change is
      audited as config.changed.
    decision: ALLOW
    match:
      tools: [config.set]
      actors: { types: [human] }
  - id: approve-config-changes
    description: Agents, CI and workflows need a person's approval to change config.
    decision: REQUIRE_APPROVAL
    match:
      tools: [config.set]
      actors: { types: ['!human'] }
  - id: people-roll-back-policy
    description: A person may put an earlier policy snapshot back in force.
    decision: ALLOW
    match:
      tools: [policy.rollback]
      actors: { types: [human] }
  - id: only-people-roll-back-policy
    description: Which rules are in force is not an agent's call, with or without approval.
    decision: DENY
    final: true
    match:
      tools: [policy.rollback]
      actors: { types: ['!human'] }
  - id: people-change-approvers
    description: >-
      A person adds or removes approver keys; once there is one, each change is signed by an
      approver already listed (the first is trusted on first use).
    decision: ALLOW
    match:
      tools: [approvers.add, approvers.remove]
      actors: { types: [human] }
  - id: only-people-change-approvers
    description: Who may approve is never an agent's call, with or without approval.
    decision: DENY
    final: true
    match:
      tools: [approvers.add, approvers.remove]
      actors: { types: ['!human'] }
`
