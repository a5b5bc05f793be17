import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { queryAudit } from '../../../src/audit/query.js'
import { tempProject, testKernel, type TempProject } from '../../helpers/project.js'

let project: TempProject
beforeEach(async () => {
  project = await tempProject({ config: '# mine\nworkflow:\n  concurrency: 4\n' })
})
afterEach(() => project.cleanup())

async function changes(env: NodeJS.ProcessEnv = {}, flags: string[] = []) {
  const kernel = await testKernel({ ...project, env: { ...project.env, ...env } }, [], flags)
  await kernel.close()
  return queryAudit(kernel.paths.audit, { type: 'config.changed' })
}

describe('config history', () => {
  it('records the config first seen, then only real changes, once each', async () => {
    const first = await changes()
    expect(first).toHaveLength(1)
    expect(first[0]!.data).toMatchObject({ old_hash: null, layers: [{ layer: 'project' }] })
    expect(await changes()).toHaveLength(1)

    // Comments and layout are not a change; a value is.
    await writeFile(path.join(project.home, 'config.yaml'), 'workflow:\n  concurrency: 4 # still\n')
    expect(await changes()).toHaveLength(1)
    await writeFile(path.join(project.home, 'config.yaml'), 'workflow:\n  concurrency: 5\n')
    const after = await changes()
    expect(after).toHaveLength(2)
    expect(after[1]!.data).toMatchObject({
      old_hash: first[0]!.data.new_hash,
      layers: [{ layer: 'project', file: path.join(project.home, 'config.yaml') }],
    })
  })

  it('does not count one command’s env and flags as a change to the config', async () => {
    await changes()
    expect(await changes({ DRIFTCORE_WORKFLOW__CONCURRENCY: '9' }, ['locks.default_ttl_ms=5'])).toHaveLength(
      1,
    )
  })
})
