import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import yaml from 'js-yaml'
import { describe, expect, it } from 'vitest'
import { decodeUtf8 } from '../../../src/store/nesting.js'
import { PIECE, prettyJsonPieces, readTextFile } from '../../../src/store/pieces.js'
import { SHARED_FIXTURES } from '../../helpers/project.js'

const whole = (value: unknown) => [...prettyJsonPieces(value)].join('')

describe('prettyJsonPieces', () => {
  it('writes exactly the text of JSON.stringify(value, null, 2)', () => {
    const values: unknown[] = [
      null,
      'é\u2028"\\',
      [1, [2, []], {}],
      {},
      { a: [] },
      { a: undefined, f: () => 1, s: Symbol('s'), kept: null },
      { when: { toJSON: () => undefined }, d: new Date(0), n: new Number(3) },
      { list: [undefined, () => 1, { a: undefined, b: [{}, []] }], '\u00e9': 2, '10': 4, '9': 5 },
      { steps: { toJSON: () => ['as', 'given'] }, text: 'line\nbreak' },
      Object.assign(Object.create(null) as object, { b: [{ c: 1 }], a: 2 }),
      // A real, deeply nested document: the Gitea API description.
      JSON.parse(readFileSync(path.join(SHARED_FIXTURES, 'gitea/swagger.v1.json'), 'utf8')),
      yaml.loadAll(
        readFileSync(
          path.join(SHARED_FIXTURES, 'tekton/examples/pipelineruns', 'pipeline-object-param-and-result.yaml'),
          'utf8',
        ),
      ),
    ]
    for (const value of values) expect(whole(value)).toBe(JSON.stringify(value, null, 2))
  })

  it('never serializes a big list at once: each piece holds about PIECE characters', () => {
    const definition = {
      name: 'wide',
      steps: Array.from({ length: 20_000 }, (_, i) => ({ id: `s${i}`, type: 'worker', with: { i } })),
    }
    const pieces = [...prettyJsonPieces(definition)]
    expect(pieces.join('')).toBe(JSON.stringify(definition, null, 2))
    expect(pieces.length).toBeGreaterThan(10)
    for (const piece of pieces) expect(piece.length).toBeLessThan(PIECE + 200)
  })

  it('refuses a value JSON has no text for, as writing "undefined" would corrupt the file', () => {
    expect(() => whole(undefined)).toThrow(/no JSON text/)
  })
})

describe('readTextFile', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftcore-pieces-'))

  it('reads a file bigger than a piece, with characters split across pieces, as one decode would', async () => {
    const file = path.join(dir, 'big.yaml')
    // A two-byte character straddling the first boundary, a four-byte one the second, and a BOM.
    const text = '\ufeff' + 'a'.repeat(PIECE - 4) + 'é' + 'b'.repeat(PIECE - 3) + '😀' + 'tail\n'
    writeFileSync(file, text)
    const bytes = readFileSync(file)
    expect(await readTextFile(file)).toBe(decodeUtf8(bytes, file))
    expect((await readTextFile(file)).startsWith('a')).toBe(true)
  })

  it('refuses bad UTF-8 naming file:line:col, as a whole-file decode does', async () => {
    const file = path.join(dir, 'bad.yaml')
    writeFileSync(file, Buffer.concat([Buffer.from('x'.repeat(PIECE + 10) + '\nab'), Buffer.from([0xff])]))
    await expect(readTextFile(file)).rejects.toThrow(`${file}:2:3: not UTF-8 text (byte ${PIECE + 13})`)
  })

  it('stops at maxBytes: a file that grew past its checked size is refused, not read whole', async () => {
    const file = path.join(dir, 'grown.yaml')
    writeFileSync(file, 'x'.repeat(3 * PIECE))
    await expect(readTextFile(file, { maxBytes: PIECE + 1 })).rejects.toThrow(
      `${file} grew past the ${PIECE + 1}-byte limit while it was read`,
    )
    expect(await readTextFile(file, { maxBytes: 3 * PIECE })).toHaveLength(3 * PIECE)
  })

  it('says a missing file is missing (ENOENT), for the caller to name', async () => {
    await expect(readTextFile(path.join(dir, 'none.yaml'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
