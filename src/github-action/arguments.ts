import { DriftcoreError } from '../errors/driftcore-error.js'

/**
 * The action's `args` input as argv, never through a shell: words split on whitespace, or a
 * JSON array of strings when an argument holds spaces. `--json` is added, since the action
 * reads the command's result.
 */
export function commandArguments(text: string | undefined): string[] {
  const trimmed = (text ?? '').trim()
  let args: string[]
  if (trimmed.startsWith('[')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch (error) {
      throw new DriftcoreError('invalid_input', `args is not a JSON array: ${(error as Error).message}`, {
        hint: 'give the words of the command, e.g. `drift check --baseline config/sync`, or a JSON array of strings',
      })
    }
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string'))
      throw new DriftcoreError('invalid_input', 'args as JSON must be an array of strings', {
        hint: 'e.g. ["workflow", "run", "deploy.yaml", "--input", "{\\"env\\": \\"prod\\"}"]',
      })
    args = parsed
  } else {
    args = trimmed.split(/\s+/).filter(Boolean)
  }
  if (args.length === 0)
    throw new DriftcoreError('invalid_input', 'args is empty: name the driftcore command to run', {
      hint: 'e.g. args: drift check --baseline config/sync',
    })
  if (args[0] === 'driftcore') args.shift()
  return args.includes('--json') ? args : [...args, '--json']
}

/** `allow-exit-codes`: "1, 5" → {1, 5}. */
export function allowedExitCodes(text: string | undefined): Set<number> {
  const codes = new Set<number>([0])
  for (const part of (text ?? '').split(/[\s,]+/).filter(Boolean)) {
    if (!/^\d{1,3}$/.test(part))
      throw new DriftcoreError('invalid_input', `allow-exit-codes: "${part}" is not an exit code`, {
        hint: 'a comma-separated list of numbers, e.g. "1" to report drift without failing the step',
      })
    codes.add(Number(part))
  }
  return codes
}
