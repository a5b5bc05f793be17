import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO } from '../../../test/helpers/project.js'
import type { CompileResult } from '../src/compile/compile.js'
import {
  compileProject,
  pipelineTask,
  refusal,
  schemaProblems,
  tektonLint,
  type CompileProject,
} from './helpers.js'

let project: CompileProject
const compiled: CompileResult[] = []
beforeAll(async () => {
  project = await compileProject()
})
afterAll(() => project.cleanup())

async function markdownFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort()
}

/** Every ```yaml block of the docs that is a driftcore workflow, with where it stands. */
async function docsWorkflows(): Promise<{ where: string; text: string }[]> {
  const files = [
    path.join(REPO, 'README.md'),
    ...(await markdownFiles(path.join(REPO, 'docs'))),
    ...(await markdownFiles(path.join(REPO, 'packs'))),
  ]
  const out: { where: string; text: string }[] = []
  for (const file of files) {
    const text = await readFile(file, 'utf8')
    for (const m of text.matchAll(/```ya?ml\n([\s\S]*?)```/g))
      if (/^kind: Workflow$/m.test(m[1]!) && /^apiVersion: driftcore\/v1$/m.test(m[1]!))
        out.push({
          where: `${path.relative(REPO, file)}:${text.slice(0, m.index).split('\n').length}`,
          text: m[1]!,
        })
  }
  return out
}

