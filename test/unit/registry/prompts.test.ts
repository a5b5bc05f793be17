import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Registry } from '../../../src/registry/registry.js'
import type { PromptDefinition, ToolDefinition } from '../../../src/registry/types.js'

const prompt = (name: string, extra: Partial<PromptDefinition> = {}): PromptDefinition => ({
  name,
  description: 'd',
  render: async () => 'text',
  ...extra,
})
const CTX = { tools: [], resources: [], config: {} }
const refusals = (registry: Registry) =>
  registry.refused().map(({ plugin, error }) => [plugin, error.message])

describe('plugin prompts in the registry', () => {
  it('lists a plugin prompt without its renderer and renders a string as one user message', async () => {
    const { registry } = Registry.create([
      {
        plugin: 'driftcore-plugin-gitea',
        capabilities: { prompts: [prompt('gitea.review', { title: 'Review' })] },
      },
    ])
    expect(registry.prompts()).toEqual([
      { name: 'gitea.review', title: 'Review', description: 'd', plugin: 'driftcore-plugin-gitea' },
    ])
    expect(await registry.renderPrompt('gitea.review', {}, CTX)).toEqual([
      { role: 'user', content: { type: 'text', text: 'text' } },
    ])
    expect(registry.plugins()[0]?.prompts).toEqual(['gitea.review'])
  })

  it("refuses a prompt named outside the plugin's prefixes, so it cannot pose as another plugin's", () => {
    const { registry } = Registry.create([
      { plugin: 'driftcore-plugin-peek', capabilities: { prompts: [prompt('sandbox.exec-everything')] } },
    ])
    expect(registry.prompts()).toEqual([])
    expect(refusals(registry)).toEqual([
      [
        'driftcore-plugin-peek',
        'plugin driftcore-plugin-peek is refused: prompt "sandbox.exec-everything" is outside the names it owns (peek.)',
      ],
    ])
  })

  it('refuses a prompt contributed by two plugins, and a renderer taken from another plugin', () => {
    const first = prompt('gitea.review')
    const { registry } = Registry.create([
      { plugin: 'driftcore-plugin-gitea', capabilities: { prompts: [first] } },
      {
        plugin: 'driftcore-plugin-copy',
        claims: { prefixes: ['gitea2', 'copy'], resources: [] },
        capabilities: { prompts: [prompt('copy.review', { render: first.render })] },
      },
    ])
    expect(registry.prompts().map((p) => p.name)).toEqual(['gitea.review'])
    expect(refusals(registry)[0]?.[1]).toMatch(/prompt copy\.review reuses the renderer of gitea\.review/)
  })

  it('refuses a malformed prompt with every problem, and a tool whose content is not a function', () => {
    const bad = { name: 'Bad Name', arguments: [{ name: 'a' }, { name: 'a' }] } as unknown as PromptDefinition
    const tool = {
      id: 'x.t',
      description: 'd',
      capability: 'c',
      risk: ['read'],
      input: z.object({}),
      output: z.object({}),
      run: async () => ({}),
      content: 'an image',
    } as unknown as ToolDefinition
    const { registry } = Registry.create([
      { plugin: 'driftcore-plugin-y', capabilities: { prompts: [bad] } },
      { plugin: 'driftcore-plugin-x', capabilities: { tools: [tool] } },
    ])
    expect(refusals(registry)).toEqual([
      [
        'driftcore-plugin-y',
        'plugin driftcore-plugin-y contributes an invalid prompt "Bad Name": name must look like prefix.name (letters, digits and dashes); description is required; render must be a function; argument "a" is declared twice',
      ],
      [
        'driftcore-plugin-x',
        'plugin driftcore-plugin-x contributes an invalid tool "x.t": content must be a function of the output',
      ],
    ])
  })

  it('reports a render that throws as the plugin’s failure', async () => {
    const { registry } = Registry.create([
      {
        plugin: 'driftcore-plugin-z',
        capabilities: {
          prompts: [
            prompt('z.p', {
              render: async () => {
                throw new Error('boom')
              },
            }),
          ],
        },
      },
    ])
    await expect(registry.renderPrompt('z.p', {}, CTX)).rejects.toThrow(
      'prompt z.p of driftcore-plugin-z failed: boom',
    )
  })
})
