import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { coreCapabilities } from '../../../src/registry/core-capabilities.js'
import { Registry } from '../../../src/registry/registry.js'
import { defineTool } from '../../../src/registry/define.js'
import type { ToolContext, ToolDefinition } from '../../../src/registry/types.js'
import { fixturePluginContribution } from '../../helpers/project.js'

const refusals = (registry: Registry) =>
  registry.refused().map(({ plugin, error }) => [plugin, error.message])

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

  it('refuses a prefix claimed by a second plugin, naming both, and keeps the first', () => {
    const { registry } = Registry.create([
      {
        plugin: 'plugin-a',
        capabilities: { tools: [tool('x.read')] },
        claims: { prefixes: ['x'], resources: [] },
      },
      {
        plugin: 'plugin-b',
        capabilities: { tools: [tool('x.write')] },
        claims: { prefixes: ['x'], resources: [] },
      },
    ])
    expect(registry.tools().map((t) => t.id)).toEqual(['x.read'])
    expect(refusals(registry)).toEqual([
      ['plugin-b', 'plugin plugin-b is refused: prefix "x" is already owned by plugin-a'],
    ])
  })

  it('refuses a tool id contributed twice by one plugin', () => {
    const { registry } = Registry.create([
      { plugin: 'plugin-a', capabilities: { tools: [tool('a.read'), tool('a.read')] } },
    ])
    expect(refusals(registry)[0]?.[1]).toBe(
      'plugin plugin-a is refused: tool "a.read" is contributed twice by plugin-a',
    )
  })

  it("refuses a config section that is a core section or outside the plugin's prefixes", () => {
    const section = z.object({})
    const { registry } = Registry.create([
      { plugin: 'plugin-a', capabilities: { config: { launcher: section } } },
      { plugin: 'plugin-b', capabilities: { config: { drush: section } } },
      { plugin: 'plugin-c', capabilities: { config: { c: section } } },
    ])
    expect(refusals(registry).map(([, m]) => m)).toEqual([
      `plugin plugin-a is refused: config section "launcher" would replace driftcore's own`,
      'plugin plugin-b is refused: config section "drush" is outside the names it owns (b:)',
    ])
    expect(Object.keys(registry.configSections())).toEqual(['c'])
  })

  it('refuses a plugin claiming a name of the core', () => {
    const { registry } = Registry.create([
      { plugin: 'p', capabilities: {}, packageJson: { driftcore: { prefixes: ['policy'] } } },
    ])
    expect(refusals(registry)[0]?.[1]).toBe(
      'plugin p is refused: prefix "policy" belongs to driftcore itself',
    )
  })

  it('refuses a malformed tool definition with every problem listed', () => {
    const { registry } = Registry.create([
      {
        plugin: 'p',
        capabilities: { tools: [tool('Bad Id', { risk: ['read', 'fly' as 'read'], description: '' })] },
      },
    ])
    expect(refusals(registry)[0]?.[1]).toMatch(
      /plugin p contributes an invalid tool "Bad Id": id must look like plugin\.verb.*description is required.*unknown risk tag "fly"/,
    )
  })

  it("refuses a plugin that contributes another plugin's handler or schemas, even under its own id", () => {
    const owned = tool('a.run')
    const { registry } = Registry.create([
      { plugin: 'plugin-a', capabilities: { tools: [owned] } },
      { plugin: 'plugin-b', capabilities: { tools: [{ ...owned, id: 'b.run', risk: ['read'] }] } },
      { plugin: 'plugin-c', capabilities: { tools: [tool('c.run', { input: owned.input })] } },
    ])
    expect(refusals(registry).map(([, m]) => m)).toEqual([
      expect.stringMatching(
        /plugin plugin-b is refused: its tool b\.run reuses the handler of a\.run \(plugin-a\)/,
      ),
      expect.stringMatching(/plugin plugin-c is refused: its tool c\.run reuses the input schema of a\.run/),
    ])
  })

  it('builds schemas given as functions while it registers them, refusing a plugin whose function fails', () => {
    let built = 0
    const input = () => {
      built += 1
      return z.object({ name: z.string() })
    }
    const { registry } = Registry.create([
      { plugin: 'plugin-a', capabilities: { tools: [tool('a.read', { input })] } },
      {
        plugin: 'plugin-b',
        capabilities: {
          tools: [
            tool('b.read', {
              input: () => {
                throw new Error('boom')
              },
            }),
          ],
        },
      },
      {
        plugin: 'plugin-c',
        capabilities: { tools: [tool('c.read', { output: () => 'no schema' as never })] },
      },
    ])
    expect(built).toBe(1)
    expect(registry.tools().map((t) => t.id)).toEqual(['a.read'])
    // Built once: every read of the descriptor is the same schema object.
    expect(registry.tool('a.read').input).toBe(registry.tool('a.read').input)
    expect(registry.tool('a.read').input.safeParse({ name: 'x' }).success).toBe(true)
    expect(built).toBe(1)
    expect(refusals(registry)).toEqual([
      ['plugin-b', expect.stringMatching(/invalid tool "b\.read": building its input schema failed: boom/)],
      [
        'plugin-c',
        expect.stringMatching(/invalid tool "c\.read": its output function returned no zod schema/),
      ],
    ])
  })

  it("refuses a plugin whose schema function returns another plugin's schema", () => {
    const owned = tool('a.run')
    const { registry } = Registry.create([
      { plugin: 'plugin-a', capabilities: { tools: [owned] } },
      {
        plugin: 'plugin-b',
        capabilities: { tools: [tool('b.run', { output: () => owned.output as z.ZodType })] },
      },
    ])
    expect(refusals(registry)[0]?.[1]).toMatch(
      /plugin plugin-b is refused: its tool b\.run reuses the output schema of a\.run/,
    )
  })

  it("with schemas built on use, builds a tool's schemas only when they are read, and a bad one fails that read", () => {
    const built: string[] = []
    const lazyTool = (id: string, build: () => z.ZodType) =>
      tool(id, {
        input: () => {
          built.push(id)
          return build()
        },
      })
    const { registry } = Registry.create(
      [
        {
          plugin: 'plugin-a',
          capabilities: {
            tools: [
              lazyTool('a.one', () => z.object({})),
              lazyTool('a.two', () => {
                throw new Error('boom')
              }),
            ],
          },
        },
      ],
      { schemas: 'on-use' },
    )
    expect(registry.tools().map((t) => t.id)).toEqual(['a.one', 'a.two'])
    expect(built).toEqual([])
    expect(registry.tool('a.one').input.safeParse({}).success).toBe(true)
    expect(built).toEqual(['a.one'])
    expect(() => registry.tool('a.two').input).toThrow(
      /plugin plugin-a contributes an invalid tool "a\.two": building its input schema failed: boom/,
    )
  })

  it('refuses a defineTool handler under another id, whichever plugin comes first', () => {
    const exec = defineTool(tool('a.exec', { risk: ['exec'] }))
    const { registry } = Registry.create([
      { plugin: 'plugin-b', capabilities: { tools: [{ ...exec, id: 'b.exec', risk: ['read'] }] } },
      { plugin: 'plugin-a', capabilities: { tools: [exec] } },
    ])
    expect(registry.tools().map((t) => t.id)).toEqual(['a.exec'])
    expect(refusals(registry)[0]?.[1]).toMatch(
      /plugin plugin-b is refused: its tool b\.exec reuses the handler of a\.exec/,
    )
  })

  it('runs a defineTool handler only for the tool the gate calls, and refuses it anywhere else', async () => {
    const exec = defineTool(tool('a.exec', { run: async () => ({ ran: true }) }))
    const wrapper = tool('b.exec', { run: (input, ctx) => exec.run(input, ctx) })
    const { handlers } = Registry.create([
      { plugin: 'plugin-a', capabilities: { tools: [exec] } },
      { plugin: 'plugin-b', capabilities: { tools: [wrapper] } },
    ])
    const ctx = () => ({}) as ToolContext
    await expect(handlers.tool('a.exec').run({}, ctx())).resolves.toEqual({ ran: true })
    await expect(handlers.tool('b.exec').run({}, ctx())).rejects.toMatchObject({
      code: 'forbidden',
      message:
        "the handler of tool a.exec was called for b.exec: a plugin re-exported another plugin's handler",
    })
    await expect(exec.run({}, ctx())).rejects.toThrow(
      'the handler of tool a.exec was called outside the gate',
    )
    expect(Object.isFrozen(exec) && Object.isFrozen(exec.risk)).toBe(true)
  })

  it('lists the accepted plugins with the names they own', () => {
    const { registry } = Registry.create([
      { plugin: 'driftcore', capabilities: coreCapabilities },
      { plugin: '@acme/driftcore-plugin-gitea', capabilities: { tools: [tool('gitea.listPrs')] } },
    ])
    expect(registry.plugins()).toEqual([
      expect.objectContaining({ plugin: 'driftcore', prefixes: expect.arrayContaining(['audit', 'pool']) }),
      {
        plugin: '@acme/driftcore-plugin-gitea',
        prefixes: ['gitea'],
        resourcePrefixes: ['gitea'],
        tools: ['gitea.listPrs'],
        resources: [],
        prompts: [],
        sections: [],
      },
    ])
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
        claims: { prefixes: [], resources: ['schema'] },
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
