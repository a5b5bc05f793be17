import type * as JsYaml from 'js-yaml'
import { parseYaml } from 'driftcore'

/** Parses one config file's text; `file` names it in errors. */
export type YamlReader = (text: string, file: string) => unknown

// Anchors (&a) and aliases (*a) can expand a small file into a huge value; js-yaml shares
// them by reference, and a later deep walk would still blow up. Files that may hold them take
// the host's parser, which caps alias expansion. Drupal never writes them.
const ANCHOR_OR_ALIAS = /(^|[\s[{,:-])[&*][^\s,[\]{}]/m

let loading: Promise<typeof JsYaml> | undefined

/**
 * A config file parser: js-yaml (YAML 1.2 core schema, duplicate keys refused) for speed, as
 * a drift check may parse thousands of files; on any error, or a file that may use anchors,
 * the host's careful parser runs instead, so problems are reported at file:line:col and alias
 * expansion stays capped. js-yaml loads on first use, keeping command start-up lean.
 */
export async function yamlReader(maxBytes: number): Promise<YamlReader> {
  const jsYaml = await (loading ??= import('js-yaml'))
  return (text, file) => {
    // Oversized files also go to the host's parser, which refuses them with the limit's message.
    if (Buffer.byteLength(text) <= maxBytes && !ANCHOR_OR_ALIAS.test(text)) {
      try {
        return jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, filename: file }) ?? null
      } catch {
        // The careful parser below reports the problem with its position.
      }
    }
    return parseYaml(text, file, maxBytes).value ?? null
  }
}
