import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { linkPlugin, stdioClient, type Connected } from '../../plugins/mcp/test/helpers.js'
import { FIXTURES, json, runCli, tempProject, type TempProject } from '../helpers/project.js'

// A plugin written to the documented API whose tools return images and embedded resources and
// which contributes prompts (test/fixtures/plugins/media).
const MEDIA = path.join(FIXTURES, 'plugins/media')
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='

let project: TempProject
let connected: Connected
beforeAll(async () => {
  project = await tempProject()
  await linkPlugin(project, MEDIA)
  connected = await stdioClient(project, { env: { DRIFTCORE_ACTOR: 'agent:copilot' } })
})
afterAll(async () => {
  await connected?.close()
  await project?.cleanup()
})

describe('plugin tool results with non-text content, over MCP', () => {
  it('a tool result carries its JSON, then the image read from its artifact, an embedded resource and a link', async () => {
    const result = await connected.client.callTool({ name: 'media.chart', arguments: { title: 'sales' } })
    expect(result.isError).toBeFalsy()
    const content = result.content as Record<string, any>[]
    expect(JSON.parse(content[0]!.text)).toMatchObject({ title: 'sales' })
    expect(content.slice(1)).toEqual([
      { type: 'image', mimeType: 'image/png', data: PNG_BASE64 },
      {
        type: 'resource',
        resource: { uri: 'media://charts/data.csv', mimeType: 'text/csv', text: 'x,y\n1,2\n' },
      },
      { type: 'resource_link', uri: 'media://charts/latest', name: 'latest chart', mimeType: 'image/png' },
    ])
    expect(result.structuredContent).toMatchObject({ title: 'sales' })
  })

  it('invalid content blocks are left out with a warning, and the result still arrives', async () => {
    const result = await connected.client.callTool({ name: 'media.sloppy', arguments: {} })
    expect(result.isError).toBeFalsy()
    expect(result.content).toEqual([
      { type: 'text', text: '{"ok":true}' },
      { type: 'text', text: 'the one valid block' },
    ])
    expect(connected.stderr()).toMatch(/media\.sloppy: a content block/)
  })

  it('the CLI prints the same JSON output, without the blocks', async () => {
    const called = await runCli(project, [
      'tools',
      'call',
      'media.chart',
      '--input',
      '{"title":"t"}',
      '--json',
    ])
    expect(called.exitCode, called.stderr).toBe(0)
    expect(Object.keys(json(called).output).sort()).toEqual(['chart', 'csv', 'title'])
  })
})

describe('plugin prompts, over MCP', () => {
  it('are listed after the flagship prompts, with their arguments', async () => {
    const { prompts } = await connected.client.listPrompts()
    const review = prompts.find((p) => p.name === 'media.review')
    expect(review).toMatchObject({
      title: 'Review a chart',
      arguments: [
        { name: 'topic', required: true, description: 'what the chart shows' },
        { name: 'tone', description: 'how blunt to be' },
      ],
    })
    expect(prompts.map((p) => p.name)).toEqual(expect.arrayContaining(['config-drift', 'media.broken']))
  })

  it('render text and image messages, for user and assistant', async () => {
    const got = await connected.client.getPrompt({ name: 'media.review', arguments: { topic: 'sales' } })
    expect(got.messages).toEqual([
      { role: 'user', content: { type: 'text', text: 'Review the sales chart. Draw it with media.chart.' } },
      { role: 'user', content: { type: 'image', mimeType: 'image/png', data: PNG_BASE64 } },
      { role: 'assistant', content: { type: 'text', text: 'I will look at the axes first.' } },
    ])
  })

  it('complete their arguments from the suggestions', async () => {
    const done = await connected.client.complete({
      ref: { type: 'ref/prompt', name: 'media.review' },
      argument: { name: 'topic', value: 's' },
    })
    expect(done.completion.values).toEqual(['sales', 'signups'])
  })

  it('refuse a missing required argument as invalid params, and report a render that throws', async () => {
    await expect(connected.client.getPrompt({ name: 'media.review', arguments: {} })).rejects.toThrow(
      /-32602.*needs the argument\(s\) topic/,
    )
    await expect(connected.client.getPrompt({ name: 'media.broken' })).rejects.toThrow(
      /media\.broken of driftcore-plugin-media failed: media\.broken cannot render today/,
    )
    // The server is still serving.
    const { tools } = await connected.client.listTools()
    expect(tools.map((t) => t.name)).toContain('media.chart')
  })
})
