import { access, readFile, realpath } from 'node:fs/promises'
import path from 'node:path'
import { ConfinedDir, DriftcoreError, type ProjectPaths } from 'driftcore/api'
import { pluginConfig, type SandboxConfig } from '../config/sections.js'
import { checkRelativePath, isWithin } from '../paths/confine.js'

/** Where one project's sandbox lives. The git data sits outside the site, beyond the reach of what runs in it. */
export interface SandboxLayout {
  /** The project root; the launcher resolves relative paths from here. */
  root: string
  /** The project's `.driftcore/` folder. */
  home: string
  /** The site's working copy: the only folder sandboxed commands may write. */
  site: string
  /** `.driftcore/sandbox/`: git data, the snapshot manifest, scratch indexes. */
  state: string
  gitDir: string
  /** The snapshot manifest; absent until the first snapshot. */
  manifest: string
  /** Written by init; its presence means the sandbox exists. */
  marker: string
  /** The custom-modules folder, absolute, and relative to the site. */
  modulesDir: string
  modulesRel: string
  config: SandboxConfig
}

export function sandboxLayout(paths: ProjectPaths, config: Readonly<Record<string, unknown>>): SandboxLayout {
  const { sandbox, scaffold } = pluginConfig(config)
  const site = path.resolve(paths.root, sandbox.path)
  const state = path.join(paths.home, 'sandbox')
  const gitDir = path.join(state, 'git')
  // Reset deletes everything in the site that the snapshot lacks: the site must never hold
  // driftcore's own state, nor the project around it.
  if (
    isWithin(paths.home, site) ||
    isWithin(paths.root, site) ||
    isWithin(site, gitDir) ||
    isWithin(gitDir, site)
  ) {
    throw new DriftcoreError(
      'invalid_input',
      `sandbox.path "${sandbox.path}" (${site}) overlaps the project or its .driftcore state`,
      {
        hint: 'point sandbox.path at a folder of its own, e.g. .driftcore/sandbox/site (the default)',
        details: { key: 'sandbox.path', path: site },
      },
    )
  }
  const modulesRel = checkRelativePath(scaffold.modules_dir, 'scaffold.modules_dir')
  return {
    root: paths.root,
    home: paths.home,
    site,
    state,
    gitDir,
    manifest: path.join(state, 'snapshot.json'),
    marker: path.join(state, 'sandbox.json'),
    modulesDir: path.join(site, modulesRel),
    modulesRel,
    config: sandbox,
  }
}

export interface SandboxMarker {
  version: 1
  created_at: string
  from: string | null
}

export async function readMarker(layout: SandboxLayout): Promise<SandboxMarker | undefined> {
  const text = await readFile(layout.marker, 'utf8').catch(() => undefined)
  return text === undefined ? undefined : (JSON.parse(text) as SandboxMarker)
}

/** Throws not_found unless `sandbox init` has run. */
export async function requireSandbox(layout: SandboxLayout): Promise<SandboxMarker> {
  const marker = await readMarker(layout)
  const siteExists = await access(layout.site).then(
    () => true,
    () => false,
  )
  if (!marker || !siteExists) {
    throw new DriftcoreError('not_found', `no sandbox at ${layout.site}`, {
      hint: 'create one with: driftcore sandbox init --from PATH/TO/SITE',
      details: { path: layout.site },
    })
  }
  return marker
}

/**
 * The site as a confined folder: every write driftcore makes in it (scaffolding, sandbox.apply)
 * goes through this, so none follows a symlink. Its real location is checked as well as its
 * configured path: a site that really is the project, contains .driftcore, or holds the git data
 * is refused, whatever symlinks lead there.
 */
export async function openSite(layout: SandboxLayout): Promise<ConfinedDir> {
  const site = await ConfinedDir.open(layout.site, { what: 'the sandbox site', deny: [layout.gitDir] })
  const real = async (p: string) => realpath(p).catch(() => path.resolve(p))
  for (const inner of [await real(layout.home), await real(layout.root), await real(layout.gitDir)]) {
    if (isWithin(inner, site.real)) {
      throw new DriftcoreError(
        'invalid_input',
        `the sandbox site ${layout.site} really is ${site.real}, which holds ${inner}`,
        {
          hint: 'point sandbox.path at a folder of its own, e.g. .driftcore/sandbox/site (the default)',
          details: { key: 'sandbox.path', path: layout.site, resolved: site.real },
        },
      )
    }
  }
  return site
}
