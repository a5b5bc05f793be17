import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { queryAudit } from '../../../src/audit/query.js'
import { hashTree } from '../src/sandbox/tree.js'
import { actor, listTree, scaffoldProject, type ScaffoldProject } from './helpers.js'

let p: ScaffoldProject
beforeEach(async () => {
  p = await scaffoldProject()
})
afterEach(() => p.cleanup())

interface QaOutput {
  ok: boolean
  report: string
  changed_files: string[]
  steps: { name: string; status: string; runs: number; log?: string }[]
}

// The safe experimentation loop as the workflow will compose it, one gate call per step:
// snapshot → scaffold → apply a change → qa.runTests (results kept as artifacts) → reset.
describe('the safe experimentation loop', () => {
  it('runs end to end twice, leaving the sandbox byte-identical to its snapshot after each iteration', async () => {
    const call = async <T>(tool: string, input: unknown = {}) =>
      (await p.kernel.gate.invoke(tool, input, actor, { meta: { loop: 'test' } })).output as T
    await call('sandbox.init', { from: 'site-source' })
    const snapshot = await call<{ tree_hash: string }>('sandbox.snapshot')
    const pristine = await listTree(p.site)

    const changes = [
      {
        file: 'src/Greeter.php',
        content:
          '<?php\n\nnamespace Drupal\\experiment;\n\nfinal class Greeter {\n  public function greet(string $name): string {\n    return "Hi, $name!";\n  }\n}\n',
        passes: true,
      },
      { file: 'src/Broken.php', content: '<?php\nfunction experiment_broken( {\n', passes: false },
    ]
    for (const [iteration, change] of changes.entries()) {
      const module = await call<{ directory: string }>('scaffold.module', {
        name: 'experiment',
        parts: ['routing', 'service', 'tests'],
      })
      expect(module.directory).toBe('web/modules/custom/experiment')
      await call('sandbox.apply', { files: [{ path: `experiment/${change.file}`, content: change.content }] })

      const qa = await call<QaOutput>('qa.runTests')
      expect(qa.ok, `iteration ${iteration + 1}`).toBe(change.passes)
      expect(qa.changed_files).toContain(`web/modules/custom/experiment/${change.file}`)
      expect(qa.steps[0]).toMatchObject({ name: 'php-lint', status: change.passes ? 'passed' : 'failed' })
      const report = JSON.parse((await p.kernel.artifacts.get(qa.report)).toString()) as QaOutput
      expect(report.steps).toEqual(qa.steps)
      expect((await p.kernel.artifacts.get(qa.steps[0]!.log!)).length).toBeGreaterThan(0)

      const reset = await call<{ tree_hash: string; was_clean: boolean }>('sandbox.reset')
      expect(reset).toEqual(expect.objectContaining({ tree_hash: snapshot.tree_hash, was_clean: false }))
      expect((await hashTree(p.site)).hash).toBe(snapshot.tree_hash)
      expect(await listTree(p.site)).toEqual(pristine)
      await expect(
        readFile(path.join(p.site, 'web/modules/custom/experiment/experiment.info.yml')),
      ).rejects.toMatchObject({
        code: 'ENOENT',
      })
    }

    await p.kernel.close()
    const calls = await queryAudit(p.kernel.paths.audit, { type: 'tool.call' })
    expect(calls.map((r) => [r.subject, r.data.outcome])).toEqual([
      ['sandbox.init', 'ok'],
      ['sandbox.snapshot', 'ok'],
      ...[1, 2].flatMap(() => [
        ['scaffold.module', 'ok'],
        ['sandbox.apply', 'ok'],
        ['qa.runTests', 'ok'],
        ['sandbox.reset', 'ok'],
      ]),
    ])
  })
})
