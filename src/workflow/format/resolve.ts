import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Redactor } from '../../audit/redact.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import { canonicalJson } from '../../store/hash.js'
import type { LoadedWorkflow } from './load.js'

/** A path, or a name under `.driftcore/workflows/` (with or without .yaml / .yml). */
export function resolveWorkflowFile(fileOrName: string, workflowsDir: string): string {
  if (existsSync(fileOrName)) return path.resolve(fileOrName)
  for (const ext of ['', '.yaml', '.yml']) {
    const candidate = path.join(workflowsDir, fileOrName + ext)
    if (existsSync(candidate)) return candidate
  }
  throw new DriftcoreError('not_found', `no workflow file ${fileOrName}`, {
    hint: `give a path, or a name under ${workflowsDir}`,
  })
}

/** Run input must match the workflow's input schema and hold no secret value. */
export function checkRunInput(loaded: LoadedWorkflow, input: unknown, redactor: Redactor): void {
  const problems = loaded.compiled.validateInput(input)
  if (problems.length > 0)
    throw new DriftcoreError(
      'invalid_input',
      `input does not match the input schema of ${loaded.definition.name}:\n  ${problems.join('\n  ')}`,
      { details: { problems } },
    )
  // The journal is redacted, so a secret value in the input would not survive a resume.
  if (canonicalJson(redactor.redact(input)) !== canonicalJson(input))
    throw new DriftcoreError('invalid_input', 'the input holds what looks like a secret value', {
      hint: 'pass it as a reference the tool resolves, e.g. secret://env/NAME',
    })
}
