import path from 'node:path'
import { Flags } from '@oclif/core'
import { SdkCommand, serverFlag } from '../../sdk/command.js'

export default class SdkSnapshot extends SdkCommand<typeof SdkSnapshot> {
  static override summary = 'Write the live MCP catalog to a snapshot file for `sdk check`'
  static override description =
    'The snapshot holds the contract: tools with their input and output schemas and annotations, resources, ' +
    'templates and prompts, sorted. Commit it; `driftcore sdk check --snapshot FILE` then fails on breaking changes.'
  static override examples = [
    '<%= config.bin %> sdk snapshot --out mcp-catalog.json',
    '<%= config.bin %> sdk snapshot --server http://127.0.0.1:7800/mcp --out catalog.json',
  ]
  static override flags = {
    out: Flags.file({ char: 'o', description: 'the snapshot file (default: print it)' }),
    server: serverFlag,
  }

  async run() {
    const { fetchCatalog } = await import('../../sdk/catalog.js')
    const client = await this.catalogClient()
    try {
      const catalog = await fetchCatalog(client)
      if (this.flags.out) {
        const { writeAtomic } = await import('../../sdk/write.js')
        await writeAtomic(path.resolve(this.flags.out), `${JSON.stringify(catalog, null, 2)}\n`)
        this.note(`${this.flags.out}: ${catalog.tools.length} tools, ${catalog.prompts.length} prompts`)
      } else if (!this.jsonEnabled()) this.log(JSON.stringify(catalog, null, 2))
      return catalog
    } finally {
      await client.close()
    }
  }
}
