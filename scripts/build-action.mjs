#!/usr/bin/env node
// Builds the GitHub Action's committed bundle, dist/action/ (see action.yml):
//   index.js  the action: reads the inputs, runs one command, reports outputs/summary/annotations
//   cli.js    driftcore itself — the host's commands and the core plugins' commands and
//             capabilities hooks — so a runner needs neither `npm ci` nor a build
// `--check` rebuilds into a temporary folder and fails when a byte differs from what is
// committed: CI runs it (.ci/run), so the bundle can never drift from the source.
//
// esbuild rather than @vercel/ncc: driftcore is ESM (ncc's webpack core targets CommonJS and
// rewrites ESM poorly), esbuild emits ESM for a node22 target, its plugin API lets the build
// keep source-relative file lookups working (below), it is one dependency with no transitive
// ones, and it builds the whole CLI in about a second, which keeps the CI check cheap.
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const OUT = 'dist/action'
const CLI_ENTRY = 'src/github-action/cli.ts'
const PLUGINS_MODULE = 'driftcore-action:plugins'
// Plugins the action leaves out: installing plugins with npm has no place in a one-step job,
// oclif's built-in help answers --help without plugin-help, a job has no shell to complete in,
// no person to ask "did you mean", and its own version in the action's ref.
const LEFT_OUT = new Set([
  '@oclif/plugin-help',
  '@oclif/plugin-plugins',
  '@oclif/plugin-not-found',
  '@oclif/plugin-autocomplete',
  '@oclif/plugin-version',
  // A job step talks to the project, not a cluster; the Kubernetes client is weight it never uses.
  '@driftcore/plugin-tekton',
  // Opening pull requests from a CI job is left to the forge's own actions; the plugin's git
  // askpass helper is a file the bundle would not carry.
  '@driftcore/plugin-gitea',
])
// Commands the action leaves out, for weight every job would carry: the review screen needs a
// person at a terminal (Ink, React), and generating an SDK is a developer's task that brings the
// TypeScript compiler and Prettier (11 MB). In the action they are unknown commands, reported so.
const LEFT_OUT_COMMANDS = new Set(['approvals:review', 'sdk:generate'])

/** Command files → oclif ids, as oclif's "pattern" discovery names them (`workflow/run.ts` → `workflow:run`). */
async function commandFiles(dir) {
  const files = (await readdir(path.join(REPO, dir), { recursive: true }))
    .filter((f) => /\.tsx?$/.test(f) && !/\.d\.ts$|\.test\.tsx?$/.test(f))
    .sort()
  return files
    .map((f) => ({
      id: f
        .replace(/\.tsx?$/, '')
        .split(path.sep)
        .filter((part, i, all) => !(part === 'index' && i === all.length - 1))
        .join(':'),
      file: path.join(dir, f),
    }))
    .filter((c) => !LEFT_OUT_COMMANDS.has(c.id))
}

