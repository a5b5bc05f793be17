#!/usr/bin/env node
// Builds dist/bundle/: driftcore's start-up path as a few esbuild chunks instead of ~500 module
// files, which `npm run build` runs after tsc. Nothing points at the bundle: bin/run.js keeps
// loading oclif, which keeps finding commands and hooks by file path through package.json and
// the manifests; the resolve hook (bin/host-modules.js) answers an import of a file that the
// bundle holds with the bundle's entry for it. So plugin discovery, `plugins install`, linked
// plugins and manifests work exactly as unbundled, and a bundle that is missing or older than
// the compiled files (a `tsc -b` since) is not used at all.
//
// Entries: every command and hook of the host and its workspace plugins, dist/index.js (what
// `import 'driftcore'` resolves to), and the lent packages (zod, @oclif/core). One esbuild run
// with code splitting, so each module exists once, in one chunk, however many entries share it:
// a plugin importing `driftcore` or `zod` gets the very modules the host runs.
import { mkdir, readFile, readdir, rm, stat, writeFile, rename } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const OUT = path.join(REPO, 'dist/bundle')
const require = createRequire(import.meta.url)

async function jsFiles(dir) {
  const files = await readdir(dir, { recursive: true }).catch(() => [])
  return files
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map((f) => path.join(dir, f))
}

/** The host and the workspace plugins it ships (package.json oclif.plugins under plugins/). */
async function packages() {
  const host = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8'))
  const result = [{ dir: REPO, pjson: host }]
  for (const name of host.oclif.plugins ?? []) {
    if (!name.startsWith('@driftcore/plugin-')) continue
    const dir = path.join(REPO, 'plugins', name.slice('@driftcore/plugin-'.length))
    result.push({ dir, pjson: JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) })
  }
  return result
}

async function entryPoints() {
  const entries = new Set()
  for (const { dir, pjson } of await packages()) {
    const main = pjson.main && path.join(dir, pjson.main)
    if (main && (await stat(main).catch(() => undefined))) entries.add(main)
    // `driftcore/api` (and any other subpath the package exports): a plugin importing it gets
    // the bundle's modules, as one importing `driftcore` does.
    for (const target of Object.values(pjson.exports ?? {}))
      if (typeof target?.import === 'string') entries.add(path.join(dir, target.import))
    for (const file of await jsFiles(path.join(dir, pjson.oclif.commands))) entries.add(file)
    for (const hook of Object.values(pjson.oclif.hooks ?? {}))
      for (const file of [hook].flat())
        entries.add(path.join(dir, typeof file === 'string' ? file : file.target))
  }
  entries.add(path.join(REPO, 'dist/cli/plugin-hooks.js'))
  entries.add(path.join(REPO, 'dist/cli/direct-call.js'))
  return [...entries]
}

// A lent CommonJS package gets an ESM wrapper entry with its names spelled out, so an ES module
// importing `{ Command }` from it finds a static export, as it does from the package itself.
const LENT_CJS = ['@oclif/core']
const LENT_ESM = ['zod', 'zod/v4', 'zod/v4/core', 'zod/mini']

function wrapperSource(name) {
  const names = Object.keys(require(name)).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n))
  return `import * as m from ${JSON.stringify(name)}\nexport const { ${names.join(', ')} } = m\nexport default m\n`
}

function isCommonJs(file, pkgType) {
  return file.endsWith('.cjs') || (!file.endsWith('.mjs') && pkgType !== 'module')
}

const typeCache = new Map()
async function packageType(file) {
  let dir = path.dirname(file)
  while (dir !== path.dirname(dir)) {
    if (typeCache.has(dir)) return typeCache.get(dir)
    const text = await readFile(path.join(dir, 'package.json'), 'utf8').catch(() => undefined)
    if (text !== undefined) {
      const type = JSON.parse(text).type ?? 'commonjs'
      typeCache.set(dir, type)
      return type
    }
    dir = path.dirname(dir)
  }
  return 'commonjs'
}

/**
 * Each module keeps finding files beside its own source (packs/, templates/, a plugin's data/,
 * a package's package.json): `import.meta.url`, `import.meta.dirname`, `__dirname` and
 * `__filename` become the module's original location, computed from the chunk's own URL (every
 * output file sits in dist/bundle/ itself, so one relative path fits whichever chunk holds it).
 */
function locations() {
  return {
    name: 'driftcore-locations',
    setup(b) {
      b.onResolve({ filter: /^driftcore$/ }, () => ({ path: path.join(REPO, 'dist/index.js') }))
      b.onResolve({ filter: /^driftcore\/api$/ }, () => ({ path: path.join(REPO, 'dist/api.js') }))
      b.onResolve({ filter: /^driftcore-lent:/ }, (args) => ({
        path: args.path.slice('driftcore-lent:'.length),
        namespace: 'driftcore-lent',
      }))
      b.onLoad({ filter: /.*/, namespace: 'driftcore-lent' }, (args) => ({
        contents: wrapperSource(args.path),
        resolveDir: REPO,
        loader: 'js',
      }))
      b.onLoad({ filter: /\.(c|m)?js$/ }, async (args) => {
        let contents = await readFile(args.path, 'utf8')
        // js-yaml parses a config file ~10× faster than the position-keeping parser on a cold
        // start; it is loaded on first use, from the bundle rather than from node_modules.
        // The position-keeping `yaml` likewise (`store/yaml-lib.ts`): needed only for errors.
        contents = contents
          .replace("createRequire(import.meta.url)('js-yaml')", "require('js-yaml')")
          .replace("createRequire(import.meta.url)('yaml')", "require('yaml')")
        const from = JSON.stringify(path.relative(OUT, args.path).split(path.sep).join('/'))
        const dir = JSON.stringify(
          path.relative(OUT, path.dirname(args.path)).split(path.sep).join('/') + '/',
        )
        if (contents.includes('import.meta'))
          contents = contents
            .replace(/import\.meta\.url/g, `new URL(${from}, __driftcoreUrl).href`)
            .replace(/import\.meta\.dirname/g, `__driftcorePath(new URL(${dir}, __driftcoreUrl))`)
            .replace(/import\.meta\.filename/g, `__driftcorePath(new URL(${from}, __driftcoreUrl))`)
        if (/__dirname|__filename/.test(contents) && isCommonJs(args.path, await packageType(args.path)))
          contents =
            `var __filename = __driftcorePath(new URL(${from}, __driftcoreUrl)), __dirname = __driftcorePath(new URL(${dir}, __driftcoreUrl));\n` +
            contents
        return { contents, loader: 'js' }
      })
    },
  }
}

