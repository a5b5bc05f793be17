import path from 'node:path'
import { Flags } from '@oclif/core'
import { SdkCommand, serverFlag } from '../../sdk/command.js'

export default class SdkGenerate extends SdkCommand<typeof SdkGenerate> {
  static override summary = 'Write a typed TypeScript SDK from the live MCP catalog: one function per tool'
  static override description =
    'Reads the catalog from the server (tools/list and friends), generates types from every tool’s JSON Schemas ' +
    'with json-schema-to-typescript and a DriftcoreSdk class with one method per tool, JSDoc from the descriptions. ' +
    'The result compiles under tsc --strict and needs @modelcontextprotocol/sdk. --watch regenerates when the ' +
    'server reports a changed catalog.'
  static override examples = [
    '<%= config.bin %> sdk generate --out src/driftcore-sdk',
    '<%= config.bin %> sdk generate --out sdk --server http://127.0.0.1:7800/mcp',
    `<%= config.bin %> sdk generate --out sdk --server 'driftcore mcp serve --home ../site/.driftcore' --watch`,
  ]
  static override flags = {
    out: Flags.directory({ char: 'o', required: true, description: 'the folder to write the SDK into' }),
    server: serverFlag,
    watch: Flags.boolean({ description: 'keep running and regenerate when the catalog changes' }),
    force: Flags.boolean({ description: 'write into a folder holding files driftcore did not generate' }),
  }

  async run() {
    const { fetchCatalog } = await import('../../sdk/catalog.js')
    const { generateSdk } = await import('../../sdk/generate.js')
    const { writeGenerated } = await import('../../sdk/write.js')
    const out = path.resolve(this.flags.out)
    const client = await this.catalogClient()
    try {
      const regenerate = async () => {
        const catalog = await fetchCatalog(client)
        const report = await writeGenerated(out, await generateSdk(catalog), { force: this.flags.force })
        this.note(
          `${out}: ${catalog.tools.length} tools; wrote ${report.written.join(', ') || 'nothing new'}`,
        )
        return { out, tools: catalog.tools.map((t) => t.name), ...report }
      }
      const first = await regenerate()
      if (this.flags.watch) {
        const { onCatalogChange } = await import('../../sdk/watch.js')
        const stop = new AbortController()
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort())
        this.note('watching the catalog; Ctrl-C stops')
        await onCatalogChange(client, async () => void (await regenerate()), stop.signal)
      }
      return first
    } finally {
      await client.close()
    }
  }
}
