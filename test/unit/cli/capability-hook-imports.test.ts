import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { REPO } from '../../helpers/project.js'

/**
 * Every driftcore command loads every plugin's capabilities hook (tools list, tools call,
 * mcp serve), so what a hook imports is paid on each start. A client library for a remote
 * system belongs to the tool's first call: this lists the packages each hook's module graph
 * reaches, from dist/ (run `npm run build` first), as Node resolves them.
 */
const HOOKS = {
  core: 'dist/registry/core-capabilities.js',
  drush: 'plugins/drush/dist/hooks/capabilities.js',
  gitea: 'plugins/gitea/dist/hooks/capabilities.js',
  mcp: 'plugins/mcp/dist/hooks/capabilities.js',
  scaffold: 'plugins/scaffold/dist/hooks/capabilities.js',
  tekton: 'plugins/tekton/dist/hooks/capabilities.js',
}

// Clients of remote systems, each loaded only by the tools that talk to one.
const ON_FIRST_CALL = [
  '@kubernetes/client-node',
  '@modelcontextprotocol/sdk',
  'openapi-fetch',
  'undici',
  'ws',
]

// Neither is needed to build a plugin's capabilities: oclif (a tools call runs without it, see
// src/cli/direct-call.ts), and the position-keeping YAML parser (js-yaml reads; \`yamlLib\` loads it
// on first use).
const NOT_FOR_CAPABILITIES = ['@oclif/core', 'yaml']

function packagesLoadedBy(file: string): string[] {
  const script = `
    import module from 'node:module'
    const seen = new Set()
    module.registerHooks({ resolve(specifier, context, next) {
      const result = next(specifier, context)
      const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(result.url)
      if (m) seen.add(m[1])
      return result
    } })
    await import(${JSON.stringify(path.join(REPO, file))})
    process.stdout.write(JSON.stringify([...seen].sort()))
  `
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`importing ${file} failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as string[]
}

describe('what a capabilities hook loads on every start', () => {
  for (const [plugin, file] of Object.entries(HOOKS)) {
    it(`${plugin}'s hook loads no remote-system client (they load on a tool's first call)`, () => {
      const loaded = packagesLoadedBy(file)
      expect(loaded).toContain('zod')
      expect(loaded.filter((p) => ON_FIRST_CALL.includes(p))).toEqual([])
    })

    it(`${plugin}'s hook loads neither oclif nor the position-keeping YAML parser`, () => {
      expect(packagesLoadedBy(file).filter((p) => NOT_FOR_CAPABILITIES.includes(p))).toEqual([])
    })
  }
})

// `tools call` builds only the schemas of the tool it calls (`schemas: 'on-use'`), which pays
// only for schemas given as functions: a tool whose schema is built at import costs every call
// of every other tool.
describe("the shipped tools' schemas", () => {
  for (const [plugin, file] of Object.entries(HOOKS)) {
    it(`${plugin}'s tools give their input and output schemas as functions, built on first use`, async () => {
      const hook = (await import(pathToFileURL(path.join(REPO, file)).href)) as {
        default: () => Promise<{ tools?: { id: string; input: unknown; output: unknown }[] }>
      }
      const eager = ((await hook.default()).tools ?? [])
        .flatMap((t) => (['input', 'output'] as const).map((part) => [t.id, part, typeof t[part]]))
        .filter(([, , type]) => type !== 'function')
      expect(eager).toEqual([])
    })
  }
})
