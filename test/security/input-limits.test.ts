import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CLI, runCli, tempProject, type TempProject } from '../helpers/project.js'
import { linkHello } from '../helpers/workflow-cli.js'

let project: TempProject
beforeEach(async () => {
  project = await tempProject()
  await linkHello(project)
})
afterEach(() => project.cleanup())

const noStack = (text: string) => {
  expect(text).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/)
  expect(text).not.toContain('Maximum call stack size exceeded')
}

describe('input an agent sends without limits', () => {
  it('--input - from an endless stream stops at max_input_bytes with a clear invalid_input', async () => {
    const child = execa('node', [CLI, 'tools', 'call', 'hello.greet', '--input', '-'], {
      cwd: project.dir,
      env: project.env,
      extendEnv: false,
      reject: false,
      stdin: 'pipe',
    })
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let open = true
    child.stdin.on('error', () => (open = false))
    void child.finally(() => (open = false))
    void (async () => {
      while (open) {
        if (!child.stdin.write(chunk)) await new Promise((resolve) => child.stdin.once('drain', resolve))
      }
    })()
    const result = await child
    expect(result.exitCode).toBe(2)
    expect(String(result.stderr)).toContain('stdin is over limits.max_input_bytes')
    noStack(String(result.stderr))
  })

  it('--input @/dev/zero is refused at the limit, not read to the end', async () => {
    const result = await runCli(project, ['tools', 'call', 'hello.greet', '--input', '@/dev/zero'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('/dev/zero is over limits.max_input_bytes')
  })

  it('100,000-deep JSON is refused with where it goes too deep, not a stack overflow', async () => {
    await writeFile(path.join(project.dir, 'deep.json'), '['.repeat(100_000) + ']'.repeat(100_000))
    const result = await runCli(project, ['tools', 'call', 'hello.greet', '--input', '@deep.json'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/deep\.json:1:\d+: nested deeper than \d+ levels/)
    noStack(result.stderr)
  })

  it('a 100,000-deep YAML workflow is refused with file:line:col', async () => {
    await writeFile(
      path.join(project.dir, 'deep.yaml'),
      `apiVersion: driftcore/v1\nkind: Workflow\nname: deep\nsteps: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`,
    )
    const result = await runCli(project, ['workflow', 'validate', 'deep.yaml'])
    expect(result.exitCode).toBe(2)
    expect(result.stdout + result.stderr).toMatch(/deep\.yaml:4:\d+: nested deeper than \d+ levels/)
    noStack(result.stdout + result.stderr)
  })

  it('a workflow file that is not UTF-8 is refused, not read as U+FFFD', async () => {
    await writeFile(
      path.join(project.dir, 'latin1.yaml'),
      Buffer.concat([
        Buffer.from('apiVersion: driftcore/v1\nkind: Workflow\nname: caf'),
        Buffer.from([0xe9]),
        Buffer.from('\nsteps:\n  - id: hi\n    type: worker\n    tool: hello.greet\n    with: { name: a }\n'),
      ]),
    )
    const result = await runCli(project, ['workflow', 'validate', 'latin1.yaml'])
    expect(result.exitCode).toBe(2)
    expect(result.stdout + result.stderr).toMatch(/latin1\.yaml:3:\d+: not UTF-8/)
  })

  it('a tool input with a key the tool does not take is refused, naming the key, not silently dropped', async () => {
    const result = await runCli(project, [
      'tools',
      'call',
      'hello.greet',
      '--input',
      '{"name":"a","admin":true}',
    ])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('admin')
    expect(result.stdout).not.toContain('hello a')
  })
})
