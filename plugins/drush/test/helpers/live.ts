import { spawnSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { SHARED_FIXTURES } from '../../../../test/helpers/project.js'
import { STAND_IN } from './site.js'

/** The live Drupal 10.3.7 + Drush 13.3 site's captures (see its SOURCE.txt). */
export const LIVE = path.join(SHARED_FIXTURES, 'drupal-live-10.3')
export const LIVE_SYNC = path.join(LIVE, 'sync')
export const LIVE_MODEL = path.join(LIVE, 'content-model-from-live-site.json')

export interface Capture {
  stdout: string
  stderr: string
  rc: number
}

/** One real Drush call: its stdout, stderr and exit code. */
export async function capture(name: string): Promise<Capture> {
  const file = (ext: string) => readFile(path.join(LIVE, 'drush-13.3', `${name}.${ext}`), 'utf8')
  return { stdout: await file('stdout'), stderr: await file('stderr'), rc: Number((await file('rc')).trim()) }
}

/**
 * A stand-in of the live site, laid out as the captures show it: the Drupal root at
 * `<base>/site/web` (the captures' /var/www/site/web), its sync folder at ../config/sync, its
 * database the live export, its status the live status; scratch folders under `<base>/work`
 * (the captures' /var/www/work).
 */
export class LiveStandIn {
  private constructor(
    readonly base: string,
    readonly root: string,
    readonly sync: string,
  ) {}

  static async create(options: { active?: string; sync?: string | null; database?: 'down' } = {}) {
    const base = await mkdtemp(path.join(os.tmpdir(), 'drupal-live-'))
    const root = path.join(base, 'site/web')
    const sync = path.join(base, 'site/config/sync')
    await cp(options.active ?? LIVE_SYNC, path.join(root, 'active'), { recursive: true })
    await mkdir(sync, { recursive: true })
    if (options.sync !== null) await cp(options.sync ?? LIVE_SYNC, sync, { recursive: true })
    await mkdir(path.join(base, 'work'), { recursive: true })
    const status = JSON.parse(
      (await capture('status-json')).stdout.replaceAll('/var/www/site', path.join(base, 'site')),
    ) as Record<string, unknown>
    await writeFile(
      path.join(root, 'site.json'),
      JSON.stringify({
        status,
        sync_dir: '../config/sync',
        ...(options.database ? { database: 'down' } : {}),
      }),
    )
    return new LiveStandIn(base, root, sync)
  }

  /** Runs the stand-in as Drush would be run, and shows its answer with the captures' paths. */
  drush(args: string[], env: Record<string, string> = {}): Capture & { raw: Capture } {
    const run = spawnSync(process.execPath, [STAND_IN, ...args, `--root=${this.root}`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...env },
    })
    const rc = run.status ?? -1
    return {
      stdout: this.unmap(run.stdout),
      stderr: this.unmap(run.stderr),
      rc,
      raw: { stdout: run.stdout, stderr: run.stderr, rc },
    }
  }

  /** A path as the captures name it. */
  unmap(text: string): string {
    return text
      .replaceAll(path.join(this.base, 'site'), '/var/www/site')
      .replaceAll(path.join(this.base, 'work'), '/var/www/work')
  }

  work(name: string): string {
    return path.join(this.base, 'work', name)
  }

  async remove(): Promise<void> {
    await rm(this.base, { recursive: true, force: true })
  }
}
