// A throwaway driftcore project with its own HOME and XDG folders, so a run never reads or
// writes the developer's config, plugins or audit log. Shared by the conformance run and the bench.
import { mkdtemp, mkdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export async function isolatedProject(prefix, extraEnv = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  const home = path.join(dir, 'home')
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local/share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    LANG: 'C.UTF-8',
    ...extraEnv,
  }
  await mkdir(path.join(dir, '.driftcore'), { recursive: true })
  return { dir, env, remove: () => rm(dir, { recursive: true, force: true }) }
}
