import { describe, expect, it } from 'vitest'
import { Registry } from '../../../../src/registry/registry.js'
import { coreCapabilities } from '../../../../src/registry/core-capabilities.js'
import { getPrompt, listPrompts } from '../../src/server/prompts.js'

describe('flagship prompts', () => {
  it('say which tools a server without the drush plugin does not have', () => {
    const { registry } = Registry.create([{ plugin: 'driftcore', capabilities: coreCapabilities }])
    const text = (getPrompt('config-drift', {}, registry).messages[0]!.content as { text: string }).text
    expect(text).toContain('`policy.simulate`')
    expect(text).not.toContain('`policy.simulate` (not installed')
    expect(text).toContain('`drift.check` (not installed on this server)')
    expect(text).toContain('the project baseline')
  })

  it('are listed with their arguments', () => {
    expect(listPrompts().map((p) => [p.name, p.arguments?.map((a) => a.name)])).toEqual([
      ['metadata-inspection', ['entity_type']],
      ['config-drift', ['baseline']],
    ])
  })
})
