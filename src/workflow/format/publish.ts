import { z } from 'zod'
import { workflowSchema } from './schema.js'

/**
 * The workflow format as a JSON Schema, generated from the same zod schema the validator uses,
 * so editors and the engine can never disagree about what a valid file is.
 */
export function workflowJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(workflowSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'urn:driftcore:schema:workflow:v1',
    title: 'driftcore workflow (apiVersion driftcore/v1, kind Workflow)',
  }
}
