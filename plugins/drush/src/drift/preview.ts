import type { ResourceContext } from 'driftcore/api'
import type { ConfigSet } from '../configset/config-set.js'
import { loadConfigSource } from '../configset/sources.js'
import { driftSettings, maxYamlBytes } from '../settings/sections.js'
import { latestExport } from '../state/exports.js'
import { yamlReader, type YamlReader } from '../yaml/read.js'
import { compareSets, type ObjectDrift } from './compare.js'
import { DependencyReader, dependencyOrder } from './dependencies.js'

const MAX_KEYS = 6

/**
 * What `drush.configImport` would do to the site, for the person approving it: the objects it
 * creates, changes (with the changed keys) and deletes, in the order Drupal applies them,
 * compared with the site's latest export (the site itself is not asked before approval).
 * Deleting a content type, a vocabulary or a field is said in words.
 */
export async function importPreview(
  input: { source?: string; objects?: string[] },
  env: ResourceContext,
): Promise<string> {
  const full = !input.objects
  if (!input.source) return "a full import of the site's own sync folder (what it holds is not known here)"
  const source = await loadConfigSource(input.source, env)
  const last = await latestExport(env.paths)
  const head = `${full ? 'a full' : 'a partial'} import of ${input.source}`
  if (!last) {
    return `${head}: ${input.objects?.length ?? source.set.objects.size} object(s); what the site has now is not known (no export yet: driftcore drush config-export)`
  }
  const site = await loadConfigSource(last.record, env)
  const parse = await yamlReader(maxYamlBytes(env.config))
  const wanted = input.objects ? new Set(input.objects) : undefined
  const drift = compareSets(site.set, source.set, {
    noise: driftSettings(env.config).noise,
    ignore: [],
    parse,
  }).drift.filter((d) => (wanted ? wanted.has(d.name) && d.status !== 'removed' : true))
  const lines = [`${head}, compared with the site's export of ${last.created_at}:`]
  if (drift.length === 0) return `${lines[0]} no change`
  const order = operations(drift, site.set, source.set, parse)
  const count = (op: string) => order.filter((o) => o.op === op).length
  lines.push(`  ${count('create')} created, ${count('update')} changed, ${count('delete')} deleted`)
  for (const { op, d } of order) lines.push(`  ${op} ${d.name}${describe(op, d, site.set, parse)}`)
  return lines.join('\n')
}

/** What `drift.accept` would write into the baseline. */
export async function acceptPreview(
  input: { baseline: string; current: string; objects: string[] },
  env: ResourceContext,
): Promise<string> {
  const baseline = await loadConfigSource(input.baseline, env)
  const current = await loadConfigSource(input.current, env)
  const lines = [
    `into the baseline ${input.baseline}, the site's version of ${input.objects.length} object(s):`,
  ]
  for (const name of input.objects) {
    const was = baseline.set.objects.has(name)
    const now = current.set.objects.has(name)
    lines.push(`  ${!now ? 'delete' : was ? 'write' : 'add'} ${name}`)
  }
  return lines.join('\n')
}

type Op = 'delete' | 'create' | 'update'

// compareSets(site, source): "added" is only in the source (created), "removed" only on the
// site (deleted by a full import), a new uuid is deleted and created.
function operations(
  drift: readonly ObjectDrift[],
  site: ConfigSet,
  source: ConfigSet,
  parse: YamlReader,
): { op: Op; d: ObjectDrift }[] {
  const onSite = new DependencyReader(site, parse)
  const inSource = new DependencyReader(source, parse)
  const byName = new Map(drift.map((d) => [d.name, d]))
  const pick = (test: (d: ObjectDrift) => boolean) => drift.filter(test).map((d) => d.name)
  const deletes = dependencyOrder(
    pick((d) => d.status === 'removed' || d.recreated === true),
    (n) => onSite.needs(n).config,
  ).reverse()
  const creates = dependencyOrder(
    pick((d) => d.status === 'added' || d.recreated === true),
    (n) => inSource.needs(n).config,
  )
  const updates = dependencyOrder(
    pick((d) => d.status === 'changed' && !d.recreated),
    (n) => inSource.needs(n).config,
  )
  return [
    ...deletes.map((n) => ({ op: 'delete' as const, d: byName.get(n)! })),
    ...creates.map((n) => ({ op: 'create' as const, d: byName.get(n)! })),
    ...updates.map((n) => ({ op: 'update' as const, d: byName.get(n)! })),
  ]
}

const KINDS: [prefix: string, words: (label: string) => string][] = [
  ['node.type.', (l) => `deletes the content type ${l}, and with it every node of that type`],
  ['taxonomy.vocabulary.', (l) => `deletes the vocabulary ${l}, and with it every term in it`],
  ['field.storage.', (l) => `deletes the field storage ${l}, and all data in that field`],
  ['field.field.', (l) => `removes the field ${l} from its bundle, and its data there`],
  ['block_content.type.', (l) => `deletes the block type ${l}, and every block of that type`],
  ['media.type.', (l) => `deletes the media type ${l}, and every media item of that type`],
  ['user.role.', (l) => `deletes the role ${l}; its users lose its permissions`],
  ['views.view.', (l) => `deletes the view ${l}`],
]

function describe(op: Op, d: ObjectDrift, site: ConfigSet, parse: YamlReader): string {
  if (op === 'update') {
    const keys = [...new Set((d.changes ?? []).map((c) => c.path))]
    if (keys.length === 0) return ''
    const shown = keys.slice(0, MAX_KEYS).join(', ')
    return `: ${shown}${keys.length > MAX_KEYS ? ` and ${keys.length - MAX_KEYS} more` : ''}`
  }
  if (op !== 'delete') return ''
  const kind = KINDS.find(([prefix]) => d.name.startsWith(prefix))
  if (!kind) return d.recreated ? ' (its uuid differs; created again after)' : ''
  const file = site.objects.get(d.name)
  const value = file?.bytes ? (parse(file.bytes.toString('utf8'), d.name) as Record<string, unknown>) : {}
  const label = value?.name ?? value?.label
  const id = d.name.slice(kind[0].length)
  return ` — ${kind[1](typeof label === 'string' ? `"${label}" (${id})` : id)}${d.recreated ? ' (its uuid differs; created again after, empty)' : ''}`
}
