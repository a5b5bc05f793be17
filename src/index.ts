/**
 * The plugin author's API. A plugin contributes tools and resources from an oclif hook named
 * `driftcore:capabilities`; the host validates them, and only its gate ever calls a handler.
 *
 * @example
 * ```ts
 * // src/hooks/capabilities.ts of a plugin; package.json: "oclif": {"hooks": {"driftcore:capabilities": "./dist/hooks/capabilities.js"}}
 * import { z } from 'zod'
 * import { defineCapabilities, defineTool } from 'driftcore'
 *
 * const hello = defineTool({
 *   id: 'hello.say',
 *   description: 'Says hello.',
 *   capability: 'demo.read',
 *   risk: ['read'],
 *   input: z.object({ name: z.string() }),
 *   output: z.object({ greeting: z.string() }),
 *   async run({ name }) {
 *     return { greeting: `hello ${name}` }
 *   },
 * })
 *
 * export default defineCapabilities({ tools: [hello] })
 * ```
 */
export * from './api.js'
export { DriftcoreCommand } from './cli/base-command.js'
export { ToolCommand } from './cli/tool-command.js'
