import path from 'node:path'
import type { ProjectPaths } from '../../store/paths.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'

const RUN_ID = /^run_[0-9a-z_]+$/

/** Where one run keeps its files: `.driftcore/runs/<run_id>/`. */
export function runFiles(paths: ProjectPaths, runId: string) {
  if (!RUN_ID.test(runId))
    throw new DriftcoreError('invalid_input', `"${runId}" is not a run id`, {
      hint: 'run ids look like run_20260101_120000_ab12cd; list them with driftcore workflow list',
    })
  const dir = path.join(paths.runs, runId)
  return {
    dir,
    journal: path.join(dir, 'journal.jsonl'),
    workflow: path.join(dir, 'workflow.json'),
    owner: path.join(dir, 'owner.json'),
    cancel: path.join(dir, 'cancel.json'),
  }
}

export type RunFiles = ReturnType<typeof runFiles>