const PLUGIN_LOADER = path.join('node_modules', '@oclif', 'core', 'lib', 'config', 'plugin-loader.js')

/**
 * oclif matches every dependency of the host against every `oclif.plugins` entry with
 * minimatch, which builds a pattern object per pair: 29 × 8 of them took ~5% of a start. Here
 * a pattern without a glob character is compared as the string it is (what minimatch answers
 * for it); any other pattern still goes to minimatch.
 */
function literalPatterns() {
  return {
    name: 'driftcore-literal-patterns',
    setup(b) {
      b.onResolve({ filter: /^minimatch$/ }, (args) =>
        args.importer.endsWith(PLUGIN_LOADER)
          ? { path: 'minimatch', namespace: 'driftcore-literal' }
          : undefined,
      )
      b.onLoad({ filter: /.*/, namespace: 'driftcore-literal' }, () => ({
        contents: [
          "import { minimatch as glob } from 'minimatch'",
          'const MAGIC = /[*?[\\]{}()!#\\\\]/',
          'export function minimatch(name, pattern, options) {',
          '  return options === undefined && !MAGIC.test(pattern) ? name === pattern : glob(name, pattern, options)',
          '}',
        ].join('\n'),
        resolveDir: path.join(REPO, path.dirname(PLUGIN_LOADER)),
        loader: 'js',
      }))
    },
  }
}

/**
 * What a bundle is built from: the tsbuildinfo files tsc rewrites whenever it writes anything,
 * by content (an installed package keeps neither the mtimes nor a build to compare with).
 */
async function fingerprint() {
  const result = {}
  for (const { dir } of await packages()) {
    const file = path.join(dir, 'dist/.tsbuildinfo')
    result[path.relative(REPO, file)] = createHash('sha256')
      .update(await readFile(file))
      .digest('hex')
  }
  return result
}

async function main() {
  const temp = `${OUT}.tmp-${process.pid}`
  await rm(temp, { recursive: true, force: true })
  const entries = await entryPoints()
  const lent = [...LENT_CJS, ...LENT_ESM]
  const entryPointsList = [
    ...entries.map((file) => ({
      in: file,
      out: path.relative(REPO, file).replace(/\.js$/, '').replaceAll(path.sep, '_'),
    })),
    ...lent.map((name) => ({ in: `driftcore-lent:${name}`, out: `lent_${name.replace(/[^\w]/g, '_')}` })),
  ]
  const result = await build({
    absWorkingDir: REPO,
    entryPoints: entryPointsList,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outdir: temp,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    // ASCII output (esbuild escapes the rest): V8 keeps one byte per character of source.
    minifySyntax: true,
    minifyWhitespace: true,
    // Loaded on demand from node_modules by oclif (typescript, ts-node) or never on the hot path.
    external: ['typescript', 'ts-node', 'react-devtools-core'],
    banner: {
      js: [
        "import { createRequire as __driftcoreRequire } from 'node:module';",
        "import { fileURLToPath as __driftcorePath } from 'node:url';",
        'const __driftcoreUrl = import.meta.url;',
        'const require = __driftcoreRequire(import.meta.url);',
      ].join(' '),
    },
    plugins: [literalPatterns(), locations()],
  })
  const map = {}
  const asked = new Set(entryPointsList.map((e) => e.in))
  for (const [output, info] of Object.entries(result.metafile.outputs)) {
    if (!info.entryPoint) continue
    const entry = info.entryPoint.startsWith('driftcore-lent:')
      ? info.entryPoint
      : path.join(REPO, info.entryPoint)
    if (!asked.has(entry)) continue
    const name = path.relative(temp, path.join(REPO, output))
    const source = info.entryPoint.startsWith('driftcore-lent:')
      ? lentPath(info.entryPoint.slice('driftcore-lent:'.length))
      : path.join(REPO, info.entryPoint)
    map[pathToFileURL(source).href.slice(pathToFileURL(REPO).href.length + 1)] = name
  }
  // Node looks for the package.json that scopes each module it loads, walking up from its
  // folder, and does not remember a folder that has none: one here ends every walk at once.
  await writeFile(path.join(temp, 'package.json'), '{ "type": "module", "private": true }\n')
  await writeFile(
    path.join(temp, 'map.json'),
    `${JSON.stringify({ fingerprint: await fingerprint(), entries: map }, null, 1)}\n`,
  )
  await rm(OUT, { recursive: true, force: true })
  await rename(temp, OUT)
  if (process.env.BUNDLE_META) await writeFile(process.env.BUNDLE_META, JSON.stringify(result.metafile))
}

// The file a lent specifier resolves to from the host, for import (the key the hook sees).
function lentPath(name) {
  return fileURLToPath(import.meta.resolve(name, pathToFileURL(path.join(REPO, 'package.json')).href))
}

await mkdir(path.dirname(OUT), { recursive: true })
await main()
