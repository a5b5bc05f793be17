import os from 'node:os'
import type { Actor } from '../audit/record.js'
import { DriftcoreError } from '../errors/driftcore-error.js'

/**
 * Who is acting on the command line: DRIFTCORE_ACTOR=type:id when set (CI sets `ci:…`, a
 * wrapper for an agent sets `agent:…`), otherwise a CI runner or the logged-in person.
 */
export function actorFromEnv(env: NodeJS.ProcessEnv = process.env): Actor {
  const declared = env.DRIFTCORE_ACTOR
  if (declared) {
    const match = /^(human|agent|ci|workflow|system):(.+)$/.exec(declared)
    if (!match) {
      throw new DriftcoreError('invalid_input', `DRIFTCORE_ACTOR="${declared}" is not type:id`, {
        hint: 'type is one of human, agent, ci, workflow, system; e.g. DRIFTCORE_ACTOR=human:alice',
      })
    }
    return { type: match[1]!, id: match[2]! }
  }
  if (env.CI === 'true' || env.GITHUB_ACTIONS === 'true')
    return { type: 'ci', id: env.GITHUB_ACTOR ?? env.GITHUB_WORKFLOW ?? 'ci' }
  let user = env.USER ?? env.LOGNAME
  try {
    user ??= os.userInfo().username
  } catch {
    user ??= 'unknown'
  }
  return { type: 'human', id: user }
}
