import { lstatSync, statSync } from 'node:fs'
import path from 'node:path'
import { DriftcoreError } from '../errors/driftcore-error.js'

/** Where a project's state lives; every module asks here instead of joining paths itself. */
export interface ProjectPaths {
  /** The project being automated (holds `.driftcore/`). */
  root: string
  /** The `.driftcore/` folder, or DRIFTCORE_HOME. */
  home: string
  config: string
  policy: string
  workflows: string
  templates: string
  state: string
  audit: string
  runs: string
  artifacts: string
  logs: string
  packs: string
}

export function projectPaths(home: string, root = path.dirname(home)): ProjectPaths {
  return {
    root,
    home,
    config: path.join(home, 'config.yaml'),
    policy: path.join(home, 'policy'),
    workflows: path.join(home, 'workflows'),
    templates: path.join(home, 'templates'),
    state: path.join(home, 'state'),
    audit: path.join(home, 'audit'),
    runs: path.join(home, 'runs'),
    artifacts: path.join(home, 'artifacts'),
    logs: path.join(home, 'logs'),
    packs: path.join(home, 'packs'),
  }
}

/** A project found for a command, and how: `note` names it when it is not the current folder. */
export interface DiscoveredProject {
  paths: ProjectPaths
  note?: string
}

const initHint = 'run driftcore init here to start one, or cd into a project (or pass --home DIR/.driftcore)'

/**
 * The project a command acts on. An explicit home (--home, DRIFTCORE_HOME) must exist: a typo
 * is refused rather than created. Otherwise the nearest `.driftcore/` above cwd, as git finds
 * `.git/`, but a parent folder's only when it is a real directory the current user owns: a
 * stranger's project left in a shared folder (the temp folder) would otherwise lend a command
 * its config, policy and audit log. No project at all is `not_found`; only init creates one.
 */
export function discoverProject(
  options: { cwd?: string; env?: NodeJS.ProcessEnv; home?: string | undefined } = {},
): DiscoveredProject {
  const cwd = path.resolve(options.cwd ?? process.cwd())
  const explicit = options.home ?? (options.env ?? process.env).DRIFTCORE_HOME
  if (explicit) {
    // --home names the .driftcore folder itself; DRIFTCORE_HOME may name a folder elsewhere.
    const paths = options.home ? projectPaths(path.resolve(cwd, options.home)) : explicitPaths(explicit, cwd)
    if (!isDirectory(paths.home)) {
      throw new DriftcoreError('not_found', `no driftcore project at ${paths.home}`, {
        hint: `check the path in ${options.home ? '--home' : 'DRIFTCORE_HOME'}, or create it with driftcore init --home ${paths.home}`,
        details: { home: paths.home },
      })
    }
    return { paths }
  }
  const uid = process.getuid?.()
  const skipped: string[] = []
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const home = path.join(dir, '.driftcore')
    const stat = lstatSync(home, { throwIfNoEntry: false })
    if (stat && dir === cwd && isDirectory(home)) return { paths: projectPaths(home, dir) }
    if (stat && dir !== cwd) {
      if (!stat.isDirectory()) skipped.push(`${home} is not a directory (a link?)`)
      else if (uid !== undefined && stat.uid !== uid)
        skipped.push(`${home} belongs to uid ${stat.uid}, not you`)
      else return { paths: projectPaths(home, dir), note: `using the driftcore project in ${dir}` }
    }
    if (path.dirname(dir) === dir) break
  }
  throw new DriftcoreError('not_found', 'no driftcore project here (run driftcore init)', {
    hint: [...skipped.map((s) => `ignored ${s}`), initHint].join('\n  '),
    details: { cwd, ignored: skipped },
  })
}

/** The project's paths, found as `discoverProject` finds them (the note dropped). */
export function findProjectPaths(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): ProjectPaths {
  return discoverProject({ cwd, env }).paths
}

/** The paths for an explicit home, found or not: init creates them. */
export function explicitPaths(home: string, cwd = process.cwd()): ProjectPaths {
  const resolved = path.resolve(cwd, home)
  return projectPaths(resolved, path.basename(resolved) === '.driftcore' ? path.dirname(resolved) : cwd)
}

function isDirectory(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false
}
