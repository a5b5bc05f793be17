import { readdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { ConfinedDir, DriftcoreError, defineResource, type ResourceContext } from 'driftcore/api'

interface Guide {
  name: string
  title: string
  from: 'driftcore' | 'project'
  uri: string
  file: string
}

const NAME = /^[a-z0-9][a-z0-9_-]*$/

// driftcore's own guides ship in its package's docs/guides; find the package wherever it is installed.
function hostGuides(): string {
  const pkg = createRequire(import.meta.url).resolve('driftcore/package.json')
  return path.join(path.dirname(pkg), 'docs', 'guides')
}

// Only plain files count: a guide that is a symlink could serve any file the user can read.
async function guidesIn(dir: string, from: Guide['from']): Promise<Guide[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const guides: Guide[] = []
  const names = entries.filter((e) => e.isFile() && e.name.endsWith('.md')).map((e) => e.name)
  for (const file of names.sort()) {
    const name = file.slice(0, -3)
    if (!NAME.test(name)) continue
    const text = await readGuide(path.join(dir, file))
    const title = /^#\s+(.+)$/m.exec(text)?.[1]?.trim() ?? name
    guides.push({ name, title, from, uri: `driftcore://docs/guides/${name}`, file: path.join(dir, file) })
  }
  return guides
}

async function readGuide(file: string): Promise<string> {
  const folder = await ConfinedDir.open(path.dirname(file), { what: 'the guides folder' })
  return (await folder.readFile(path.basename(file))).toString('utf8')
}

/** driftcore's guides and the project's own (.driftcore/guides/); a project guide wins by name. */
async function allGuides(ctx: ResourceContext): Promise<Guide[]> {
  const byName = new Map<string, Guide>()
  for (const g of await guidesIn(hostGuides(), 'driftcore')) byName.set(g.name, g)
  for (const g of await guidesIn(path.join(ctx.paths.home, 'guides'), 'project')) byName.set(g.name, g)
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
}

export const guidesIndex = defineResource({
  uri: 'driftcore://docs/guides',
  name: 'docs.guides',
  title: 'User guides',
  description:
    "driftcore's Markdown guides (docs/guides/) and the project's own (.driftcore/guides/), listed by name.",
  mimeType: 'application/json',
  async read(_params, ctx) {
    const guides = (await allGuides(ctx)).map(({ file: _file, ...g }) => g)
    return { text: JSON.stringify({ guides }, null, 2), mimeType: 'application/json' }
  },
})

export const guide = defineResource({
  uri: 'driftcore://docs/guides/{name}',
  name: 'docs.guide',
  title: 'One user guide',
  description: 'One Markdown guide by name (see docs.guides).',
  mimeType: 'text/markdown',
  async read({ name }, ctx) {
    const found = (await allGuides(ctx)).find((g) => g.name === name)
    if (!found) {
      throw new DriftcoreError('not_found', `no guide named "${name}"`, {
        hint: 'list them: driftcore://docs/guides',
      })
    }
    return { text: await readGuide(found.file), mimeType: 'text/markdown' }
  },
})
