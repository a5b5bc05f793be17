// Issue 13: a person approving a config import sees what it will do to the site, not only the
// tool input: objects created, changed (with the keys) and deleted, a content type's deletion
// in words (approvals show, built CLI, live site's export on the stand-in).
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../../../../test/helpers/project.js'
import { LIVE_SYNC, LiveStandIn } from '../helpers/live.js'
import { mutatedCopy, STAND_IN } from '../helpers/site.js'

let project: TempProject | undefined
let site: LiveStandIn | undefined
afterEach(async () => {
  await project?.cleanup()
  await site?.remove()
  project = site = undefined
})

describe('approving a config import, with its effect shown', () => {
  it('approvals show lists the deletes, creates and changed keys, and says a content type goes', async () => {
    project = await tempProject()
    site = await LiveStandIn.create()
    await writeFile(
      path.join(project.home, 'config.yaml'),
      `launcher:\n  allowlist: [${STAND_IN}]\ndrush:\n  command: [${STAND_IN}]\n  root: ${site.root}\n`,
    )
    // A baseline without the event content type, with another site name.
    const event = (await import('node:fs'))
      .readdirSync(LIVE_SYNC)
      .filter((f) => /node\.event|node\.type\.event|field_event_date/.test(f))
    await mutatedCopy(LIVE_SYNC, path.join(project.dir, 'config/sync'), {
      ...Object.fromEntries(event.map((f) => [f, null])),
      'system.site.yml': (t) => t.replace("name: 'Driftcore Test'", "name: 'Restored name'"),
    })
    expect((await runCli(project, ['drush', 'config-export'])).exitCode).toBe(0)
    const asked = await runCli(project, ['drush', 'config-import', '--source', 'config/sync', '--json'])
    expect(asked.exitCode).toBe(5)
    const id = json<{ error: { details: { approval_id: string } } }>(asked).error.details.approval_id
    const shown = await runCli(project, ['approvals', 'show', id])
    expect(shown.exitCode).toBe(0)
    expect(shown.stdout).toContain(
      `what it would do:\n  a full import of ${path.join(project.dir, 'config/sync')}, compared with the site's export of`,
    )
    expect(shown.stdout).toMatch(/\n {4}0 created, 1 changed, \d+ deleted\n/)
    expect(shown.stdout).toContain(
      '    delete node.type.event — deletes the content type "Event" (event), and with it every node of that type',
    )
    expect(shown.stdout).toContain('    update system.site: name')
    // Dependents go before what they need.
    const lines = shown.stdout.split('\n')
    const at = (name: string) => lines.findIndex((l) => l.trim().startsWith(`delete ${name}`))
    expect(at('field.field.node.event.field_event_date')).toBeLessThan(
      at('field.storage.node.field_event_date'),
    )
    expect(at('field.field.node.event.body')).toBeLessThan(at('node.type.event'))
    const machine = json<{ preview: string }>(await runCli(project, ['approvals', 'show', id, '--json']))
    expect(machine.preview).toContain('delete node.type.event')
  })
})

describe('the review screen', () => {
  it('shows what the call would do beside its input', async () => {
    const { detailLines } = await import('../../../../src/approvals/review/format.js')
    const now = Date.now()
    const request = {
      id: 'apr_000000000000',
      tool: 'drush.configImport',
      input_hash: 'x',
      input: { source: 'config/sync' },
      input_summary: '{"source":"config/sync"}',
      preview:
        'a full import of config/sync\n  delete node.type.event — deletes the content type "Event" (event)',
      requester: { type: 'agent', id: 'a' },
      rule_ids: [],
      deciding_rule: null,
      reason: 'r',
      trace_id: 't',
      status: 'pending' as const,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + 60_000).toISOString(),
    }
    expect(detailLines(request, now, (v) => v)).toContainEqual(['would do', request.preview])
  })
})
