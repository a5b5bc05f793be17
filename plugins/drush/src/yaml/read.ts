import { parseYaml, readYamlFast } from 'driftcore/api'

/** Parses one config file's text; `file` names it in errors. */
export type YamlReader = (text: string, file: string) => unknown

/**
 * A config file parser: the host's fast path for speed, as a drift check may parse thousands
 * of files; on any error, or a file that may use anchors, the host's careful parser runs
 * instead, so problems are reported at file:line:col and alias expansion stays capped.
 */
export async function yamlReader(maxBytes: number): Promise<YamlReader> {
  return (text, file) => {
    const fast = readYamlFast(text, maxBytes)
    return fast !== undefined ? fast : (parseYaml(text, file, maxBytes).value ?? null)
  }
}
