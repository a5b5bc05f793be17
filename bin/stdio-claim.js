// `mcp serve` over stdio: stdout carries only protocol messages, whatever a plugin does while it
// loads (a console.log at module top level, in a hook, in a handler). So before oclif imports
// any plugin, process.stdout.write (which console.log uses too) goes to stderr, and the real
// writer is kept under a symbol the stdio transport claims. Decided from argv alone, since no
// plugin code may run first.
const PROTOCOL = Symbol.for('driftcore.stdio.protocol')

/** Whether these arguments start the stdio MCP server (the default transport of `mcp serve`). */
export function servesStdio(argv) {
  const words = argv.filter((a) => !a.startsWith('-'))
  const serve = (words[0] === 'mcp' && words[1] === 'serve') || words[0] === 'mcp:serve'
  if (!serve || argv.includes('--help') || argv.includes('-h')) return false
  const at = argv.indexOf('--transport')
  const transport = at === -1 ? argv.find((a) => a.startsWith('--transport='))?.slice(12) : argv[at + 1]
  return transport === undefined || transport === 'stdio'
}

export function claimStdoutEarly() {
  const stdout = process.stdout
  const write = stdout.write.bind(stdout)
  stdout.write = process.stderr.write.bind(process.stderr)
  globalThis[PROTOCOL] = {
    write: (chunk) => write(chunk),
    once: (event, listener) => stdout.once(event, listener),
  }
}
