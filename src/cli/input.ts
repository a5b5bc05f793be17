import { readFile } from 'node:fs/promises'
import { DriftcoreError } from '../errors/driftcore-error.js'

/** `--input '{"a":1}'`, `--input @file.json`, or `--input -` for stdin. */
export async function readJsonInput(value: string | undefined): Promise<unknown> {
  if (value === undefined) return {}
  let text = value
  let where = '--input'
  if (value === '-') {
    text = await new Promise<string>((resolve, reject) => {
      let data = ''
      process.stdin.setEncoding('utf8')
      process.stdin.on('data', (chunk: string) => (data += chunk))
      process.stdin.on('end', () => resolve(data))
      process.stdin.on('error', reject)
    })
    where = 'stdin'
  } else if (value.startsWith('@')) {
    where = value.slice(1)
    try {
      text = await readFile(where, 'utf8')
    } catch (error) {
      throw new DriftcoreError('not_found', `cannot read input file ${where}`, { cause: error })
    }
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new DriftcoreError('invalid_input', `${where} is not valid JSON: ${(error as Error).message}`, {
      hint: `e.g. --input '{"key": "value"}' or --input @input.json`,
    })
  }
}
