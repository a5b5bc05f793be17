#!/usr/bin/env node
// `driftcore --version` answers without loading oclif and every plugin's manifest: it is what
// scripts and health checks call most, so it should cost a bare node start.
if (process.argv.length === 3 && process.argv[2] === '--version') {
  const { readFileSync } = await import('node:fs')
  const { name, version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const { enableCompileCache } = await import('./compile-cache.js')
  enableCompileCache()
  // A reader that stops early (`driftcore tools list | head`) is not an error: the command
  // still finishes, so what it recorded is flushed, and exits as it would have.
  process.stdout.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error
  })
  // `audit tail` and `audit query` read files only: they answer without oclif and the plugins'
  // manifests (a third of their memory) when the command line is one the direct entry answers
  // exactly as the oclif command would; any other line (--help, --server, -c, …) goes to oclif.
  const [topic, command] = process.argv.slice(2)
  let direct =
    topic === 'audit' && (command === 'tail' || command === 'query')
      ? await (await import('../dist/audit/direct-cli.js')).runDirect(process.argv.slice(2))
      : false
  if (!direct) {
    const { lendHostModules } = await import('./host-modules.js')
    lendHostModules()
    // `tools call` likewise, through the bundle, when the plugins are the shipped ones only
    // (dist/cli/direct-call.js says exactly when).
    if (topic === 'tools' && command === 'call') {
      const [{ runDirectCall }, { fileURLToPath }] = await Promise.all([
        import('../dist/cli/direct-call.js'),
        import('node:url'),
      ])
      direct = await runDirectCall(process.argv.slice(2), fileURLToPath(new URL('..', import.meta.url)))
    }
  }
  if (!direct) {
    const { claimStdoutEarly, servesStdio } = await import('./stdio-claim.js')
    if (servesStdio(process.argv.slice(2))) claimStdoutEarly()
    const { Config, execute } = await import('@oclif/core')
    const { containPluginHooks } = await import('../dist/cli/plugin-hooks.js')
    containPluginHooks(Config)
    // Not awaited at top level: oclif waits for stdout to drain after the command, which a closed
    // pipe never does, and an unsettled top-level await would turn a finished command into exit 13.
    void execute({ dir: import.meta.url })
  }
}
