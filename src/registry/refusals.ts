import { DriftcoreError } from '../errors/driftcore-error.js'

// The errors a refused plugin is listed with: each names the plugin, the problem and the fix.

export function removeHint(plugin: string): string {
  return `fix the plugin, or remove it: driftcore plugins uninstall ${plugin}`
}

export function refusal(plugin: string, problem: string): DriftcoreError {
  return new DriftcoreError('invalid_input', `plugin ${plugin} is refused: ${problem}`, {
    hint: removeHint(plugin),
  })
}

export function outsidePrefixes(
  plugin: string,
  what: string,
  prefixes: readonly string[],
  sep: string,
): DriftcoreError {
  const owned = prefixes.length > 0 ? prefixes.map((p) => `${p}${sep}`).join(', ') : 'none'
  return new DriftcoreError(
    'invalid_input',
    `plugin ${plugin} is refused: ${what} is outside the names it owns (${owned})`,
    {
      hint: `a plugin names its tools, resources and config sections after the prefixes in its package.json ("driftcore": {"prefixes": [...], "resources": [...]}), which no other plugin may claim; or remove it: driftcore plugins uninstall ${plugin}`,
    },
  )
}

export function claimedTwice(kind: string, prefix: string, first: string, second: string): DriftcoreError {
  return new DriftcoreError(
    'conflict',
    `plugin ${second} is refused: ${kind} "${prefix}" is already owned by ${first}`,
    {
      hint: `two plugins cannot own the same names; remove one of them: driftcore plugins uninstall ${second}`,
    },
  )
}

export function reexported(
  plugin: string,
  what: string,
  part: string,
  ownerName: string,
  ownerPlugin: string | undefined,
): DriftcoreError {
  return new DriftcoreError(
    'forbidden',
    `plugin ${plugin} is refused: its ${what} reuses the ${part} of ${ownerName}${ownerPlugin ? ` (${ownerPlugin})` : ''}; a plugin may not contribute another plugin's handlers`,
    { hint: removeHint(plugin) },
  )
}

export function duplicate(kind: string, id: string, first: string, second: string): DriftcoreError {
  const by = first === second ? `twice by ${first}` : `by both ${first} and ${second}`
  return new DriftcoreError('conflict', `plugin ${second} is refused: ${kind} "${id}" is contributed ${by}`, {
    hint: `uninstall one of them: driftcore plugins uninstall ${second}`,
  })
}
