import { existsSync } from 'node:fs'
import path from 'node:path'

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

/**
 * DRIFTCORE_HOME wins; otherwise the nearest `.driftcore/` above cwd, as git finds `.git/`;
 * otherwise `./.driftcore`, created on first write.
 */
export function findProjectPaths(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): ProjectPaths {
  const fromEnv = env.DRIFTCORE_HOME
  if (fromEnv) {
    const home = path.resolve(cwd, fromEnv)
    return projectPaths(home, path.basename(home) === '.driftcore' ? path.dirname(home) : cwd)
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.driftcore'))) return projectPaths(path.join(dir, '.driftcore'), dir)
    if (path.dirname(dir) === dir) break
  }
  return projectPaths(path.join(path.resolve(cwd), '.driftcore'))
}
