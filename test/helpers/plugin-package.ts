import { cp, mkdir, mkdtemp, readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { runCli, type CliResult, type TempProject } from './project.js'

/** A scratch folder for packages and repositories, removed with the project. */
export async function scratch(project: TempProject, name: string): Promise<string> {
  const dir = path.join(project.dir, 'scratch', name)
  await mkdir(dir, { recursive: true })
  return dir
}

/** A copy of a plugin folder outside the repository, so nothing resolves through its node_modules. */
export async function copyPlugin(source: string, into: string): Promise<string> {
  const dir = path.join(into, path.basename(source))
  await cp(source, dir, { recursive: true, filter: (f) => !f.includes('node_modules') })
  return dir
}

/** `npm pack` of a plugin folder; returns the tarball's path. */
export async function packPlugin(dir: string): Promise<string> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'driftcore-pack-'))
  const packed = await execa('npm', ['pack', '--silent', '--pack-destination', out], { cwd: dir })
  return path.join(out, String(packed.stdout).trim().split('\n').pop()!)
}

/** A bare git repository holding the plugin folder as its one commit; returns its git+file URL. */
export async function gitRepository(dir: string, into: string): Promise<string> {
  const git = (args: string[], cwd: string) =>
    execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], { cwd })
  await git(['init', '-q', '-b', 'main'], dir)
  await git(['add', '-A'], dir)
  await git(['commit', '-q', '-m', 'plugin'], dir)
  const bare = path.join(into, 'plugin.git')
  await git(['clone', '-q', '--bare', dir, bare], into)
  return `git+file://${bare}`
}

/**
 * `driftcore plugins install SPEC` with npm offline: anything it would download (the host, zod)
 * fails the install instead of being fetched.
 */
export async function installPlugin(project: TempProject, spec: string): Promise<CliResult> {
  return runCli(project, ['plugins', 'install', spec], {
    env: { npm_config_offline: 'true', npm_config_update_notifier: 'false' },
    timeoutMs: 120_000,
  })
}

/** The packages in the project's plugin data dir (what npm installed). */
export async function installedPackages(project: TempProject): Promise<string[]> {
  const modules = path.join(project.env.XDG_DATA_HOME!, 'driftcore', 'node_modules')
  return (await readdir(modules)).filter((n) => !n.startsWith('.')).sort()
}
