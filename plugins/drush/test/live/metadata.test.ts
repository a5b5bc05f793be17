// Cases 2, 6 and 7 of issue 13, on the live Drupal 10.3.7 site's export and content model.
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import type { Kernel } from '../../../../src/kernel/open.js'
import { tempProject, type TempProject } from '../../../../test/helpers/project.js'
import { compareMetadata } from '../../src/metadata/compare.js'
import { siteMetadataSchema, type SiteMetadata } from '../../src/metadata/model.js'
import { saveSnapshot } from '../../src/metadata/snapshots.js'
import { LIVE_MODEL, LIVE_SYNC, LiveStandIn } from '../helpers/live.js'
import { drushKernel, STAND_IN } from '../helpers/site.js'

let project: TempProject | undefined
let kernel: Kernel | undefined
let site: LiveStandIn | undefined
const agent = { type: 'agent', id: 'schema-bot' }
afterEach(async () => {
  await kernel?.close()
  await project?.cleanup()
  await site?.remove()
  project = kernel = site = undefined
})

async function open(options: { database?: 'down' } = {}) {
  project = await tempProject()
  site = await LiveStandIn.create(options)
  await writeFile(
    path.join(project.home, 'config.yaml'),
    `launcher:\n  allowlist: [${STAND_IN}]\ndrush:\n  command: [${STAND_IN}]\n  root: ${site.root}\n  config_dir: config/sync\nfiles:\n  read_roots: [${JSON.stringify(site.base)}, ${JSON.stringify(path.dirname(LIVE_SYNC))}]\n`,
  )
  kernel = await drushKernel(project)
  return kernel
}

const liveModel = async (): Promise<SiteMetadata> =>
  siteMetadataSchema.parse(JSON.parse(await readFile(LIVE_MODEL, 'utf8')))

interface Harvested {
  snapshot: { id: string; source: { kind: string; detail: string } }
  previous: string | null
}
const harvest = async (k: Kernel, input: Record<string, unknown>) =>
  (await k.gate.invoke('drush.metadataHarvest', input, agent)).output as Harvested

// The documented gaps: what a config export cannot say (the snapshot's `unknown`).
const DOCUMENTED_GAPS = ['drupal_version', 'state']

describe('metadata from the live site and from its config export', () => {
  it('php-script-nodb: with the database down, --source auto reads the sync folder drush status names', async () => {
    const k = await open({ database: 'down' })
    const out = await harvest(k, { from: 'auto' })
    expect(out.snapshot.source).toEqual({ kind: 'config', detail: site!.sync })
    await expect(k.gate.invoke('drush.metadataHarvest', { from: 'drush' }, agent)).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining(
        '\\Drupal::$container is not initialized yet. \\Drupal::setContainer() must be called with a real container.',
      ),
    })
  })

  it('the harvest of sync/ equals the live content model field by field, but for the documented gaps', async () => {
    const k = await open()
    await harvest(k, { from: 'config', source: LIVE_SYNC })
    const snap = (await k.gate.read('driftcore://schema/entity-types', agent)).text
    expect(snap).toBeTruthy()
    const { loadSnapshot } = await import('../../src/metadata/snapshots.js')
    const fromConfig = (await loadSnapshot({ paths: k.paths, artifacts: k.artifacts }, 'latest'))!.metadata
    const live = await liveModel()
    expect(fromConfig.unknown).toEqual(DOCUMENTED_GAPS)
    const differences: string[] = []
    const norm = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.length === 0
          ? {}
          : v.map(norm)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([a, b]) => [a, norm(b)]))
          : v
    // Mappings compare by key (order aside); PHP's [] is an empty mapping.
    const same = (a: unknown, b: unknown) => isDeepStrictEqual(norm(a), norm(b))
    expect(Object.keys(fromConfig.entity_types).sort()).toEqual(Object.keys(live.entity_types).sort())
    let fields = 0
    for (const [id, type] of Object.entries(live.entity_types)) {
      const mine = fromConfig.entity_types[id]!
      for (const key of Object.keys(type) as (keyof typeof type)[])
        if (key !== 'bundles' && !same(type[key], mine[key])) differences.push(`${id}.${key}`)
      expect(Object.keys(mine.bundles).sort()).toEqual(Object.keys(type.bundles).sort())
      for (const [b, bundle] of Object.entries(type.bundles)) {
        const other = mine.bundles[b]!
        if (bundle.label !== other.label || bundle.translatable !== other.translatable)
          differences.push(`${id}.${b}`)
        expect(Object.keys(other.fields).sort()).toEqual(Object.keys(bundle.fields).sort())
        for (const [f, field] of Object.entries(bundle.fields)) {
          fields++
          for (const key of Object.keys(field) as (keyof typeof field)[])
            if (!same(field[key], other.fields[f]![key])) differences.push(`${id}.${b}.${f}.${key}`)
        }
      }
    }
    expect(fields).toBe(226)
    expect(differences).toEqual([])
  })

  it('a compare between a drush snapshot and a config snapshot of the same site reports no changes', async () => {
    const k = await open()
    const ctx = { paths: k.paths, artifacts: k.artifacts } as never
    await saveSnapshot(ctx, await liveModel())
    await harvest(k, { from: 'config', source: LIVE_SYNC })
    const out = (await k.gate.invoke('drush.metadataCompare', {}, agent)).output as {
      summary: Record<string, Record<string, number>>
      deltas: unknown[]
    }
    expect(out.deltas).toEqual([])
    // What config cannot know never counts, but a real change does.
    const live = await liveModel()
    const changed = structuredClone(live)
    changed.entity_types.node!.bundles.event!.fields.field_capacity!.required = true
    expect(
      compareMetadata(live, { ...changed, source: { kind: 'config', detail: 'x' }, unknown: ['state'] })
        .deltas,
    ).toEqual([
      {
        kind: 'field',
        change: 'changed',
        id: 'node.event.field_capacity',
        properties: { required: { before: false, after: true } },
      },
    ])
  })

  it('two snapshots taken within one second get two ids, and metadata-compare compares them', async () => {
    const k = await open()
    const ctx = { paths: k.paths, artifacts: k.artifacts } as never
    const live = await liveModel()
    const first = await saveSnapshot(ctx, live)
    const second = await saveSnapshot(ctx, live)
    expect(second.entry.id).not.toBe(first.entry.id)
    const out = (await k.gate.invoke('drush.metadataCompare', {}, agent)).output as {
      from: string
      to: string
    }
    expect([out.from, out.to]).toEqual([first.entry.id, second.entry.id])
  })

  it('an entity-schema snapshot laid over a config snapshot says it comes from drush', async () => {
    const k = await open()
    await harvest(k, { from: 'config', source: LIVE_SYNC })
    const out = (await k.gate.invoke('drush.entitySchema', { entity_type: 'node' }, agent)).output as {
      snapshot: { source: { kind: string; detail: string } }
    }
    expect(out.snapshot.source.kind).toBe('drush')
    expect(out.snapshot.source.detail).toMatch(/node; other entity types from snapshot .* \(config\)/)
  })
})
