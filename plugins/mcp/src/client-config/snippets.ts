export type ClientName = 'claude' | 'vscode' | 'cursor'

export type ServerTarget =
  | { transport: 'stdio'; command: string; args: string[] }
  /** `authorization` is the header value, a reference the client expands unless asked otherwise. */
  | { transport: 'http'; url: string; authorization: string }

export interface ClientSnippet {
  client: ClientName
  /** Where the client reads it, most specific first. */
  files: string[]
  config: Record<string, unknown>
}

const TOKEN_INPUT = 'driftcore-mcp-token'

/**
 * The configuration each client expects. Claude (Code and Desktop) and Cursor use
 * `mcpServers`; VS Code uses `servers` and prompts for secrets through `inputs`. Each client
 * expands a different variable syntax, so the token reference differs too.
 */
export function clientSnippet(client: ClientName, name: string, target: ServerTarget): ClientSnippet {
  switch (client) {
    case 'claude':
      return {
        client,
        files: [
          '.mcp.json (Claude Code, project)',
          'claude_desktop_config.json (Claude Desktop, stdio only)',
        ],
        config: {
          mcpServers: {
            [name]:
              target.transport === 'stdio'
                ? { type: 'stdio', command: target.command, args: target.args, env: {} }
                : { type: 'http', url: target.url, headers: { Authorization: target.authorization } },
          },
        },
      }
    case 'cursor':
      return {
        client,
        files: ['.cursor/mcp.json (project)', '~/.cursor/mcp.json (user)'],
        config: {
          mcpServers: {
            [name]:
              target.transport === 'stdio'
                ? { command: target.command, args: target.args }
                : { url: target.url, headers: { Authorization: target.authorization } },
          },
        },
      }
    case 'vscode': {
      const prompted =
        target.transport === 'http' && target.authorization.includes(`\${input:${TOKEN_INPUT}}`)
      return {
        client,
        files: ['.vscode/mcp.json (workspace)', 'the user profile mcp.json (MCP: Open User Configuration)'],
        config: {
          ...(prompted
            ? {
                inputs: [
                  {
                    type: 'promptString',
                    id: TOKEN_INPUT,
                    description: 'driftcore MCP bearer token',
                    password: true,
                  },
                ],
              }
            : {}),
          servers: {
            [name]:
              target.transport === 'stdio'
                ? { type: 'stdio', command: target.command, args: target.args }
                : { type: 'http', url: target.url, headers: { Authorization: target.authorization } },
          },
        },
      }
    }
  }
}

/** How each client refers to the token without writing it into the file. */
export function tokenReference(client: ClientName, envName: string): string {
  if (client === 'vscode') return `Bearer \${input:${TOKEN_INPUT}}`
  if (client === 'cursor') return `Bearer \${env:${envName}}`
  return `Bearer \${${envName}}`
}
