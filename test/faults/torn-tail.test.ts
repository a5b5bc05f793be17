import { appendFile, readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'
import { linkHello } from '../helpers/workflow-cli.js'

let project: TempProject
let segment: string
let records: number

// What a crash mid-append leaves: records HEAD acknowledges, then part of one it never did.
beforeEach(async () => {
  project = await tempProject()
  await linkHello(project)
  for (const name of ['a', 'b'])
    expect(
      (await runCli(project, ['tools', 'call', 'hello.greet', '--input', JSON.stringify({ name })])).exitCode,
    ).toBe(0)
  segment = path.join(project.home, 'audit', '000001.jsonl')
  const lines = (await readFile(segment, 'utf8')).trimEnd().split('\n')
  records = lines.length
  await appendFile(segment, lines.at(-1)!.slice(0, 120))
})
afterEach(() => project.cleanup())

describe('a torn tail left by a crash (bytes past HEAD, never acknowledged)', () => {
  it('audit verify passes and reports it as an unacknowledged partial record, not as tampering', async () => {
    const verify = await runCli(project, ['audit', 'verify'])
    expect(verify.exitCode).toBe(0)
    expect(verify.stdout + verify.stderr).toMatch(/unacknowledged partial record.*cut on the next append/)
    expect(verify.stdout + verify.stderr).not.toMatch(/truncated/)
    expect(json(await runCli(project, ['audit', 'verify', '--json']))).toMatchObject({
      ok: true,
      records,
      torn_tail: { segment: '000001.jsonl', line: records + 1 },
    })
  })

  it('audit tail and audit query skip it and say so, instead of a bare SyntaxError', async () => {
    const tail = await runCli(project, ['audit', 'tail', '--json'])
    expect(tail.exitCode).toBe(0)
    expect(json<unknown[]>(tail)).toHaveLength(Math.min(records, 20))
    expect(tail.stderr).toMatch(/skipped an unacknowledged partial record/)
    const query = await runCli(project, ['audit', 'query', '--type', 'tool.call', '--json'])
    expect(query.exitCode).toBe(0)
    expect(json<unknown[]>(query)).toHaveLength(2)
    expect(query.stderr + query.stdout).not.toContain('SyntaxError')
    expect(query.stderr).toMatch(/skipped an unacknowledged partial record/)
  })

  it('the next append cuts it, and the log verifies with the new record', async () => {
    expect(
      (await runCli(project, ['tools', 'call', 'hello.greet', '--input', '{"name":"c"}'])).exitCode,
    ).toBe(0)
    const verify = json<{ ok: boolean; records: number; torn_tail?: unknown }>(
      await runCli(project, ['audit', 'verify', '--json']),
    )
    expect(verify).toMatchObject({ ok: true })
    expect(verify.records).toBeGreaterThan(records)
    expect(verify.torn_tail).toBeUndefined()
  })

  it('a partial line inside what HEAD acknowledged is still truncation (exit 8)', async () => {
    const text = await readFile(segment, 'utf8')
    const lines = text.split('\n')
    const { writeFile } = await import('node:fs/promises')
    await writeFile(segment, `${lines[0]}\n${lines[1]!.slice(0, 50)}`)
    expect((await runCli(project, ['audit', 'verify'])).exitCode).toBe(8)
  })
})
