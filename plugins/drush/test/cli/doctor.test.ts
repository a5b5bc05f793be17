// Issue 13, case 5: doctor checks the Drush the tools will run (drush.command), not `drush` on PATH.
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../../../../test/helpers/project.js'

// These run the built CLI (bin/run.js): `npm run build` first.
let project: TempProject
beforeEach(async () => {
  project = await tempProject({ config: 'drush:\n  command: vendor/bin/drush\n' })
})
afterEach(() => project.cleanup())

const drushCheck = async () => {
  const result = await runCli(project, ['doctor', '--json'], { env: { PATH: '/usr/bin:/bin' } })
  return json<{ check: string; status: string; detail: string }[]>(result).find((c) => c.check === 'drush')
}

describe('driftcore doctor and drush.command', () => {
  it('reports a site-local vendor/bin/drush that the tools run as found, with no drush on PATH', async () => {
    const drush = path.join(project.dir, 'vendor/bin/drush')
    await mkdir(path.dirname(drush), { recursive: true })
    await writeFile(drush, '#!/bin/sh\nexit 0\n')
    await chmod(drush, 0o755)
    expect(await drushCheck()).toEqual({
      check: 'drush',
      status: 'ok',
      detail: `${drush} (drush.command: vendor/bin/drush)`,
    })
  })

  it('reports drush.command missing when the file it names is not there', async () => {
    expect(await drushCheck()).toEqual({
      check: 'drush',
      status: 'missing',
      detail: 'drush.command vendor/bin/drush: no such file',
    })
  })
})
