import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { DockerfileParser, type Instruction } from 'dockerfile-ast'
import { beforeAll, describe, expect, it } from 'vitest'
import { REPO } from '../../../test/helpers/project.js'

// The runner image cannot be built here (no Docker engine), so its Dockerfile is checked as
// text, parsed by the same parser VS Code's Docker support uses.
const FILE = path.join(REPO, 'packaging/tekton/Dockerfile')
let text: string
let stages: {
  name: string | undefined
  image: string
  tag: string | undefined
  digest: string | undefined
  instructions: Instruction[]
}[]

beforeAll(async () => {
  text = await readFile(FILE, 'utf8')
  const dockerfile = DockerfileParser.parse(text)
  stages = []
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = dockerfile
        .getFROMs()
        .find((f) => f.getRange().start.line === instruction.getRange().start.line)!
      stages.push({
        name: from.getBuildStage() ?? undefined,
        image: from.getImageName() ?? '',
        tag: from.getImageTag() ?? undefined,
        digest: from.getImageDigest() ?? undefined,
        instructions: [],
      })
    } else stages.at(-1)?.instructions.push(instruction)
  }
})

const args = (i: Instruction) => i.getArgumentsContent() ?? ''
const final = () => stages.at(-1)!

describe('the runner image Dockerfile', () => {
  it('is multi-stage: a build stage and a named runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2)
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime'])
  })

  it('pins every base image: a version tag or a digest, never latest', () => {
    for (const s of stages) {
      expect(
        s.digest !== undefined || (s.tag !== undefined && s.tag !== 'latest'),
        `${s.image}:${s.tag}`,
      ).toBe(true)
      expect(s.tag ?? '', s.image).toMatch(/\d+\.\d+\.\d+/)
    }
  })

  it('runs as a non-root user in the final stage, set after everything that needs root', () => {
    const users = final().instructions.filter((i) => i.getKeyword() === 'USER')
    expect(users).toHaveLength(1)
    const user = args(users[0]!).split(':')[0]!
    expect(['root', '0', '']).not.toContain(user)
    const last = final().instructions.findLastIndex((i) => ['RUN', 'COPY', 'ADD'].includes(i.getKeyword()))
    expect(final().instructions.indexOf(users[0]!)).toBeGreaterThan(last)
  })

  it('has the CLI as its entrypoint, in exec form (no shell between Tekton’s args and the CLI)', () => {
    const entry = final().instructions.filter((i) => i.getKeyword() === 'ENTRYPOINT')
    expect(entry).toHaveLength(1)
    expect(JSON.parse(args(entry[0]!))).toEqual(['node', '/app/bin/run.js'])
  })

  it('bakes in no secret: no ENV, ARG or LABEL named like a token, key or password, no key files', () => {
    for (const s of stages)
      for (const i of s.instructions.filter((i) => ['ENV', 'ARG', 'LABEL'].includes(i.getKeyword())))
        expect(args(i), `${i.getKeyword()} ${args(i)}`).not.toMatch(/token|secret|passw|key|credential|auth/i)
    expect(text).not.toMatch(/DRIFTCORE_(MCP|SERVER)_TOKEN=/)
    expect(text).not.toMatch(/\.pem|id_ed25519|id_rsa|\.npmrc|\.driftcore/)
  })

  it('fetches nothing from outside the registry: no ADD of a URL, no curl or wget', () => {
    for (const s of stages)
      for (const i of s.instructions) {
        if (i.getKeyword() === 'ADD') expect(args(i)).not.toMatch(/https?:\/\//)
        if (i.getKeyword() === 'RUN') expect(args(i)).not.toMatch(/\b(curl|wget)\b/)
      }
  })

  it('ships only runtime dependencies: dev dependencies pruned, npm removed, nothing copied from the host into the final stage', () => {
    const build = stages[0]!.instructions
      .filter((i) => i.getKeyword() === 'RUN')
      .map(args)
      .join('\n')
    expect(build).toMatch(/npm ci --ignore-scripts/)
    expect(build).toMatch(/npm prune --omit=dev/)
    const runtime = final().instructions
    expect(
      runtime
        .filter((i) => i.getKeyword() === 'RUN')
        .map(args)
        .join('\n'),
    ).toMatch(/rm -rf \/usr\/local\/lib\/node_modules\/npm/)
    for (const copy of runtime.filter((i) => ['COPY', 'ADD'].includes(i.getKeyword())))
      expect(copy.getTextContent()).toMatch(/^COPY --from=build\b/)
  })

  it('copies the package.json of every workspace plugin the CLI loads, so a new plugin cannot be left out', async () => {
    const host = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as {
      oclif: { plugins: string[] }
    }
    const workspace = host.oclif.plugins
      .filter((p) => p.startsWith('@driftcore/plugin-'))
      .map((p) => p.replace('@driftcore/plugin-', ''))
    for (const name of workspace) expect(text).toContain(`COPY plugins/${name}/package.json plugins/${name}/`)
  })

  it('keeps keys, tokens and project state out of the build context', async () => {
    const ignore = (await readFile(`${FILE}.dockerignore`, 'utf8')).split('\n').map((l) => l.trim())
    for (const entry of [
      '**/.driftcore',
      '**/.env',
      '**/*.pem',
      '**/.npmrc',
      '**/node_modules',
      '**/mcp-token',
      '**/server-token',
    ])
      expect(ignore).toContain(entry)
  })
})
