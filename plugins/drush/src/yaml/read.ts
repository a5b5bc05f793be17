import { parse } from 'yaml'
import { DriftcoreError, parseYaml } from 'driftcore'

/**
 * Parses one config file. The fast parser handles the good case; when it fails, the host's
 * careful parser runs again to place the problem at file:line:col. Either way duplicate keys
 * are refused and aliases capped, as everywhere in driftcore.
 */
export function readYaml(text: string, file: string, maxBytes: number): unknown {
  const bytes = Buffer.byteLength(text)
  if (bytes > maxBytes) {
    throw new DriftcoreError(
      'invalid_input',
      `${file} is ${bytes} bytes, over the ${maxBytes}-byte limit for YAML`,
      {
        hint: 'raise limits.max_yaml_bytes if this config object is really that big',
      },
    )
  }
  try {
    return parse(text, { uniqueKeys: true, maxAliasCount: 100, logLevel: 'error' }) as unknown
  } catch {
    // Throws the same problem, placed at file:line:col.
    return parseYaml(text, file, maxBytes).value
  }
}
