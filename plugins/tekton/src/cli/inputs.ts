import { DriftcoreError, readJsonInput } from 'driftcore/api'

/**
 * `--input` values: `k=v` pairs (v read as JSON when it is JSON, else as a string), or one whole
 * input as JSON, `@file.json` or `-`, as `workflow run --input` takes it.
 */
export async function readInputs(
  values: readonly string[],
  maxBytes: number,
): Promise<Record<string, unknown>> {
  const whole = values.filter((v) => /^\s*[{@]|^-$/.test(v))
  if (whole.length > 1 || (whole.length === 1 && values.length > 1))
    throw new DriftcoreError('invalid_input', 'give either one whole --input (JSON, @file, -) or k=v pairs', {
      hint: `--input site=default --input force=true, or --input '{"site":"default"}'`,
    })
  if (whole.length === 1) {
    const input = await readJsonInput(whole[0], { maxBytes })
    if (input === null || typeof input !== 'object' || Array.isArray(input))
      throw new DriftcoreError('invalid_input', 'the run input must be a JSON object')
    return input as Record<string, unknown>
  }
  const input: Record<string, unknown> = {}
  for (const pair of values) {
    const at = pair.indexOf('=')
    if (at <= 0)
      throw new DriftcoreError('invalid_input', `--input ${pair} is not k=v`, {
        hint: '--input site=default',
      })
    const key = pair.slice(0, at)
    const text = pair.slice(at + 1)
    if (Object.hasOwn(input, key)) throw new DriftcoreError('invalid_input', `--input ${key} is given twice`)
    let value: unknown = text
    try {
      value = JSON.parse(text)
    } catch {
      // Not JSON: the text itself, as a string.
    }
    input[key] = value
  }
  return input
}
