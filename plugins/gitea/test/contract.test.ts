import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHARED_FIXTURES } from '../../../test/helpers/project.js'

const PLUGIN = path.resolve(import.meta.dirname, '..')

describe('the Gitea API document the client is built from', () => {
  it('is the team fixture, byte for byte (a fresh checkout builds from the copy in contract/)', async () => {
    const [copy, fixture] = await Promise.all([
      readFile(path.join(PLUGIN, 'contract/swagger.v1.json')),
      readFile(path.join(SHARED_FIXTURES, 'gitea/swagger.v1.json')),
    ])
    expect(copy.equals(fixture)).toBe(true)
  })

  it('is the document the generated client was typed from', async () => {
    const types = await readFile(path.join(PLUGIN, 'generated/gitea-api.d.ts'), 'utf8')
    const swagger = JSON.parse(await readFile(path.join(PLUGIN, 'contract/swagger.v1.json'), 'utf8')) as {
      info: { version: string }
    }
    expect(types).toContain(`from swagger.v1.json (Gitea ${swagger.info.version})`)
  })
})
