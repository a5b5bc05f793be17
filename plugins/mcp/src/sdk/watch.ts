import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import {
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'

/**
 * Runs `regenerate` whenever the server says a list changed, one run at a time (a burst of
 * notifications becomes at most one more run), until `stop` aborts or the server goes away.
 */
export async function onCatalogChange(
  client: Client,
  regenerate: () => Promise<void>,
  stop: AbortSignal,
): Promise<void> {
  let running: Promise<void> | undefined
  let again = false
  const trigger = () => {
    if (running) {
      again = true
      return
    }
    running = (async () => {
      do {
        again = false
        await regenerate()
      } while (again)
    })().finally(() => {
      running = undefined
    })
  }
  for (const schema of [
    ToolListChangedNotificationSchema,
    ResourceListChangedNotificationSchema,
    PromptListChangedNotificationSchema,
  ])
    client.setNotificationHandler(schema, trigger)
  await new Promise<void>((resolve) => {
    stop.addEventListener('abort', () => resolve(), { once: true })
    client.onclose = () => resolve()
  })
  await running
}
