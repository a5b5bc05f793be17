/**
 * The built-in bundle, used while a project has no bundle of its own. `driftcore init` writes a
 * copy to .driftcore/policy/default.yaml so the rules in force are always visible and editable.
 */
export const DEFAULT_BUNDLE_YAML = `apiVersion: driftcore/v1
kind: PolicyBundle
name: default
description: >-
  Read-only tools run; tools that write or execute need a person's approval; everything else
  (network, secrets, prod, or no declared risk) is denied because no rule matches it.
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
      risk_tags: { any: [write, exec] }
`