/** The host and each core plugin: package.json facts oclif reads, their commands and hooks. */
async function pluginsOf() {
  const host = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8'))
  const plugins = [{ pjson: host, dir: '.', root: true }]
  for (const name of host.oclif.plugins ?? []) {
    if (LEFT_OUT.has(name)) continue
    const dir = path.join('plugins', name.replace(/^@driftcore\/plugin-/, ''))
    const pjson = JSON.parse(await readFile(path.join(REPO, dir, 'package.json'), 'utf8'))
    if (pjson.name !== name)
      throw new Error(`${name} is not a workspace plugin under plugins/ (found ${dir})`)
    plugins.push({ pjson, dir, root: false })
  }
  return Promise.all(
    plugins.map(async ({ pjson, dir, root }, index) => {
      const hook = pjson.oclif.hooks?.['driftcore:capabilities']
      if (typeof hook !== 'string')
        throw new Error(`${pjson.name}: expected one driftcore:capabilities hook file`)
      const hookSource = path.join(dir, hook.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'))
      const commandsDir = path.join(dir, pjson.oclif.commands.replace(/^\.\/dist\//, 'src/'))
      return {
        index,
        root,
        // Only what oclif and the registry read: name, version, module type, topics, claims.
        pjson: {
          name: pjson.name,
          version: pjson.version,
          type: 'module',
          ...(pjson.driftcore ? { driftcore: pjson.driftcore } : {}),
          oclif: {
            ...(root ? { bin: pjson.oclif.bin, dirname: pjson.oclif.dirname } : {}),
            topicSeparator: pjson.oclif.topicSeparator,
            topics: pjson.oclif.topics ?? {},
            commands: { strategy: 'explicit', target: './cli.js', identifier: `commands${index}` },
            hooks: { 'driftcore:capabilities': { target: './cli.js', identifier: `capabilities${index}` } },
          },
        },
        commands: await commandFiles(commandsDir),
        hookSource,
      }
    }),
  )
}

/** The generated module cli.ts imports: every plugin's pjson, command classes and hook. */
function pluginsModule(plugins) {
  const lines = []
  const toImport = (file) => JSON.stringify(`./${file.split(path.sep).join('/')}`)
  for (const p of plugins) {
    p.commands.forEach((c, i) => lines.push(`import c${p.index}_${i} from ${toImport(c.file)}`))
    lines.push(`import h${p.index} from ${toImport(p.hookSource)}`)
  }
  for (const p of plugins) {
    const entries = p.commands.map((c, i) => `${JSON.stringify(c.id)}: c${p.index}_${i}`)
    lines.push(`export const commands${p.index} = {${entries.join(', ')}}`)
    lines.push(`export const capabilities${p.index} = h${p.index}`)
  }
  lines.push(
    `export const PLUGINS = ${JSON.stringify(plugins.map((p) => ({ root: p.root, pjson: p.pjson })))}`,
  )
  return `${lines.join('\n')}\n`
}

/**
 * Source files find files beside them (packs/, templates/, the drush plugin's data/ and php/)
 * and lazily load libraries through `createRequire(import.meta.url)`. In one bundle both would
 * point at dist/action/. Each file's import.meta.url becomes its own source location in the
 * checked-out repository (a runner downloads the whole repository at the action's ref), and
 * lazy requires become bundled ones. The CLI entry keeps the bundle's own URL: oclif loads the
 * commands from it.
 */
function sourceLocations(outdir) {
  return {
    name: 'driftcore-source-locations',
    setup(b) {
      b.onResolve({ filter: /^driftcore$/ }, () => ({ path: path.join(REPO, 'src/index.ts') }))
      b.onResolve({ filter: /^driftcore\/api$/ }, () => ({ path: path.join(REPO, 'src/api.ts') }))
      b.onResolve({ filter: new RegExp(`^${PLUGINS_MODULE}$`) }, () => ({
        path: PLUGINS_MODULE,
        namespace: 'driftcore-action',
      }))
      b.onLoad({ filter: /.*/, namespace: 'driftcore-action' }, async () => ({
        contents: pluginsModule(await pluginsOf()),
        resolveDir: REPO,
        loader: 'ts',
      }))
      b.onLoad({ filter: /\.tsx?$/ }, async (args) => {
        const relative = path.relative(REPO, args.path)
        if (relative.startsWith('..') || relative.split(path.sep).includes('node_modules')) return undefined
        let contents = await readFile(args.path, 'utf8')
        if (relative !== CLI_ENTRY) {
          const fromBundle = path.relative(outdir, args.path).split(path.sep).join('/')
          const hostPackage = path.relative(outdir, path.join(REPO, 'package.json')).split(path.sep).join('/')
          contents = contents
            .replace(
              /createRequire\(import\.meta\.url\)\.resolve\('driftcore\/package\.json'\)/g,
              `__driftcorePath(new URL(${JSON.stringify(hostPackage)}, __DRIFTCORE_BUNDLE_URL__))`,
            )
            .replace(/createRequire\(import\.meta\.url\)\(/g, 'require(')
            .replace(
              /import\.meta\.url/g,
              `new URL(${JSON.stringify(fromBundle)}, __DRIFTCORE_BUNDLE_URL__).href`,
            )
            .replace(/__DRIFTCORE_BUNDLE_URL__/g, 'import.meta.url')
        }
        return { contents, loader: args.path.endsWith('x') ? 'tsx' : 'ts' }
      })
    },
  }
}

async function bundle(outdir) {
  const common = {
    absWorkingDir: REPO,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outdir,
    logLevel: 'warning',
    legalComments: 'none',
    // oclif reads a plugin's tsconfig.json with TypeScript when it has one, inside a try; the
    // bundle's plugins have none, so the compiler (6 MB) is never loaded.
    external: ['typescript'],
    charset: 'utf8',
    minifySyntax: true,
    minifyWhitespace: true,
    // CommonJS dependencies (oclif) call require() and read __dirname; ESM has neither.
    banner: {
      js: [
        "import { createRequire as __driftcoreRequire } from 'node:module';",
        "import { fileURLToPath as __driftcorePath } from 'node:url';",
        'const require = __driftcoreRequire(import.meta.url);',
        'const __filename = __driftcorePath(import.meta.url);',
        "const __dirname = __driftcorePath(new URL('.', import.meta.url));",
      ].join(' '),
    },
    plugins: [sourceLocations(path.join(REPO, OUT))],
  }
  const result = await build({
    ...common,
    metafile: Boolean(process.env.ACTION_META),
    entryPoints: { index: 'src/github-action/index.ts', cli: CLI_ENTRY },
  })
  if (process.env.ACTION_META)
    (await import('node:fs')).writeFileSync(process.env.ACTION_META, JSON.stringify(result.metafile))
}

async function check() {
  const temp = await mkdtemp(path.join(tmpdir(), 'driftcore-action-'))
  try {
    await bundle(temp)
    const stale = []
    for (const name of (await readdir(temp)).sort()) {
      const built = await readFile(path.join(temp, name))
      const committed = await readFile(path.join(REPO, OUT, name)).catch(() => undefined)
      if (!committed) stale.push(`${OUT}/${name} (not committed)`)
      else if (!built.equals(committed))
        stale.push(`${OUT}/${name} (${firstDifference(built, committed, 'built', 'committed')})`)
    }
    for (const name of await readdir(path.join(REPO, OUT)).catch(() => []))
      if (!(await readFile(path.join(temp, name)).catch(() => undefined)))
        stale.push(`${OUT}/${name} (not built)`)
    if (stale.length > 0) {
      // A second build tells a source change from a build that differs from run to run.
      const again = await mkdtemp(path.join(tmpdir(), 'driftcore-action-'))
      try {
        await bundle(again)
        for (const name of (await readdir(temp)).sort()) {
          const [first, second] = await Promise.all([
            readFile(path.join(temp, name)),
            readFile(path.join(again, name)),
          ])
          if (!first.equals(second))
            console.error(
              `${OUT}/${name} differs between two builds: ${firstDifference(first, second, 'first', 'second')}`,
            )
        }
      } finally {
        await rm(again, { recursive: true, force: true })
      }
      console.error(
        `The committed action bundle does not match the source: ${stale.join(', ')}\n` +
          '  rebuild it with `npm run build:action` and commit dist/action/',
      )
      process.exitCode = 1
    } else console.error(`${OUT}/ matches the source`)
  } finally {
    await rm(temp, { recursive: true, force: true })
  }
}

// Where two builds part, with the text around it, so a mismatch in CI says what differs.
function firstDifference(a, b, nameA, nameB) {
  let at = 0
  while (at < a.length && at < b.length && a[at] === b[at]) at++
  const around = (buffer) => JSON.stringify(buffer.subarray(Math.max(0, at - 60), at + 60).toString('utf8'))
  return `${a.length} bytes ${nameA}, ${b.length} ${nameB}; first difference at byte ${at}: ${nameA} ${around(a)}, ${nameB} ${around(b)}`
}

if (process.argv.includes('--check')) await check()
else {
  await rm(path.join(REPO, OUT), { recursive: true, force: true })
  await mkdir(path.join(REPO, OUT), { recursive: true })
  await bundle(path.join(REPO, OUT))
}
