import { createHash } from 'node:crypto'
import { chmod, chown, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
// @ts-expect-error -- plain JavaScript entry helpers of bin/, no declarations
import { bundleEntries, resolveSync } from '../../bin/host-modules.js'
import { REPO, runCli, tempProject, type TempProject } from '../helpers/project.js'

const projects: TempProject[] = []
afterEach(async () => {
  for (const p of projects.splice(0)) await p.cleanup()
})

async function project(): Promise<TempProject> {
  const p = await tempProject()
  // These tests are about driftcore's own cache folder, which NODE_COMPILE_CACHE would replace.
  delete p.env.NODE_COMPILE_CACHE
  projects.push(p)
  return p
}

/** A folder laid out like a built checkout: dist/.tsbuildinfo and dist/bundle/map.json. */
async function builtRoot(p: TempProject, entries: Record<string, string>): Promise<URL> {
  const root = path.join(p.dir, 'checkout')
  await mkdir(path.join(root, 'dist/bundle'), { recursive: true })
  await writeFile(path.join(root, 'dist/.tsbuildinfo'), '{"version":"1"}')
  const seen = createHash('sha256').update('{"version":"1"}').digest('hex')
  await writeFile(
    path.join(root, 'dist/bundle/map.json'),
    JSON.stringify({ fingerprint: { 'dist/.tsbuildinfo': seen }, entries }),
  )
  return pathToFileURL(`${root}/`)
}

// Records every module URL the CLI loads, through a load hook the child installs first.
async function loadedModules(p: TempProject, args: string[], env: NodeJS.ProcessEnv = {}) {
  const recorder = path.join(p.dir, 'recorder.mjs')
  const out = path.join(p.dir, 'loaded.json')
  await writeFile(
    recorder,
    [
      "import module from 'node:module'",
      "import { writeFileSync } from 'node:fs'",
      'const seen = []',
      'module.registerHooks({ load(url, context, next) { seen.push(url); return next(url, context) } })',
      `process.on('exit', () => writeFileSync(${JSON.stringify(out)}, JSON.stringify(seen)))`,
    ].join('\n'),
  )
  const result = await runCli(p, args, { env: { ...env, NODE_OPTIONS: `--import ${recorder}` } })
  expect(result.exitCode, result.stderr).toBe(0)
  return JSON.parse(await readFile(out, 'utf8')) as string[]
}

describe('the start-up bundle never stands in for code it was not built from', () => {
  it('a gated tools call runs the gate and zod from the bundle, one copy each', async () => {
    const p = await project()
    expect((await runCli(p, ['init'])).exitCode).toBe(0)
    const loaded = await loadedModules(p, ['tools', 'call', 'config.effective'])
    const dist = pathToFileURL(path.join(REPO, 'dist')).href
    expect(
      loaded.some((u) => u.startsWith(`${dist}/bundle/`)),
      'run npm run build: no bundle was used',
    ).toBe(true)
    // Neither the compiled gate nor node_modules' zod beside the bundle: a second copy of either
    // would be a second registry, a second handler table, a second schema world.
    expect(loaded.filter((u) => u.startsWith(`${dist}/gate/`))).toEqual([])
    expect(loaded.filter((u) => u.includes('/node_modules/zod/'))).toEqual([])
  })

  it('DRIFTCORE_BUNDLE=0 runs the compiled files themselves', async () => {
    const p = await project()
    expect((await runCli(p, ['init'])).exitCode).toBe(0)
    const loaded = await loadedModules(p, ['tools', 'call', 'config.effective'], { DRIFTCORE_BUNDLE: '0' })
    const dist = pathToFileURL(path.join(REPO, 'dist')).href
    expect(loaded.filter((u) => u.startsWith(`${dist}/bundle/`))).toEqual([])
    expect(loaded).toContain(`${dist}/gate/invoke.js`)
  })

  it('a bundle built before the last tsc -b is not used', async () => {
    const p = await project()
    const root = await builtRoot(p, { 'dist/gate/invoke.js': 'chunk-A.js' })
    expect(bundleEntries(root, {})?.get(new URL('dist/gate/invoke.js', root).href)).toBe(
      new URL('dist/bundle/chunk-A.js', root).href,
    )
    // tsc -b rewrote its build info: the compiled files changed since the bundle was built.
    await writeFile(new URL('dist/.tsbuildinfo', root), '{"version":"2"}')
    expect(bundleEntries(root, {})).toBeUndefined()
  })

  it('a map edited to point an entry outside dist/bundle makes the whole map unused', async () => {
    const p = await project()
    for (const entry of ['../../evil.js', '/tmp/evil.js', 'sub/evil.js', 'evil.mjs']) {
      const root = await builtRoot(p, { 'dist/index.js': 'chunk-A.js', 'dist/gate/invoke.js': entry })
      expect(bundleEntries(root, {}), entry).toBeUndefined()
    }
  })

  it('answers a chunk’s import of a sibling chunk itself, and nothing else', () => {
    const bundle = pathToFileURL(path.join(REPO, 'dist/bundle')).href
    const asked: string[] = []
    const next = (specifier: string) => {
      asked.push(specifier)
      return { url: `file:///resolved-by-node/${specifier}` }
    }
    const context = (parentURL: string) => ({
      parentURL,
      conditions: ['node', 'import'],
      importAttributes: {},
    })
    expect(resolveSync('./chunk-A1.js', context(`${bundle}/chunk-B2.js`), next)).toEqual({
      url: `${bundle}/chunk-A1.js`,
      format: 'module',
      shortCircuit: true,
    })
    expect(asked).toEqual([])
    // Anything that is not a plain sibling file, or not imported from the bundle's own folder,
    // goes through Node's resolution (and the rest of the hook) as before.
    const cases: [string, string][] = [
      ['../chunk-A1.js', `${bundle}/chunk-B2.js`],
      ['./sub/chunk-A1.js', `${bundle}/chunk-B2.js`],
      ['./chunk-A1.mjs', `${bundle}/chunk-B2.js`],
      ['chunk-A1.js', `${bundle}/chunk-B2.js`],
      ['./chunk-A1.js', `${bundle}/sub/chunk-B2.js`],
      ['./chunk-A1.js', pathToFileURL(path.join(REPO, 'plugins/drush/dist/hooks/capabilities.js')).href],
      ['./chunk-A1.js', `${bundle}-evil/chunk-B2.js`],
    ]
    for (const [specifier, parent] of cases) {
      const result = resolveSync(specifier, context(parent), next) as { url: string }
      expect(result.url, `${specifier} from ${parent}`).toBe(`file:///resolved-by-node/${specifier}`)
    }
    expect(asked).toEqual(cases.map(([specifier]) => specifier))
  })

  it('a missing or unreadable map, or DRIFTCORE_BUNDLE=0, means no bundle', async () => {
    const p = await project()
    const root = await builtRoot(p, { 'dist/index.js': 'chunk-A.js' })
    expect(bundleEntries(root, { DRIFTCORE_BUNDLE: '0' })).toBeUndefined()
    await writeFile(new URL('dist/bundle/map.json', root), '{ not json')
    expect(bundleEntries(root, {})).toBeUndefined()
    expect(bundleEntries(pathToFileURL(`${p.dir}/nothing-here/`), {})).toBeUndefined()
  })
})

describe('the compile cache is code the CLI runs, so only the user’s own folder holds it', () => {
  const cacheOf = (p: TempProject) => path.join(p.env.XDG_CACHE_HOME!, 'driftcore', 'compile-cache')

  async function files(dir: string): Promise<string[]> {
    return (await readdir(dir, { recursive: true }).catch(() => [])).filter((f) => !f.endsWith('/'))
  }

  it('is written to a 0700 folder of the user on first use', async () => {
    const p = await project()
    expect((await runCli(p, ['tools', 'list', '--json'])).exitCode).toBe(0)
    expect((await files(cacheOf(p))).length).toBeGreaterThan(0)
    const { stat } = await import('node:fs/promises')
    expect((await stat(cacheOf(p))).mode & 0o077).toBe(0)
  })

  it('a cache folder others can write to is not used', async () => {
    const p = await project()
    await mkdir(cacheOf(p), { recursive: true })
    await chmod(cacheOf(p), 0o777)
    const result = await runCli(p, ['tools', 'list', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(await files(cacheOf(p))).toEqual([])
  })

  it('a cache folder that is a link to a shared folder is not used', async () => {
    const p = await project()
    const shared = path.join(p.dir, 'shared-tmp')
    await mkdir(shared, { mode: 0o700 })
    await mkdir(path.dirname(cacheOf(p)), { recursive: true })
    await symlink(shared, cacheOf(p))
    const result = await runCli(p, ['tools', 'list', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(await files(shared)).toEqual([])
  })

  it.runIf(process.getuid?.() === 0)('a cache folder another user owns is not used', async () => {
    const p = await project()
    await mkdir(cacheOf(p), { recursive: true, mode: 0o700 })
    await chown(cacheOf(p), 65_534, 65_534)
    const result = await runCli(p, ['tools', 'list', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(await files(cacheOf(p))).toEqual([])
  })
})
