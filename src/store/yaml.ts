import { readFile, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type * as JsYaml from 'js-yaml'
import type { Document, LineCounter, Node } from 'yaml'
import type { z } from 'zod'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { checkNesting, decodeUtf8 } from './nesting.js'
import { yamlLib } from './yaml-lib.js'

export const DEFAULT_MAX_YAML_BYTES = 1024 * 1024

export interface YamlProblem {
  file: string
  line: number
  col: number
  path: string
  message: string
}

interface ParsedYaml {
  doc: Document.Parsed
  lines: LineCounter
  value: unknown
}

function problemError(problems: YamlProblem[], what: string): DriftcoreError {
  const lines = problems.map(
    (p) => `${p.file}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}`,
  )
  return new DriftcoreError('invalid_input', `${what} is not valid:\n  ${lines.join('\n  ')}`, {
    details: { problems },
  })
}

/**
 * Parses YAML with the guards a tool reading untrusted files needs: a size cap, duplicate keys
 * refused, alias expansion capped (billion-laughs), and every error placed at file:line:col.
 */
export function parseYaml(text: string, file: string, maxBytes = DEFAULT_MAX_YAML_BYTES): ParsedYaml {
  const bytes = Buffer.byteLength(text)
  if (bytes > maxBytes) {
    throw new DriftcoreError(
      'invalid_input',
      `${file} is ${bytes} bytes, over the ${maxBytes}-byte limit for YAML`,
      {
        hint: 'split the file, or raise limits.max_yaml_bytes',
      },
    )
  }
  checkNesting(text, file, { yaml: true })
  const { LineCounter, parseDocument } = yamlLib()
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false })
  if (doc.errors.length > 0) {
    throw problemError(
      doc.errors.map((e) => ({
        file,
        ...lines.linePos(e.pos[0]),
        path: '',
        message: e.message.split('\n')[0] ?? e.message,
      })),
      file,
    )
  }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: 100 })
  } catch (error) {
    throw new DriftcoreError('invalid_input', `${file}: ${(error as Error).message}`, {
      hint: 'YAML aliases are limited to stop alias bombs; inline the repeated values',
      cause: error,
    })
  }
  return { doc, lines, value }
}

/**
 * parseYaml's result for files read on every start (config layers, policy bundles): the values
 * come from the fast parser, and the position-keeping parse runs only when something asks for a
 * position (an error at file:line:col) or when the fast parser declines the text. Same guards:
 * the size cap and nesting check first, duplicate keys and aliases to parseYaml.
 */
export function parseYamlValues(text: string, file: string, maxBytes = DEFAULT_MAX_YAML_BYTES): ParsedYaml {
  checkNesting(text, file, { yaml: true })
  const value = readYamlFast(text, maxBytes)
  if (value === undefined) return parseYaml(text, file, maxBytes)
  let full: ParsedYaml | undefined
  const positions = () => (full ??= parseYaml(text, file, maxBytes))
  return {
    value,
    get doc() {
      return positions().doc
    },
    get lines() {
      return positions().lines
    },
  }
}

/**
 * The line and column of the node at `path` (its value, or with `at: 'key'` its key), or of the
 * nearest ancestor that exists.
 */
export function positionOf(
  parsed: ParsedYaml,
  path: readonly PropertyKey[],
  at: 'key' | 'value' = 'value',
): { line: number; col: number } {
  const { isMap, isSeq } = yamlLib()
  let node: unknown = parsed.doc.contents
  let offset = (node as Node | null)?.range?.[0] ?? 0
  for (const [i, key] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key)
      if (!pair) break
      const last = i === path.length - 1
      const target = last && at === 'value' && pair.value ? (pair.value as Node) : (pair.key as Node)
      offset = target.range?.[0] ?? offset
      node = pair.value
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key]
      offset = (node as Node | undefined)?.range?.[0] ?? offset
    } else break
  }
  return parsed.lines.linePos(offset)
}

/** Validates a parsed document against a zod schema, placing each failure at file:line:col. */
export function validateYaml<S extends z.ZodType>(parsed: ParsedYaml, schema: S, file: string): z.output<S> {
  const result = schema.safeParse(parsed.value)
  if (result.success) return result.data
  const problems: YamlProblem[] = result.error.issues.flatMap((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined]
    return keys.map((key) => {
      const path = key === undefined ? issue.path : [...issue.path, key]
      const { line, col } = positionOf(parsed, path, key === undefined ? 'value' : 'key')
      const message = key === undefined ? issue.message : `unknown key "${key}"`
      return { file, line, col, path: path.map(String).join('.'), message }
    })
  })
  throw problemError(problems, file)
}

export function loadYamlText<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  maxBytes = DEFAULT_MAX_YAML_BYTES,
): z.output<S> {
  return validateYaml(parseYaml(text, file, maxBytes), schema, file)
}

export async function loadYamlFile<S extends z.ZodType>(
  file: string,
  schema: S,
  maxBytes = DEFAULT_MAX_YAML_BYTES,
): Promise<z.output<S>> {
  const size = (await stat(file)).size
  if (size > maxBytes) {
    throw new DriftcoreError(
      'invalid_input',
      `${file} is ${size} bytes, over the ${maxBytes}-byte limit for YAML`,
      {
        hint: 'split the file, or raise limits.max_yaml_bytes',
      },
    )
  }
  return loadYamlText(decodeUtf8(await readFile(file), file), file, schema, maxBytes)
}

// Anchors (&a) and aliases (*a) can expand a small file into a huge value; js-yaml shares them
// by reference and a later deep walk would still blow up. Text that may hold them goes to
// parseYaml, which caps alias expansion.
const ANCHOR_OR_ALIAS = /(^|[\s[{,:-])[&*][^\s,[\]{}]/m
let jsYaml: typeof JsYaml | undefined

/**
 * The fast path: js-yaml (YAML 1.2 core schema, duplicate keys refused) parses several times
 * faster than the position-keeping parser. It answers only for plain text within the size
 * limit; `undefined` means "use parseYaml", which also reports the error with its position.
 */
export function readYamlFast(text: string, maxBytes = DEFAULT_MAX_YAML_BYTES): unknown {
  if (Buffer.byteLength(text) > maxBytes || ANCHOR_OR_ALIAS.test(text)) return undefined
  jsYaml ??= createRequire(import.meta.url)('js-yaml') as typeof JsYaml
  try {
    return jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA }) ?? null
  } catch {
    return undefined
  }
}
