import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Redactor } from '../../audit/redact.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import { canonicalJson } from '../../store/hash.js'
import type { LoadedWorkflow } from './load.js'

/** The packs that ship with driftcore (`packs/<pack>/workflows/`). */
export const BUILT_IN_PACKS = fileURLToPath(new URL('../../../packs', import.meta.url))

/**
 * A path, or a name looked up in the project's workflows, then in installed packs
 * (`.driftcore/packs/<pack>/workflows/`), then in the packs that ship with driftcore: the
 * project's own file of the same name always wins.
 */
export function resolveWorkflowFile(
  fileOrName: string,
  workflowsDir: string,
  packsDirs: readonly string[] = [],
): string {
  if (existsSync(fileOrName)) return path.resolve(fileOrName)
  const dirs = [workflowsDir, ...packsDirs.flatMap((packs) => packWorkflowDirs(packs))]
  for (const dir of dirs) {
    for (const ext of ['', '.yaml', '.yml']) {
      const candidate = path.join(dir, fileOrName + ext)
      if (existsSync(candidate)) return candidate
    }
  }
  throw new DriftcoreError('not_found', `no workflow file ${fileOrName}`, {
    hint: `give a path, or a name under ${workflowsDir} or a pack's workflows/ folder`,
  })
}

function packWorkflowDirs(packsDir: string): string[] {
  try {
    return readdirSync(packsDir)
      .sort()
      .map((pack) => path.join(packsDir, pack, 'workflows'))
  } catch {
    return []
  }
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
