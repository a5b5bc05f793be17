import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { setConfigValue } from '../../../src/config/edit.js'
import { loadConfig, readConfigLayers } from '../../../src/config/effective.js'
import { projectPaths } from '../../../src/store/paths.js'
import { tempProject, type TempProject } from '../../helpers/project.js'

let project: TempProject
let userDir: string

beforeEach(async () => {
  project = await tempProject()
  userDir = path.join(project.dir, 'user-config')
  await mkdir(userDir, { recursive: true })
})
afterEach(() => project.cleanup())

const paths = () => projectPaths(project.home)

describe('layered config', () => {
  it('applies default → user → project → pack → env → flag, and names the layer of every key', async () => {
    await writeFile(
      path.join(userDir, 'config.yaml'),
      'audit:\n  fsync: off\n  batch_interval_ms: 50\nproject:\n  name: from-user\n',
    )
    await writeFile(
      path.join(project.home, 'config.yaml'),
      'audit:\n  fsync: always\nproject:\n  environment: staging\n' +
        // Protected keys: the layers above the project may set them only where it says so.
        'config:\n  allow_overrides: [project.environment, launcher.allowlist, audit.batch_interval_ms, approvals.*]\n',
    )
    await mkdir(path.join(project.home, 'packs/drupal'), { recursive: true })
    await writeFile(
      path.join(project.home, 'packs/drupal/config.yaml'),
      'approvals:\n  ttl_ms: 1000\nproject:\n  environment: pack-env\n',
    )
    const config = await loadConfig({
      paths: paths(),
      userConfigDir: userDir,
      env: {
        DRIFTCORE_PROJECT__ENVIRONMENT: 'prod',
        DRIFTCORE_HOME: '/ignored',
        DRIFTCORE_LAUNCHER__ALLOWLIST: '[git, php]',
      },
      flags: ['audit.batch_interval_ms=7'],
    })
    expect(config.values.audit).toMatchObject({ fsync: 'always', batch_interval_ms: 7 })
    expect(config.values.project).toEqual({ name: 'from-user', environment: 'prod' })
    expect(config.values.approvals.ttl_ms).toBe(1000)
    expect(config.values.launcher.allowlist).toEqual(['git', 'php'])
    expect(config.origins).toMatchObject({
      'audit.fsync': 'project',
      'audit.batch_interval_ms': 'flag',
      'project.name': 'user',
      'project.environment': 'env',
      'approvals.ttl_ms': 'pack:drupal',
      'launcher.allowlist': 'env',
      'audit.segment_max_bytes': 'default',
    })
  })

  it('hashes the canonical values: same values in another order, same hash', async () => {
    await writeFile(path.join(project.home, 'config.yaml'), 'project:\n  name: a\n  environment: b\n')
    const first = await loadConfig({ paths: paths(), userConfigDir: userDir, env: {} })
    await writeFile(path.join(project.home, 'config.yaml'), 'project:\n  environment: b\n  name: a\n')
    const second = await loadConfig({ paths: paths(), userConfigDir: userDir, env: {} })
    expect(second.hash).toBe(first.hash)
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/)
    const third = await loadConfig({
      paths: paths(),
      userConfigDir: userDir,
      env: {},
      flags: ['project.name=c'],
    })
    expect(third.hash).not.toBe(first.hash)
  })

  it('rejects an unknown key at its file:line:col', async () => {
    await writeFile(path.join(project.home, 'config.yaml'), 'project:\n  name: x\naudit:\n  fsink: always\n')
    await expect(loadConfig({ paths: paths(), userConfigDir: userDir, env: {} })).rejects.toThrow(
      `${path.join(project.home, 'config.yaml')}:4:3: audit.fsink: unknown config key "audit.fsink"`,
    )
  })

  it('rejects a bad value at the place it was set: file, env variable or flag', async () => {
    await writeFile(path.join(project.home, 'config.yaml'), 'audit:\n  fsync: sometimes\n')
    await expect(loadConfig({ paths: paths(), userConfigDir: userDir, env: {} })).rejects.toThrow(
      /config\.yaml:2:10: audit\.fsync: Invalid option/,
    )
    await writeFile(path.join(project.home, 'config.yaml'), '')
    await expect(
      loadConfig({
        paths: paths(),
        userConfigDir: userDir,
        env: { DRIFTCORE_WORKFLOW__CONCURRENCY: 'soon' },
      }),
    ).rejects.toThrow(/env DRIFTCORE_WORKFLOW__CONCURRENCY: workflow\.concurrency/)
    await expect(
      loadConfig({ paths: paths(), userConfigDir: userDir, env: {}, flags: ['nope.key=1'] }),
    ).rejects.toThrow(/--config nope: nope: unknown config key/)
  })

  it('validates plugin sections with their own schema and defaults', async () => {
    const sections = { demo: z.strictObject({ prefix: z.string().default('drush') }).prefault({}) }
    expect(
      (await loadConfig({ paths: paths(), userConfigDir: userDir, env: {}, sections })).values.demo,
    ).toEqual({ prefix: 'drush' })
    await writeFile(path.join(project.home, 'config.yaml'), 'demo:\n  prefx: ddev\n')
    await expect(loadConfig({ paths: paths(), userConfigDir: userDir, env: {}, sections })).rejects.toThrow(
      /demo\.prefx: unknown config key/,
    )
  })

  it('config set keeps comments, and writes nothing when the new value is invalid', async () => {
    const file = path.join(project.home, 'config.yaml')
    await writeFile(file, '# keep me\nproject:\n  name: x # and me\n')
    const layers = await readConfigLayers({ paths: paths(), userConfigDir: userDir, env: {} })
    const effective = await setConfigValue({
      layers,
      layerName: 'project',
      file,
      keyPath: ['audit', 'fsync'],
      value: 'always',
    })
    expect(effective.values.audit.fsync).toBe('always')
    const text = await readFile(file, 'utf8')
    expect(text).toContain('# keep me')
    expect(text).toContain('# and me')
    await expect(
      setConfigValue({ layers, layerName: 'project', file, keyPath: ['audit', 'fsync'], value: 'never' }),
    ).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(
      setConfigValue({ layers, layerName: 'project', file, keyPath: ['audit', 'typo'], value: 1 }),
    ).rejects.toThrow(/unknown config key "audit.typo"/)
    expect(await readFile(file, 'utf8')).toBe(text)
  })
})
