import { createRequire } from 'node:module'
import type * as Yaml from 'yaml'

let lib: typeof Yaml | undefined

/**
 * The position-keeping YAML library, loaded on first use: a start reads config and policy with
 * js-yaml (`readYamlFast`) and needs this one only for an error's file:line:col, for text the
 * fast parser declines, and for `-c` values, so most commands never pay its module init.
 */
export function yamlLib(): typeof Yaml {
  return (lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml)
}
