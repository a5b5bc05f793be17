import { readFileSync } from 'node:fs'
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { Document, isMap, parseDocument } from 'yaml'
import { openKernel, type Kernel } from '../../src/kernel/open.js'
import { coreCapabilities } from '../../src/registry/core-capabilities.js'
import type { Contribution } from '../../src/registry/registry.js'
import type { Capabilities } from '../../src/registry/types.js'

export const REPO = path.resolve(import.meta.dirname, '../..')
export const CLI = path.join(REPO, 'bin/run.js')
export const FIXTURES = path.join(REPO, 'test/fixtures')
/**
 * Real public data shared by the team (Drupal config exports, the Gitea spec…), kept beside the
 * repository rather than in it; DRIFTCORE_SHARED_FIXTURES points elsewhere.
 */
export const SHARED_FIXTURES =
  process.env.DRIFTCORE_SHARED_FIXTURES ?? path.resolve(REPO, '../shared/fixtures')

export interface TempProject {
  dir: string
  home: string
  /** An environment isolated from the developer's own config, data and actor. */
  env: NodeJS.ProcessEnv
  cleanup(): Promise<void>
}

/** A throwaway project folder with its own HOME and XDG dirs; `.driftcore/` is created on demand. */

/**
 * V8's compile cache for every CLI the tests start: one folder outside every project, fixed when
 * this module loads (before a test points TMPDIR at a small disk), so each project's user home
 * does not fill with megabytes of bytecode, a child still writing it cannot race a project's
 * removal, and the tests share one warm cache. test/security/startup-bundle.test.ts unsets it to
 * test driftcore's own cache folder.
 */
const TEST_COMPILE_CACHE = path.join(
  os.tmpdir(),
  `driftcore-test-compile-cache-${process.getuid?.() ?? 'user'}`,
)
export async function tempProject(
  options: { config?: string; policy?: Record<string, string> } = {},
): Promise<TempProject> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-test-'))
  const home = path.join(dir, '.driftcore')
  await mkdir(home, { recursive: true })
  if (options.config !== undefined) await writeFile(path.join(home, 'config.yaml'), options.config)
  for (const [name, text] of Object.entries(options.policy ?? {})) {
    await mkdir(path.join(home, 'policy'), { recursive: true })
    await writeFile(path.join(home, 'policy', name), text)
  }
  // Network trust (a proxy's CA) passes through; the developer's own config and data do not.
  const trust = Object.fromEntries(
    Object.entries(process.env).filter(([k]) =>
      /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|(HTTPS?|NO)_PROXY|(https?|no)_proxy)$/.test(k),
    ),
  )
  const env: NodeJS.ProcessEnv = {
    ...trust,
    PATH: process.env.PATH,
    NODE_COMPILE_CACHE: TEST_COMPILE_CACHE,
    HOME: path.join(dir, 'user-home'),
    XDG_CONFIG_HOME: path.join(dir, 'user-home/.config'),
    XDG_DATA_HOME: path.join(dir, 'user-home/.local/share'),
    XDG_CACHE_HOME: path.join(dir, 'user-home/.cache'),
    LANG: 'C.UTF-8',
    DRIFTCORE_ACTOR: 'human:tester',
    NO_COLOR: '1',
  }
  return { dir, home, env, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/**
 * Lets `-c`/env (and packs) set these protected keys in the project, through the project
 * config's `config.allow_overrides`, the way a project would: for tests that configure a
 * kernel with flags.
 */
export async function allowOverrides(project: Pick<TempProject, 'home'>, keys: string[]): Promise<void> {
  const file = path.join(project.home, 'config.yaml')
  const parsed = parseDocument(await readFile(file, 'utf8').catch(() => ''))
  const doc = isMap(parsed.contents) ? parsed : new Document({})
  const before =
    (doc.getIn(['config', 'allow_overrides']) as { toJSON(): string[] } | undefined)?.toJSON() ?? []
  doc.setIn(['config', 'allow_overrides'], [...new Set([...before, ...keys])])
  await writeFile(file, doc.toString())
}

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs the built CLI as a real child process, in the project folder. */
export async function runCli(
  project: Pick<TempProject, 'dir' | 'env'>,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const result = await execa('node', [CLI, ...args], {
    cwd: project.dir,
    env: { ...project.env, ...options.env },
    extendEnv: false,
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
  })
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) }
}

/** Parses the stdout of a `--json` run, with the output in the error when it is not JSON. */
export function json<T = any>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${result.exitCode}):\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  }
}

export async function fixturePluginContribution(): Promise<Contribution> {
  const hook = (await import(path.join(FIXTURES, 'plugins/hello/hooks/capabilities.js'))) as {
    default: () => Promise<Contribution['capabilities']>
  }
  return { plugin: 'driftcore-plugin-hello', capabilities: await hook.default() }
}

/** A workspace plugin's contribution with the names its package.json claims, as oclif loads it. */
export function workspacePlugin(dir: string, capabilities: Capabilities): Contribution {
  const packageJson = JSON.parse(readFileSync(path.join(REPO, 'plugins', dir, 'package.json'), 'utf8')) as {
    name: string
    driftcore?: unknown
  }
  return { plugin: packageJson.name, capabilities, packageJson }
}

/** A kernel in-process, with the host's tools and, optionally, more contributions. */
export async function testKernel(
  project: TempProject,
  extra: Contribution[] = [],
  flags: string[] = [],
): Promise<Kernel> {
  return openKernel({
    home: project.home,
    env: project.env,
    configFlags: flags,
    contributions: [{ plugin: 'driftcore', capabilities: coreCapabilities }, ...extra],
  })
}
