import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO } from '../../helpers/project.js'

const PLUGINS = ['drush', 'gitea', 'mcp', 'scaffold', 'tekton']

/**
 * One compiler builds the host and every plugin. A plugin whose build ran another TypeScript
 * (gitea's openapi-typescript brings its own, whose `tsc` shadows the workspace's in that
 * plugin's scripts) leaves build info the next `tsc -b` (typecheck) calls out of date, rebuilds,
 * and so rewrites: the start-up bundle then no longer matches the build and every command starts
 * unbundled.
 */
describe('the build', () => {
  it("compiles the host and every plugin with the workspace's TypeScript", async () => {
    const { version } = JSON.parse(
      await readFile(path.join(REPO, 'node_modules/typescript/package.json'), 'utf8'),
    ) as { version: string }
    const built: Record<string, string> = {}
    for (const dir of ['.', ...PLUGINS.map((p) => `plugins/${p}`)]) {
      const info = JSON.parse(await readFile(path.join(REPO, dir, 'dist/.tsbuildinfo'), 'utf8')) as {
        version: string
      }
      built[dir] = info.version
    }
    expect(built).toEqual(Object.fromEntries(Object.keys(built).map((dir) => [dir, version])))
  })
})
