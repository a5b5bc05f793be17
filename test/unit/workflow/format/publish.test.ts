import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { workflowJsonSchema } from '../../../../src/workflow/format/publish.js'
import { REPO } from '../../../helpers/project.js'

describe('the published JSON Schema', () => {
  it('in docs/ is the one the validator is built from (regenerate: driftcore workflow schema > docs/workflow.schema.json)', async () => {
    const published = JSON.parse(
      await readFile(path.join(REPO, 'docs/workflow.schema.json'), 'utf8'),
    ) as unknown
    expect(published).toEqual(workflowJsonSchema())
  })
})
