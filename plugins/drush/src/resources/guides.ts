import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { DriftcoreError, defineResource, type ResourceContext } from 'driftcore'

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

async function guidesIn(dir: string, from: Guide['from']): Promise<Guide[]> {
  const names = await readdir(dir).catch(() => [] as string[])
  const guides: Guide[] = []
  for (const file of names.filter((n) => n.endsWith('.md')).sort()) {
    const name = file.slice(0, -3)
    if (!NAME.test(name)) continue
    const text = await readFile(path.join(dir, file), 'utf8')
    const title = /^#\s+(.+)$/m.exec(text)?.[1]?.trim() ?? name
    guides.push({ name, title, from, uri: `driftcore://docs/guides/${name}`, file: path.join(dir, file) })
  }
  return guides
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
    return { text: await readFile(found.file, 'utf8'), mimeType: 'text/markdown' }
  },
})
