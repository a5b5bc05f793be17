import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { expect, it } from 'vitest'
import { REPO } from '../helpers/project.js'

interface ManifestCommand {
  summary?: string
  description?: string
  examples?: string[]
  flags?: Record<string, unknown>
}

// Servers stream a protocol on stdout; there is no single result to print as JSON.
const NO_JSON = new Set(['mcp:serve'])

it('every driftcore command has a summary, --help examples and --json (the built manifests say so)', async () => {
  const manifests = ['.', 'plugins/drush', 'plugins/mcp', 'plugins/scaffold'].map((dir) =>
    path.join(REPO, dir, 'oclif.manifest.json'),
  )
  const problems: string[] = []
  let count = 0
  for (const file of manifests) {
    const { commands } = JSON.parse(await readFile(file, 'utf8')) as {
      commands: Record<string, ManifestCommand>
    }
    for (const [id, command] of Object.entries(commands)) {
      count += 1
      if (!command.summary && !command.description) problems.push(`${id}: no summary`)
      if (!command.examples?.length) problems.push(`${id}: no examples`)
      if (!NO_JSON.has(id) && !command.flags?.json) problems.push(`${id}: no --json`)
    }
  }
  expect(problems).toEqual([])
  expect(count).toBeGreaterThan(50)
})