describe('workflow compile --target tekton', () => {
  it('compiles every workflow in packs/ to schema-valid tekton.dev/v1 documents', async () => {
    const dir = path.join(REPO, 'packs/drupal/workflows')
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml'))) {
      const result = await project.compileFile(path.join(dir, file))
      expect(schemaProblems(result), file).toEqual([])
      compiled.push(result)
    }
    expect(compiled.length).toBeGreaterThanOrEqual(3)
  })

  it('compiles every workflow shown in the docs to schema-valid documents', async () => {
    const blocks = await docsWorkflows()
    expect(blocks.length).toBeGreaterThan(0)
    for (const block of blocks) {
      const result = await project.compile(block.text).catch((e: Error) => {
        throw new Error(`${block.where}: ${e.message}`)
      })
      expect(schemaProblems(result), block.where).toEqual([])
      compiled.push(result)
    }
  })

  it('passes tekton-lint for everything compiled, with no error or warning', async () => {
    expect(compiled.length).toBeGreaterThan(3)
    expect(await tektonLint(compiled)).toEqual([])
  })

  it('maps depends_on to runAfter and runs a fan-out side by side, joined after', async () => {
    const result = await project.compile(`apiVersion: driftcore/v1
kind: Workflow
name: fan
steps:
  - { id: start, type: worker, tool: audit.verify }
  - { id: a, type: worker, tool: audit.verify, depends_on: [start] }
  - { id: b, type: worker, tool: audit.verify, depends_on: [start] }
  - { id: c_d, type: worker, tool: audit.verify, depends_on: [start] }
  - { id: join, type: condition, depends_on: [a, b, c_d], expression: 'steps.a.status == "succeeded"' }
`)
    expect(schemaProblems(result)).toEqual([])
    expect(pipelineTask(result, 'start').runAfter).toBeUndefined()
    for (const t of ['a', 'b', 'c-d']) expect(pipelineTask(result, t).runAfter).toEqual(['start'])
    expect(pipelineTask(result, 'join').runAfter).toEqual(['a', 'b', 'c-d'])
    // join reads a: a's status and output reach it as one argument, never spliced into JSON.
    expect(pipelineTask(result, 'join').params.find((p: any) => p.name === 'upstream').value).toEqual([
      'a=$(tasks.a.results.status):$(tasks.a.results.output)',
    ])
    expect(result.tasks.map((t) => t.task)).toEqual(['start', 'a', 'b', 'c-d', 'join'])
    expect(result.notes.join('\n')).toMatch(/Tekton starts no further task/)
  })

  it('maps retry to retries, step and run timeouts to Tekton timeouts (none is 0s, not an hour)', async () => {
    const result = await project.compile(`apiVersion: driftcore/v1
kind: Workflow
name: retrying
timeout: 30m
steps:
  - id: flaky
    type: worker
    tool: audit.verify
    timeout: 2m
    retry: { max_attempts: 3, backoff: { initial: 2s, factor: 2, max: 30s } }
  - { id: plain, type: worker, tool: audit.verify, depends_on: [flaky] }
`)
    expect(schemaProblems(result)).toEqual([])
    const flaky = pipelineTask(result, 'flaky')
    expect(flaky.retries).toBe(2)
    // 2 minutes per attempt plus the longest backoff the runner waits inside it (4s).
    expect(flaky.timeout).toBe('124s')
    // No timeout of its own: what is left of the run's (Tekton's rule), not its one-hour default.
    expect(pipelineTask(result, 'plain').timeout).toBeUndefined()
    expect((result.pipelineRun.spec as any).timeouts).toEqual({ pipeline: '1800s' })
    const untimed = await project.compile(`apiVersion: driftcore/v1
kind: Workflow
name: untimed
steps: [{ id: a, type: worker, tool: audit.verify }]
`)
    expect(pipelineTask(untimed, 'a').timeout).toBe('0s')
    expect((untimed.pipelineRun.spec as any).timeouts).toEqual({ pipeline: '0s' })
  })

  it('turns an approval into a task that waits for the driftcore approval as long as it stays open', async () => {
    const result = await project.compile(`apiVersion: driftcore/v1
kind: Workflow
name: approving
steps:
  - { id: check, type: worker, tool: audit.verify }
  - id: confirm
    type: approval
    depends_on: [check]
    message: 'Go on after \${{ steps.check.output.records }} records?'
    approvers: ['human:lead-*']
    timeout: 4h
  - { id: act, type: worker, tool: audit.verify, depends_on: [confirm] }
`)
    expect(schemaProblems(result)).toEqual([])
    const confirm = pipelineTask(result, 'confirm')
    expect(confirm.timeout).toBe('14400s')
    const definition = JSON.parse(confirm.params.find((p: any) => p.name === 'definition').value)
    expect(definition).toMatchObject({ type: 'approval', approvers: ['human:lead-*'] })
    expect(pipelineTask(result, 'act').runAfter).toEqual(['confirm'])
  })

  it('uses a Tekton when for a condition output nothing else reads, and decides other whens in the task', async () => {
    const result = await project.compile(`apiVersion: driftcore/v1
kind: Workflow
name: guarded
input: { type: object, properties: { force: { type: boolean } } }
steps:
  - { id: check, type: worker, tool: audit.verify }
  - { id: healthy, type: condition, depends_on: [check], expression: 'steps.check.output.records > 0' }
  - { id: tidy, type: worker, tool: audit.verify, depends_on: [healthy], when: '!steps.healthy.output' }
  - { id: maybe, type: worker, tool: audit.verify, depends_on: [healthy], when: 'steps.healthy.output && !inputs.force' }
  - { id: after, type: condition, depends_on: [maybe], expression: 'steps.maybe.output == null' }
`)
    expect(schemaProblems(result)).toEqual([])
    expect(pipelineTask(result, 'tidy').when).toEqual([
      { input: '$(tasks.healthy.results.output)', operator: 'in', values: ['false'] },
    ])
    // maybe is read by after: skipped, it must still give null (driftcore's meaning), so the
    // task decides and succeeds with status skipped instead of Tekton skipping its reader.
    expect(pipelineTask(result, 'maybe').when).toBeUndefined()
  })

  it('makes clean-ups and notifications finally tasks, a notification guarded by its dependencies', async () => {
    const result = await project.compile(`apiVersion: driftcore/v1
kind: Workflow
name: finishing
steps:
  - { id: work, type: worker, tool: audit.verify }
  - { id: reset, type: worker, tool: audit.verify, depends_on: [work], always: true }
  - { id: tell, type: notify, depends_on: [work], message: 'done' }
`)
    expect(schemaProblems(result)).toEqual([])
    const fin = (result.pipeline.spec as any).finally.map((t: any) => t.name)
    expect(fin).toEqual(['reset', 'tell'])
    expect(pipelineTask(result, 'reset').when).toBeUndefined()
    expect(pipelineTask(result, 'tell').when).toEqual([
      { input: '$(tasks.work.status)', operator: 'in', values: ['Succeeded'] },
    ])
    expect(result.tasks.filter((t) => t.finally).map((t) => t.step)).toEqual(['reset', 'tell'])
  })

  it('puts the run input in the PipelineRun as one JSON param, checked against the input schema', async () => {
    const file = path.join(REPO, 'packs/drupal/workflows/config-drift.yaml')
    const result = await project.compileFile(file, { inputs: { baseline: 'prod' }, runName: 'drift-1' })
    expect((result.pipelineRun.metadata as any).name).toBe('drift-1')
    expect((result.pipelineRun.spec as any).params).toContainEqual({
      name: 'inputs',
      value: '{"baseline":"prod"}',
    })
    await expect(project.compileFile(file, { inputs: { nope: 1 } })).rejects.toThrow(/input schema/)
  })

  it('refuses what Tekton cannot express, naming each step and the reason, and compiles nothing', async () => {
    const error = await refusal(
      project.compile(`apiVersion: driftcore/v1
kind: Workflow
name: refused
steps:
  - { id: a, type: worker, tool: audit.verify }
  - { id: cleanup, type: worker, tool: audit.verify, depends_on: [a], always: true }
  - { id: later, type: worker, tool: audit.verify, depends_on: [cleanup] }
  - { id: warned, type: worker, tool: audit.verify, depends_on: [a], on_verdict: warn }
  - { id: routed, type: worker, topic: nobody.takes, depends_on: [a] }
`),
    )
    expect(error.code).toBe('invalid_input')
    expect(error.details.refused.map((r) => `${r.step}: ${r.construct}`)).toEqual([
      'cleanup: always: true',
      'warned: on_verdict: warn',
      'routed: topic: nobody.takes',
    ])
    expect(error.message).toMatch(
      /step cleanup: always: true: .*nothing can run after one \(later depend on it\)/,
    )
    expect(error.message).toMatch(/no pool takes topic "nobody.takes"/)
  })
})
