import { ERROR_CODES, type DriftcoreError } from './driftcore-error.js'

/**
 * How every command reports a DriftcoreError, so the oclif commands and the entries that answer
 * without oclif (`tools call`, `audit tail|query`) print alike: the code's exit status, then
 * `{"error": …}` on stdout with --json, else `Error: <message>` and its hint on stderr.
 * `logJson` is oclif's writer when a command has one (it colours JSON for a terminal).
 */
export function printError(
  error: DriftcoreError,
  json: boolean,
  logJson: (value: unknown) => void = (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
): void {
  process.exitCode = ERROR_CODES[error.code]
  if (json) logJson({ error: error.toJSON() })
  else process.stderr.write(`Error: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`)
}
