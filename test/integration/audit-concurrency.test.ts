import path from 'node:path'
import { execa } from 'execa'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { queryAudit } from '../../src/audit/query.js'
import { verifyAudit } from '../../src/audit/verify.js'
import { tempProject, type TempProject } from '../helpers/project.js'

let project: TempProject
beforeEach(async () => {
  project = await tempProject()
})
afterEach(() => project.cleanup())

it('8 processes × 200 gated calls each: all 1,600 records are present and the chain is valid', async () => {
  const script = path.join(import.meta.dirname, 'helpers/gate-burst.mjs')
  await Promise.all(
    Array.from({ length: 8 }, () => execa('node', [script, project.home, '200'], { env: project.env })),
  )
  const verification = await verifyAudit(path.join(project.home, 'audit'))
  expect(verification.ok).toBe(true)
  const calls = await queryAudit(path.join(project.home, 'audit'), { type: 'tool.call' })
  expect(calls).toHaveLength(1600)
  const perProcess = new Map<string, number>()
  for (const r of calls) perProcess.set(r.actor.id, (perProcess.get(r.actor.id) ?? 0) + 1)
  expect([...perProcess.values()]).toEqual(Array(8).fill(200))
}, 120_000)
