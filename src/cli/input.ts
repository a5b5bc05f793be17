import { open } from 'node:fs/promises'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { checkNesting } from '../store/nesting.js'

const DEFAULT_MAX_INPUT_BYTES = 1024 * 1024

/**
 * `--input '{"a":1}'`, `--input @file.json`, or `--input -` for stdin. At most `maxBytes`
 * (limits.max_input_bytes) are read: an endless stream or /dev/zero is refused at the limit.
 */
export async function readJsonInput(
  value: string | undefined,
  options: { maxBytes?: number } = {},
): Promise<unknown> {
  if (value === undefined) return {}
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES
  let text = value
  let where = '--input'
  if (value === '-') {
    where = 'stdin'
    text = await readStdin(maxBytes)
  } else if (value.startsWith('@')) {
    where = value.slice(1)
    text = await readBounded(where, maxBytes)
  }
  if (Buffer.byteLength(text) > maxBytes) throw tooBig(where, maxBytes)
  checkNesting(text, where)
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new DriftcoreError('invalid_input', `${where} is not valid JSON: ${(error as Error).message}`, {
      hint: `e.g. --input '{"key": "value"}' or --input @input.json`,
    })
  }
}

function tooBig(where: string, maxBytes: number): DriftcoreError {
  return new DriftcoreError('invalid_input', `${where} is over limits.max_input_bytes (${maxBytes} bytes)`, {
    hint: 'send less, or raise limits.max_input_bytes',
  })
}

function readStdin(maxBytes: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      if (size > maxBytes) {
        process.stdin.off('data', onData)
        process.stdin.pause()
        process.stdin.destroy()
        reject(tooBig('stdin', maxBytes))
      }
    }
    process.stdin.on('data', onData)
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    process.stdin.on('error', reject)
  })
}

// Reads at most maxBytes + 1 bytes: enough to know a file (or a device) is over the limit.
async function readBounded(file: string, maxBytes: number): Promise<string> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch (error) {
    throw new DriftcoreError('not_found', `cannot read input file ${file}`, { cause: error })
  }
  try {
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, 64 * 1024 * 1024))
    let size = 0
    for (;;) {
      const { bytesRead } = await handle.read(buffer, size, buffer.length - size, null)
      if (bytesRead === 0) break
      size += bytesRead
      if (size > maxBytes) throw tooBig(file, maxBytes)
    }
    return buffer.toString('utf8', 0, size)
  } finally {
    await handle.close()
  }
}
