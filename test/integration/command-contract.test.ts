import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { expect, it } from 'vitest'
import { CLI, REPO, tempProject } from '../helpers/project.js'

interface ManifestCommand {
  summary?: string
  description?: string
  examples?: string[]
  flags?: Record<string, unknown>
}

// Servers stream a protocol on stdout; there is no single result to print as JSON.
const NO_JSON = new Set(['mcp:serve', 'serve'])

it('every driftcore command has a summary, --help examples and --json (the built manifests say so)', async () => {
  const manifests = ['.', 'plugins/drush', 'plugins/mcp', 'plugins/scaffold', 'plugins/tekton'].map((dir) =>
    path.join(REPO, dir, 'oclif.manifest.json'),
  )
  const problems: string[] = []
  let count = 0
  for (const file of manifests) {
    const { commands } = JSON.parse(await readFile(file, 'utf8')) as {
      commands: Record<string, ManifestCommand>
    }
    for (const [id, command] of Object.entries(commands)) {
      count += 1
      if (!command.summary && !command.description) problems.push(`${id}: no summary`)
      if (!command.examples?.length) problems.push(`${id}: no examples`)
      if (!NO_JSON.has(id) && !command.flags?.json) problems.push(`${id}: no --json`)
    }
  }
  expect(problems).toEqual([])
  expect(count).toBeGreaterThan(50)
})

it('a reader that stops early (`driftcore tools list | head -n 1`) ends the command quietly with its own exit code', async () => {
  const project = await tempProject()
  try {
    for (const args of [['--help'], ['tools', 'list'], ['nosuch']]) {
      const writer = execa('node', [CLI, ...args], {
        cwd: project.dir,
        env: project.env,
        extendEnv: false,
        reject: false,
      })
      const reader = await writer.pipe('head', ['-n', '1'], { reject: false })
      const result = reader.pipedFrom[0]!
      expect(result.stderr, args.join(' ')).not.toMatch(/unsettled|EPIPE|Error: write/)
      // 127: the shell's "command not found".
      expect(result.exitCode, args.join(' ')).toBe(args[0] === 'nosuch' ? 127 : 0)
    }
  } finally {
    await project.cleanup()
  }
})

it('an unknown command names the nearest one and exits 127, on a pipe and on a terminal, without a prompt', async () => {
  const project = await tempProject()
  try {
    const run = (args: string[]) =>
      execa('node', [CLI, ...args], { cwd: project.dir, env: project.env, extendEnv: false, reject: false })
    const typo = await run(['tools', 'lst'])
    expect(typo.exitCode).toBe(127)
    expect(typo.stderr.replace(/\s*›\s*/g, ' ')).toContain(
      'tools lst is not a driftcore command. Did you mean tools list? Run driftcore help tools for the commands.',
    )
    const far = await run(['xyzzy'])
    expect(far.exitCode).toBe(127)
    expect(far.stderr).not.toContain('Did you mean')
    // A pseudo-terminal, as an agent in tmux has: the same words, no question waiting for a key.
    const tty = await execa('script', ['-qefc', `node ${CLI} tols list`, '/dev/null'], {
      cwd: project.dir,
      env: project.env,
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    })
    expect(tty.exitCode).toBe(127)
    const text = String(tty.stdout).replace(/\s*›\s*/g, ' ')
    expect(text).toContain('tols list is not a driftcore command. Did you mean tools list?')
    expect(text).not.toMatch(/\(Y\/n\)/i)
  } finally {
    await project.cleanup()
  }
})
