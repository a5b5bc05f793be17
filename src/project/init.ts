import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DEFAULT_BUNDLE_YAML } from '../policy/default-bundle.js'
import type { ProjectPaths } from '../store/paths.js'

const CONFIG_TEMPLATE = `# driftcore project config. Every key and its default: driftcore config effective --explain
# Layers, lowest first: defaults, user (~/.config/driftcore/config.yaml), this file, packs,
# DRIFTCORE_SECTION__KEY env variables, --config key=value flags. Packs, env and flags may not
# set protected keys (policy, launcher, audit, approvals, project.environment, sandbox isolation
# and limits, mcp.elicitation…) unless this file lets them: config.allow_overrides: [KEY, …]
project:
  name: PROJECT_NAME
  environment: dev
# audit:
#   fsync: batch          # always | batch | off
# launcher:
#   allowlist: [git, php, drush, vendor/bin/drush]
`

const GITIGNORE = `# Runtime state stays local; config, policy and workflows are meant to be committed.
state/
runs/
artifacts/
logs/
audit/
audit-checkpoints.jsonl
*.key
`

export interface InitResult {
  home: string
  created: string[]
  kept: string[]
}

/** Creates `.driftcore/` with a commented config, the default policy bundle and the state folders; never overwrites. */
export async function initProject(paths: ProjectPaths): Promise<InitResult> {
  const created: string[] = []
  const kept: string[] = []
  for (const dir of [
    paths.home,
    paths.policy,
    paths.workflows,
    paths.templates,
    paths.state,
    paths.audit,
    paths.runs,
    paths.artifacts,
    paths.logs,
  ]) {
    await mkdir(dir, { recursive: true })
  }
  const files: [string, string][] = [
    [paths.config, CONFIG_TEMPLATE.replace('PROJECT_NAME', path.basename(paths.root) || 'driftcore-project')],
    [path.join(paths.policy, 'default.yaml'), DEFAULT_BUNDLE_YAML],
    [path.join(paths.home, '.gitignore'), GITIGNORE],
  ]
  for (const [file, content] of files) {
    try {
      await writeFile(file, content, { flag: 'wx' })
      created.push(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      kept.push(file)
    }
  }
  return { home: paths.home, created, kept }
}
