import { readFile } from 'node:fs/promises'
import { Flags } from '@oclif/core'
import { DriftcoreError } from 'driftcore/api'
import type { ZodType } from 'zod'
import type { Catalog } from '../../sdk/catalog.js'
import { SdkCommand, serverFlag } from '../../sdk/command.js'

export default class SdkCheck extends SdkCommand<typeof SdkCheck> {
  static override summary = 'Compare the live MCP catalog with a snapshot; fail on breaking changes'
  static override description =
    'Breaking: a tool, resource, template or prompt removed; a new required input or prompt argument; an input ' +
    'type, value set or bound narrowed; an output widened or no longer always present. Additions are reported ' +
    'and pass. Exits 6 (conflict) when anything breaks.'
  static override examples = [
    '<%= config.bin %> sdk check --snapshot mcp-catalog.json',
    '<%= config.bin %> sdk check --snapshot sdk/catalog.json --server http://127.0.0.1:7800/mcp --json',
  ]
  static override flags = {
    snapshot: Flags.file({
      char: 's',
      required: true,
      exists: true,
      description: 'a snapshot from `sdk snapshot`',
    }),
    server: serverFlag,
  }

  async run() {
    const { catalogSchema, fetchCatalog } = await import('../../sdk/catalog.js')
    const { diffCatalogs } = await import('../../sdk/diff.js')
    const snapshot = await readSnapshot(this.flags.snapshot, catalogSchema)
    const client = await this.catalogClient()
    let diff
    try {
      diff = diffCatalogs(snapshot, await fetchCatalog(client))
    } finally {
      await client.close()
    }
    if (!this.jsonEnabled()) {
      for (const change of diff.breaking) this.log(`breaking    ${change}`)
      for (const change of diff.compatible) this.log(`compatible  ${change}`)
    }
    if (diff.breaking.length > 0) {
      throw new DriftcoreError(
        'conflict',
        `${diff.breaking.length} breaking change${diff.breaking.length === 1 ? '' : 's'} against ${this.flags.snapshot}`,
        {
          hint:
            'keep the old contract, or accept the break: driftcore sdk snapshot --out ' + this.flags.snapshot,
          details: { ...diff },
        },
      )
    }
    this.note(`no breaking changes against ${this.flags.snapshot}`)
    return diff
  }
}

async function readSnapshot(file: string, schema: ZodType<Catalog>): Promise<Catalog> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new DriftcoreError('invalid_input', `${file} is not JSON: ${(error as Error).message}`)
  }
  const result = schema.safeParse(parsed)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new DriftcoreError(
      'invalid_input',
      `${file} is not a catalog snapshot: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? ''}`,
      { hint: 'write one with: driftcore sdk snapshot --out FILE' },
    )
  }
  return result.data
}
