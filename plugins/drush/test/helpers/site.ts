import { appendFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Kernel } from '../../../../src/kernel/open.js'
import {
  REPO,
  SHARED_FIXTURES,
  testKernel,
  workspacePlugin,
  type TempProject,
} from '../../../../test/helpers/project.js'
import { drushCapabilities } from '../../src/hooks/capabilities.js'

/** The Drush stand-in executable (see stand-in/drush-stand-in.mjs). */
export const STAND_IN = path.resolve(import.meta.dirname, '../stand-in/drush-stand-in.mjs')

/** Real Drupal config exports shared by the team (never copied into the repository). */
export const DRUPAL = {
  standard11: path.join(SHARED_FIXTURES, 'drupal-standard/install'),
  standard10: path.join(SHARED_FIXTURES, 'drupal-standard-10/install'),
  usagov: path.join(SHARED_FIXTURES, 'drupal-site2/sync'),
}

export const EXAMPLE_SITE = path.join(REPO, 'sandbox/example-site/config')

export const ALLOW_ALL = {
  'all.yaml':
    'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: all\nrules:\n  - id: allow-all\n    decision: ALLOW\n',
}

export const DB_PASSWORD = 'Zq8-stand-in-db-pass-5521'

/**
 * A stand-in Drupal site in the project folder: its active config (the "database") copied
 * from a fixture, an optional sync folder, and the status Drush reports (with a password).
 */
export async function standInSite(
  project: TempProject,
  options: { active: string; sync?: string; state?: Record<string, unknown> },
): Promise<string> {
  const root = path.join(project.dir, 'site')
  await cp(options.active, path.join(root, 'active'), { recursive: true })
  await mkdir(path.join(root, 'sync'), { recursive: true })
  if (options.sync) await cp(options.sync, path.join(root, 'sync'), { recursive: true })
  await writeFile(
    path.join(root, 'site.json'),
    JSON.stringify({
      status: {
        'db-driver': 'mysql',
        'db-hostname': 'db',
        'db-username': 'drupal',
        'db-password': DB_PASSWORD,
        root: '/var/www/html/web',
        'config-sync': '../config/sync',
      },
      state: options.state ?? { 'system.cron_last': 1732000000, 'system.maintenance_mode': 0 },
    }),
  )
  return root
}

/**
 * The fixtures live outside the temporary project, where tools may not read by path unless
 * the project names them in files.read_roots, as a project keeping its exports elsewhere would.
 */
export const FIXTURE_READ_ROOTS = `files:\n  read_roots: [${JSON.stringify(SHARED_FIXTURES)}, ${JSON.stringify(EXAMPLE_SITE)}]\n`

/** Adds FIXTURE_READ_ROOTS to the project's config unless it names read roots already. */
export async function allowFixtureReads(project: TempProject): Promise<void> {
  const file = path.join(project.home, 'config.yaml')
  const text = await readFile(file, 'utf8').catch(() => '')
  if (text.includes('read_roots')) return
  await appendFile(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}${FIXTURE_READ_ROOTS}`)
}

/** Config pointing driftcore at the stand-in: allowlisted by path, as the launcher requires. */
export function standInConfig(site: string, extra = ''): string {
  return `launcher:\n  allowlist: [${STAND_IN}]\ndrush:\n  command: [${STAND_IN}]\n  root: ${site}\n${FIXTURE_READ_ROOTS}${extra}`
}

export async function drushKernel(project: TempProject, flags: string[] = []): Promise<Kernel> {
  await allowFixtureReads(project)
  return testKernel(project, [workspacePlugin('drush', drushCapabilities)], flags)
}

/** Copies an export and applies edits: a function of the file's text, or null to delete it. */
export async function mutatedCopy(
  from: string,
  to: string,
  edits: Record<string, ((text: string) => string) | null> = {},
): Promise<string> {
  await cp(from, to, { recursive: true })
  for (const [file, edit] of Object.entries(edits)) {
    const target = path.join(to, file)
    if (edit === null) await rm(target)
    else {
      const before = await readFile(target, 'utf8').catch(() => '')
      await mkdir(path.dirname(target), { recursive: true })
      await writeFile(target, edit(before))
    }
  }
  return to
}

/** Every file under a folder, for "appears nowhere" checks. */
export async function allFiles(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises')
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))
}
