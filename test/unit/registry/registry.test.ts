import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { coreCapabilities } from '../../../src/registry/core-capabilities.js'
import { Registry } from '../../../src/registry/registry.js'
import type { ToolDefinition } from '../../../src/registry/types.js'
import { fixturePluginContribution } from '../../helpers/project.js'

const tool = (id: string, extra: Partial<ToolDefinition> = {}): ToolDefinition => ({
  id,
  description: 'd',
  capability: 'c',
  risk: ['read'],
  input: z.object({}),
  output: z.object({}),
  run: async () => ({}),
  ...extra,
})

describe('the registry', () => {
  it('registers tools from separate plugins and lists them without their handlers', async () => {
    const { registry } = Registry.create([
      { plugin: 'driftcore', capabilities: coreCapabilities },
      await fixturePluginContribution(),
    ])
    const ids = registry.tools().map((t) => t.id)
    expect(ids).toEqual(expect.arrayContaining(['audit.verify', 'hello.greet', 'hello.shout']))
    for (const descriptor of registry.tools()) {
      expect(descriptor).not.toHaveProperty('run')
      expect(descriptor).not.toHaveProperty('locks')
      expect(Object.isFrozen(descriptor)).toBe(true)
    }
    expect(registry.tool('hello.greet').plugin).toBe('driftcore-plugin-hello')
  })

  it('refuses a tool id contributed twice, naming both plugins', () => {
    expect(() =>
      Registry.create([
        { plugin: 'plugin-a', capabilities: { tools: [tool('x.read')] } },
        { plugin: 'plugin-b', capabilities: { tools: [tool('x.read')] } },
      ]),
    ).toThrow('tool "x.read" is contributed by both plugin-a and plugin-b')
  })

  it('refuses a config section owned twice, naming both plugins', () => {
    const section = z.object({})
    expect(() =>
      Registry.create([
        { plugin: 'a', capabilities: { config: { drush: section } } },
        { plugin: 'b', capabilities: { config: { drush: section } } },
      ]),
    ).toThrow('config section "drush" is contributed by both a and b')
  })

  it('refuses a malformed tool definition with every problem listed', () => {
    expect(() =>
      Registry.create([
        {
          plugin: 'p',
          capabilities: { tools: [tool('Bad Id', { risk: ['read', 'fly' as 'read'], description: '' })] },
        },
      ]),
    ).toThrow(
      /plugin p contributes an invalid tool "Bad Id": id must look like plugin\.verb.*description is required.*unknown risk tag "fly"/,
    )
  })

  it('hands handlers only to the holder of the handler table (the gate)', async () => {
    const { registry, handlers } = Registry.create([await fixturePluginContribution()])
    expect(Object.values(registry).some((v) => typeof v === 'function')).toBe(false)
    const greet = handlers.tool('hello.greet')
    expect(typeof greet.run).toBe('function')
    expect(() => handlers.tool('hello.nope')).toThrow(/unknown tool "hello.nope"/)
  })

  it('matches resource templates and extracts their parameters', () => {
    const read = async () => ({ text: '' })
    const { registry } = Registry.create([
      {
        plugin: 'p',
        capabilities: {
          resources: [
            {
              uri: 'driftcore://schema/entity-types',
              name: 'types',
              description: 'd',
              mimeType: 'application/json',
              read,
            },
            {
              uri: 'driftcore://schema/fields/{entity_type}',
              name: 'fields',
              description: 'd',
              mimeType: 'application/json',
              read,
            },
          ],
        },
      },
    ])
    expect(registry.matchResource('driftcore://schema/fields/node').params).toEqual({ entity_type: 'node' })
    expect(registry.matchResource('driftcore://schema/entity-types').resource.template).toBe(false)
    expect(() => registry.matchResource('driftcore://nope')).toThrow(/no resource matches/)
  })
})
