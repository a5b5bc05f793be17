import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { CLI, REPO, tempProject } from '../helpers/project.js'

/**
 * Every command the docs show runs as shown. Each fenced `sh`/`bash`/`shell`/`console` block of
 * README.md, docs/**\/*.md and packs/**\/README.md runs in a fresh project for its page (one per
 * page, blocks in page order, commands in block order), through the real CLI as `driftcore`,
 * and must exit 0. An HTML comment right before a block changes that:
 *
 *   <!-- docs-test: skip (needs a live Drupal site) -->   not run; listed with its reason
 *   <!-- docs-test: exit 11 -->                            its last command exits 11
 *   <!-- docs-test: file .driftcore/workflows/x.yaml -->  (before any other block) writes it there
 *
 * In `console` blocks, and blocks that show a `$ ` prompt, only the prompted lines are
 * commands. A skip needs a reason.
 */

const MARKER = /^<!--\s*docs-test:\s*(skip|exit|file)\b\s*(.*?)\s*-->$/
const FENCE = /^(\s*)```([\w-]*)\s*$/
const SHELL = new Set(['sh', 'bash', 'shell', 'console'])

interface Block {
  page: string
  line: number
  lang: string
  text: string
  marker?: { kind: 'skip' | 'exit' | 'file'; arg: string }
}

async function markdownFiles(): Promise<string[]> {
  const found = ['README.md']
  const walk = async (dir: string, match: (name: string) => boolean) => {
    for (const entry of await readdir(path.join(REPO, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name)
      if (entry.isDirectory()) await walk(rel, match)
      else if (match(entry.name)) found.push(rel)
    }
  }
  await walk('docs', (n) => n.endsWith('.md'))
  await walk('packs', (n) => n === 'README.md')
  return found.sort()
}

function blocksOf(page: string, markdown: string): Block[] {
  const lines = markdown.split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!)
    if (!open) continue
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++)
      body.push(lines[i]!.slice(open[1]!.length))
    let before = start - 1
    while (before >= 0 && lines[before]!.trim() === '') before--
    const m = before >= 0 ? MARKER.exec(lines[before]!.trim()) : null
    blocks.push({
      page,
      line: start + 1,
      lang: open[2]!,
      text: body.join('\n'),
      ...(m ? { marker: { kind: m[1] as 'skip' | 'exit' | 'file', arg: m[2]! } } : {}),
    })
  }
  return blocks
}

/** The commands of a block: `\` continuations joined, heredocs kept whole, `$ ` prompts in console blocks. */
export function commandsOf(block: Pick<Block, 'lang' | 'text'>): string[] {
  const lines = block.text.split('\n')
  const commands: string[] = []
  // A block that shows a prompt anywhere shows output too: only its prompted lines are commands.
  const prompted = block.lang === 'console' || /^\s*\$ /m.test(block.text)
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!
    if (prompted) {
      const prompt = /^\s*\$ (.*)$/.exec(line)
      if (!prompt) continue
      line = prompt[1]!
    }
    if (line.trim() === '' || line.trim().startsWith('#')) continue
    let command = line
    while (command.endsWith('\\') && i + 1 < lines.length) command = `${command.slice(0, -1)}\n${lines[++i]}`
    const heredoc = /<<-?\s*['"]?(\w+)['"]?/.exec(command)
    if (heredoc) {
      while (i + 1 < lines.length) {
        command += `\n${lines[++i]}`
        if (lines[i]!.trim() === heredoc[1]) break
      }
    }
    commands.push(command)
  }
  return commands
}

interface PageRun {
  ran: { at: string; command: string; exitCode: number }[]
  skipped: { at: string; reason: string }[]
  failure?: string
}

// `driftcore` on PATH is this checkout's CLI, as a user who installed it would type it.
async function shim(dir: string): Promise<string> {
  const bin = path.join(dir, 'bin')
  await mkdir(bin, { recursive: true })
  await writeFile(path.join(bin, 'driftcore'), `#!/bin/sh\nexec node ${JSON.stringify(CLI)} "$@"\n`, {
    mode: 0o755,
  })
  return bin
}

