import { DriftcoreError } from '../errors/driftcore-error.js'
import { removeHint } from './refusals.js'
import type { PromptDefinition } from './types.js'

// `prefix.name`: the prefix is one the plugin owns, so policy-like globs and people can tell
// whose a prompt is; the flagship prompts of the MCP server have no dot and never collide.
const PROMPT_NAME = /^[a-z][a-zA-Z0-9]*\.[a-z][a-zA-Z0-9-]*$/

/** Refuses a prompt definition that is malformed, naming the plugin and every problem. */
export function checkPrompt(prompt: PromptDefinition, plugin: string): void {
  if (prompt === null || typeof prompt !== 'object')
    throw new DriftcoreError(
      'invalid_input',
      `plugin ${plugin} is refused: its prompts list holds something that is not a prompt`,
      {
        hint: removeHint(plugin),
      },
    )
  const problems: string[] = []
  if (typeof prompt.name !== 'string' || !PROMPT_NAME.test(prompt.name))
    problems.push('name must look like prefix.name (letters, digits and dashes)')
  if (!prompt.description) problems.push('description is required')
  if (typeof prompt.render !== 'function') problems.push('render must be a function')
  const names = new Set<string>()
  for (const argument of Array.isArray(prompt.arguments) ? prompt.arguments : []) {
    if (typeof argument?.name !== 'string' || argument.name === '')
      problems.push('every argument needs a name')
    else if (names.has(argument.name)) problems.push(`argument "${argument.name}" is declared twice`)
    else names.add(argument.name)
  }
  if (prompt.arguments !== undefined && !Array.isArray(prompt.arguments))
    problems.push('arguments must be a list')
  if (problems.length > 0)
    throw new DriftcoreError(
      'invalid_input',
      `plugin ${plugin} contributes an invalid prompt "${String(prompt.name)}": ${problems.join('; ')}`,
      { hint: removeHint(plugin) },
    )
}
