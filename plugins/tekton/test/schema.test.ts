import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { SHARED_FIXTURES } from '../../../test/helpers/project.js'
import { validateTekton } from '../src/schema/validate.js'

const FIXTURES = path.join(SHARED_FIXTURES, 'tekton')
const KINDS = ['pipeline', 'pipelinerun', 'task', 'taskrun']

describe('the Tekton v1 schemas the plugin ships', () => {
  it('are the openAPIV3Schema of v1 in Tekton’s own CRD files, descriptions left out', async () => {
    const script = path.join(import.meta.dirname, '../scripts/extract-schemas.mjs')
    const { v1Schema } = (await import(script)) as { v1Schema: (t: string) => unknown }
    for (const kind of KINDS) {
      const crd = await readFile(path.join(FIXTURES, 'crds', `300-${kind}.yaml`), 'utf8')
      const shipped = JSON.parse(
        await readFile(path.join(import.meta.dirname, '../schemas', `${kind}.v1.json`), 'utf8'),
      )
      expect(
        shipped,
        `${kind}: run node plugins/tekton/scripts/extract-schemas.mjs ${path.join(FIXTURES, 'crds')}`,
      ).toEqual(v1Schema(crd))
    }
  })

  it('accept every v1 Pipeline, PipelineRun, Task and TaskRun in Tekton’s own examples', async () => {
    const dir = path.join(FIXTURES, 'examples')
    let checked = 0
    for (const file of (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(await readFile(path.join(dir, file), 'utf8'))) {
        const value = doc.toJSON() as { apiVersion?: string; kind?: string } | null
        if (
          value?.apiVersion !== 'tekton.dev/v1' ||
          !['Pipeline', 'PipelineRun', 'Task', 'TaskRun'].includes(value.kind!)
        )
          continue
        // One example leaves a step unnamed, which the CRD schema requires (the compiler names
        // every step); everything else in the examples must pass as it stands.
        const problems = validateTekton(value).filter(
          (p) =>
            !(
              file.endsWith('optional-workspaces.yaml') &&
              /steps\/0: must have required property 'name'/.test(p)
            ),
        )
        expect(problems, `${file} ${value.kind}`).toEqual([])
        checked++
      }
    }
    expect(checked).toBeGreaterThan(20)
  })

  it('refuse a misspelt field the API server would drop silently, and a wrong type', () => {
    const pipeline = {
      apiVersion: 'tekton.dev/v1',
      kind: 'Pipeline',
      metadata: { name: 'p' },
      spec: { tasks: [{ name: 'a', taskRef: { name: 't' }, runafter: ['b'], retries: 'two' }] },
    }
    const problems = validateTekton(pipeline)
    expect(problems.join('\n')).toMatch(/\/spec\/tasks\/0: must NOT have additional properties/)
    expect(problems.join('\n')).toMatch(/\/spec\/tasks\/0\/retries: must be integer/)
    expect(validateTekton({ ...pipeline, apiVersion: 'tekton.dev/v1beta1' })).toEqual([
      'apiVersion is tekton.dev/v1beta1, not tekton.dev/v1',
    ])
  })
})