async function runPage(page: string, blocks: Block[]): Promise<PageRun> {
  const result: PageRun = { ran: [], skipped: [] }
  const project = await tempProject()
  // A fresh folder, as a reader starts: the page's project is made by `driftcore init`.
  await rm(project.home, { recursive: true, force: true })
  const bin = await shim(await mkdtemp(path.join(os.tmpdir(), 'driftcore-docs-bin-')))
  const env = { ...project.env, PATH: `${bin}:${project.env.PATH ?? ''}` }
  const sh = (command: string) =>
    execa('bash', ['-c', command], {
      cwd: project.dir,
      env,
      extendEnv: false,
      reject: false,
      timeout: 60_000,
      stdin: 'ignore',
    })
  try {
    const init = await sh('driftcore init')
    if (init.exitCode !== 0) return { ...result, failure: `driftcore init failed: ${String(init.stderr)}` }
    for (const block of blocks) {
      const at = `${block.page}:${block.line}`
      if (block.marker?.kind === 'file') {
        const target = path.join(project.dir, block.marker.arg)
        await mkdir(path.dirname(target), { recursive: true })
        await writeFile(target, `${block.text}\n`)
        continue
      }
      if (block.lang === '' && /^\s*(\$ )?driftcore /m.test(block.text))
        return {
          ...result,
          failure: `${at}: a block showing driftcore commands has no language: make it \`\`\`sh so it is run`,
        }
      if (!SHELL.has(block.lang)) continue
      if (block.marker?.kind === 'skip') {
        if (!/^\(.+\)$/.test(block.marker.arg))
          return { ...result, failure: `${at}: a skip needs a (reason)` }
        result.skipped.push({ at, reason: block.marker.arg.slice(1, -1) })
        continue
      }
      const commands = commandsOf(block)
      for (const [i, command] of commands.entries()) {
        const expected =
          block.marker?.kind === 'exit' && i === commands.length - 1 ? Number(block.marker.arg) : 0
        const run = await sh(command)
        result.ran.push({ at, command, exitCode: run.exitCode ?? -1 })
        if (run.exitCode !== expected)
          return {
            ...result,
            failure: `${at}: \`${command}\` exited ${run.exitCode}, the page says ${expected}\n${String(run.stdout).slice(-1500)}\n${String(run.stderr).slice(-1500)}\n(mark the block <!-- docs-test: skip (why) --> if it cannot run here, e.g. it needs a live site)`,
          }
      }
    }
    return result
  } finally {
    await rm(path.dirname(bin), { recursive: true, force: true })
    await project.cleanup()
  }
}

const pages = await Promise.all(
  (await markdownFiles()).map(async (page) => ({
    page,
    blocks: blocksOf(page, await readFile(path.join(REPO, page), 'utf8')),
  })),
)

describe('every command in the docs runs as shown', () => {
  it('splits blocks into commands: prompts, continuations and heredocs', () => {
    expect(commandsOf({ lang: 'console', text: '$ driftcore a \\\n  --b\noutput\n$ driftcore c' })).toEqual([
      'driftcore a \n  --b',
      'driftcore c',
    ])
    expect(commandsOf({ lang: 'sh', text: "# note\ncat > x <<'EOF'\na\nEOF\ndriftcore d   # why" })).toEqual([
      "cat > x <<'EOF'\na\nEOF",
      'driftcore d   # why',
    ])
  })

  const tested = (b: Block) => SHELL.has(b.lang) || (b.lang === '' && /^\s*(\$ )?driftcore /m.test(b.text))
  for (const { page, blocks } of pages.filter((p) => p.blocks.some(tested))) {
    it.concurrent(
      page,
      async () => {
        const run = await runPage(page, blocks)
        if (run.skipped.length > 0)
          console.info(`${page}: skipped ${run.skipped.map((s) => `${s.at} (${s.reason})`).join(', ')}`)
        expect(run.failure).toBeUndefined()
      },
      300_000,
    )
  }
})
