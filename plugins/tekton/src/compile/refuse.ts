import type { Route, WorkflowDefinition } from 'driftcore/api'
import { celTexts, strings, stepsRead } from './refs.js'

/** A construct with no Tekton equivalent: refused at compile time, never approximated. */
export interface Refusal {
  step: string
  construct: string
  reason: string
}

/** Which steps become `finally` tasks: clean-ups (`always`) and notifications nothing waits for. */
export function finallySteps(definition: WorkflowDefinition): Set<string> {
  const dependents = new Set(definition.steps.flatMap((s) => s.depends_on))
  return new Set(
    definition.steps
      .filter(
        (s) => s.always === true || (s.type === 'notify' && s.depends_on.length > 0 && !dependents.has(s.id)),
      )
      .map((s) => s.id),
  )
}

/**
 * Every construct of the workflow that Tekton cannot express as driftcore means it, each with
 * the step and the reason. A workflow with any is not compiled at all.
 */
export function refusals(
  definition: WorkflowDefinition,
  route: (topic: string, requires: readonly string[]) => Route,
): Refusal[] {
  const out: Refusal[] = []
  const ids = new Set(definition.steps.map((s) => s.id))
  const fin = finallySteps(definition)
  const dependentsOf = new Map<string, string[]>()
  for (const s of definition.steps)
    for (const d of s.depends_on) dependentsOf.set(d, [...(dependentsOf.get(d) ?? []), s.id])
  for (const step of definition.steps) {
    const refuse = (construct: string, reason: string) => out.push({ step: step.id, construct, reason })
    for (const { text, path } of strings(step))
      if (text.includes('$('))
        refuse(
          path.join('.'),
          'Tekton substitutes every $(…) in a Pipeline, so this text would not reach the step as written',
        )
    const cel = celTexts(step).join('\n')
    for (const m of cel.matchAll(/\benv\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)/g))
      refuse(
        `env.${m[1]}`,
        "env reads the environment of the machine that runs the step; in a pod that is the runner image's, not this project's",
      )
    if (/\brun\s*\.\s*created_at\b/.test(cel))
      refuse('run.created_at', 'a PipelineRun has no creation time its tasks can read')
    if (step.type === 'worker') {
      if (step.topic !== undefined) {
        const r = route(step.topic, step.meta?.requires ?? [])
        if (r.kind === 'none')
          refuse(
            `topic: ${step.topic}`,
            `${r.reason}; locally the job would go to the DLQ (no_pool_mapping), and a pipeline cannot hold an undeliverable job`,
          )
      }
      if (step.on_verdict === 'warn')
        refuse('on_verdict: warn', 'Tekton has no "succeeded with warnings" outcome: use fail or ignore')
    }
    if (fin.has(step.id)) {
      const kind = step.always ? 'always: true' : 'a notify step nothing depends on'
      const dependents = dependentsOf.get(step.id) ?? []
      if (dependents.length > 0)
        refuse(
          'always: true',
          `a clean-up becomes a Tekton finally task, and nothing can run after one (${dependents.join(', ')} depend on it)`,
        )
      for (const d of step.depends_on.filter((d) => fin.has(d)))
        refuse(
          `depends_on: ${d}`,
          `${kind} becomes a finally task, and so does ${d}; Tekton runs finally tasks side by side, never one after another`,
        )
      const read = [...stepsRead(step, ids)]
      if (step.always && read.length > 0)
        refuse(
          `steps.${read[0]}`,
          'a clean-up runs whatever its dependencies came to; Tekton skips a finally task whose inputs come from a task that failed, so the clean-up could not read them and still be sure to run',
        )
    }
  }
  return out
}
