import { z } from 'zod'

const mib = 1024 * 1024

/**
 * The `mcp:` config section. Defaults are secure on their own: loopback only, a token always
 * required, Origin checked, and the client asked to decide an approval only where policy
 * accepts its word and the server is not reachable from other machines.
 */
export const mcpConfigSection = z
  .strictObject({
    http: z
      .strictObject({
        host: z
          .string()
          .min(1)
          .default('127.0.0.1')
          .describe('address to bind; anything but loopback exposes the server to the network'),
        port: z.number().int().min(0).max(65_535).default(7800).describe('0 picks a free port'),
        token: z
          .string()
          .regex(/^secret:\/\//, 'must be a secret reference: secret://env/NAME or secret://file/PATH#key')
          .optional()
          .describe('the bearer token, as a secret reference (DRIFTCORE_MCP_TOKEN wins over it)'),
        allowed_hosts: z
          .array(z.string().min(1))
          .default([])
          .describe('Host header names accepted besides localhost, 127.0.0.1 and [::1]'),
        allowed_origins: z
          .array(z.url())
          .default([])
          .describe('browser Origins accepted besides http(s)://localhost, 127.0.0.1 and [::1]'),
        max_body_bytes: z
          .number()
          .int()
          .positive()
          .default(2 * mib),
        max_sessions: z
          .number()
          .int()
          .positive()
          .default(32)
          .describe('open sessions at most; when full, the least recently used idle one is closed'),
        session_idle_ms: z
          .number()
          .int()
          .positive()
          .default(5 * 60_000)
          .describe('a session with nothing pending and no request for this long is closed'),
      })
      .prefault({}),
    elicitation: z
      .strictObject({
        approvals: z
          .enum(['auto', 'on', 'off'])
          .default('auto')
          .describe(
            "ask the MCP client through elicitation to decide approvals whose policy accepts a client's word; auto: on for stdio and loopback HTTP",
          ),
        timeout_ms: z.number().int().positive().default(600_000),
      })
      .prefault({}),
  })
  .prefault({})

export type McpConfig = z.output<typeof mcpConfigSection>

/** The `mcp` section of a kernel's effective config values. */
export function mcpConfig(values: Readonly<Record<string, unknown>>): McpConfig {
  return mcpConfigSection.parse(values.mcp)
}
