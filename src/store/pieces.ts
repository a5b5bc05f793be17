import { open, readFile } from 'node:fs/promises'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { isPlain } from './hash.js'
import { decodeUtf8 } from './nesting.js'

/**
 * Big files read and written in pieces of at most PIECE bytes. A whole-file buffer of a few MB
 * is one malloc outside the V8 heap, served by mmap; when it is freed, glibc raises its mmap
 * threshold to that size (mallopt(3), "dynamic mmap threshold"), and from then on the process
 * keeps the blocks it frees below that size instead of returning them. One 50,000-step
 * workflow file read whole, and its definition serialized whole for workflow.json, left a run
 * holding ~22 MB more at its peak (issue 16 item 1). V8's own JSON.stringify grows such a
 * buffer too, so a big value is serialized one member or element at a time.
 */
export const PIECE = 64 * 1024

/**
 * A UTF-8 text file, read through one PIECE-sized buffer. Bad UTF-8 is refused as
 * `decodeUtf8` refuses it, naming file:line:col (that rare case reads the file whole to find
 * the byte). With `maxBytes`, reading stops there: a file that grows after its size was
 * checked (another process appending to it) is refused rather than read into memory whole.
 */
export async function readTextFile(file: string, options: { maxBytes?: number } = {}): Promise<string> {
  const handle = await open(file, 'r')
  let text = ''
  let bytes = 0
  try {
    const piece = Buffer.allocUnsafeSlow(PIECE)
    const decoder = new TextDecoder('utf-8', { fatal: true })
    for (;;) {
      const { bytesRead } = await handle.read(piece, 0, PIECE, null)
      if (bytesRead === 0) break
      bytes += bytesRead
      if (options.maxBytes !== undefined && bytes > options.maxBytes)
        throw new DriftcoreError(
          'invalid_input',
          `${file} grew past the ${options.maxBytes}-byte limit while it was read`,
          {
            hint: 'something is writing to it: retry once it is complete',
          },
        )
      text += decoder.decode(piece.subarray(0, bytesRead), { stream: true })
    }
    return text + decoder.decode()
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    return decodeUtf8(await readFile(file), file)
  } finally {
    await handle.close()
  }
}

/**
 * `JSON.stringify(value, null, 2)`, the same text, in pieces of about PIECE characters: a
 * plain object is written member by member and an array member element by element, so no
 * step of it serializes more than one element. Anything else (a toJSON, a class) is
 * serialized whole, as JSON.stringify would.
 */
export function* prettyJsonPieces(value: unknown): Generator<string> {
  if (!isPlainObject(value)) {
    const whole = JSON.stringify(value, null, 2) as string | undefined
    if (whole === undefined) throw new TypeError('the value has no JSON text')
    yield whole
    return
  }
  let text = ''
  const emit = function* (part: string) {
    text += part
    if (text.length >= PIECE) {
      yield text
      text = ''
    }
  }
  let first = true
  for (const [key, member] of Object.entries(value)) {
    const elements = Array.isArray(member) && member.length > 0 && !('toJSON' in member)
    const whole = elements ? '' : (JSON.stringify(member, null, 2) as string | undefined)
    // Left out as JSON.stringify leaves it out: undefined, a function, a toJSON giving undefined.
    if (whole === undefined) continue
    yield* emit(`${first ? '{\n' : ',\n'}  ${JSON.stringify(key)}: `)
    first = false
    if (!elements) {
      yield* emit(indent(whole, '  '))
      continue
    }
    const list = member as unknown[]
    for (let i = 0; i < list.length; i++) {
      const element = (JSON.stringify(list[i], null, 2) as string | undefined) ?? 'null'
      yield* emit(`${i === 0 ? '[\n' : ',\n'}    ${indent(element, '    ')}`)
    }
    yield* emit('\n  ]')
  }
  yield text + (first ? '{}' : '\n}')
}

// JSON text holds no raw newline but the ones the indentation put there.
const indent = (json: string, pad: string) => json.replaceAll('\n', `\n${pad}`)

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && isPlain(value)
