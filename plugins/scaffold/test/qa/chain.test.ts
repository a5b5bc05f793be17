import { readFile, writeFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { actor, scaffoldProject, type ScaffoldProject } from '../helpers.js'

let p: ScaffoldProject
beforeEach(async () => {
  p = await scaffoldProject()
  await mkdir(path.join(p.source, 'qa'), { recursive: true })
  await writeFile(
    path.join(p.source, 'qa/junit.php'),
    `<?php
// Writes a JUnit report with one passing and one failing case, as PHPUnit --log-junit would.
file_put_contents($argv[1], '<?xml version="1.0"?>
<testsuites><testsuite name="hello_world" tests="2" failures="1">
  <testsuite name="Drupal\\\\Tests\\\\hello_world\\\\Unit\\\\HelloTest">
    <testcase name="testGreets" classname="HelloTest"/>
    <testcase name="testFarewell" classname="HelloTest"><failure message="Failed asserting that two strings are identical.">diff</failure></testcase>
  </testsuite>
</testsuite></testsuites>');
echo "wrote report\\n";
`,
  )
  await p.kernel.gate.invoke('sandbox.init', { from: 'site-source' }, actor)
  await p.kernel.gate.invoke('sandbox.snapshot', {}, actor)
})
afterEach(() => p.cleanup())

interface Step {
  name: string
  status: string
  exit_code: number | null
  output_tail: string
  log?: string
  runs: number
  reason?: string
  junit?: {
    tests: number
    failures: number
    failed_cases: { name: string; message: string }[]
    artifact: string
  }
}
interface Qa {
  ok: boolean
  stopped_early: boolean
  changed_files: string[]
  steps: Step[]
  report: string
}

async function qa(kernel = p.kernel, input: unknown = {}): Promise<Qa> {
  return (await kernel.gate.invoke('qa.runTests', input, actor)).output as Qa
}

const chain = (entries: object[]) => [`qa.chain=${JSON.stringify(entries)}`]

describe('qa.runTests', () => {
  it('lints the PHP changed since the snapshot and keeps each log and the report as artifacts', async () => {
    await p.kernel.gate.invoke('scaffold.module', { name: 'hello_world', parts: ['routing'] }, actor)
    await p.kernel.gate.invoke(
      'sandbox.apply',
      { files: [{ path: 'hello_world/src/Broken.php', content: '<?php\nfunction ( {\n' }] },
      actor,
    )
    const result = await qa()
    expect(result.ok).toBe(false)
    expect(result.changed_files).toEqual(
      expect.arrayContaining([
        'web/modules/custom/hello_world/src/Broken.php',
        'web/modules/custom/hello_world/src/Controller/HelloWorldController.php',
      ]),
    )
    const [lint] = result.steps
    expect(lint).toMatchObject({ name: 'php-lint', status: 'failed', runs: 2, exit_code: 255 })
    expect(lint!.output_tail).toMatch(/syntax error.*Broken\.php/s)
    const log = await p.kernel.artifacts.get(lint!.log!)
    expect(log.toString()).toContain(
      'No syntax errors detected in web/modules/custom/hello_world/src/Controller/HelloWorldController.php',
    )
    const report = JSON.parse((await p.kernel.artifacts.get(result.report)).toString()) as Qa
    expect(report.steps[0]).toMatchObject({ name: 'php-lint', status: 'failed' })

    await p.kernel.gate.invoke(
      'sandbox.apply',
      { files: [{ path: 'hello_world/src/Broken.php', delete: true }] },
      actor,
    )
    expect((await qa()).steps[0]).toMatchObject({ status: 'passed', runs: 1 })
  })

  it('skips the lint when no PHP changed', async () => {
    expect((await qa()).steps[0]).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('no changed file'),
    })
  })

  it('stops at the first failure unless the entry or the run says to go on', async () => {
    const entries: object[] = [
      { name: 'fails', command: 'php', args: ['-r', 'exit(3);'] },
      { name: 'after', command: 'php', args: ['-r', 'echo "ran\\n";'] },
    ]
    const kernel = await p.reopen(chain(entries))
    try {
      const stopped = await qa(kernel)
      expect(stopped).toMatchObject({ ok: false, stopped_early: true })
      expect(stopped.steps.map((s) => [s.name, s.status, s.exit_code])).toEqual([
        ['fails', 'failed', 3],
        ['after', 'skipped', null],
      ])
      const goOn = await qa(kernel, { stop_on_failure: false })
      expect(goOn.steps.map((s) => s.status)).toEqual(['failed', 'passed'])
      expect(goOn.steps[1]!.output_tail).toBe('ran')
    } finally {
      await kernel.close()
    }
    const kernel2 = await p.reopen(chain([{ ...entries[0], continue_on_failure: true }, entries[1]!]))
    try {
      expect((await qa(kernel2)).steps.map((s) => s.status)).toEqual(['failed', 'passed'])
    } finally {
      await kernel2.close()
    }
  })

  it('refuses a chain with an entry that is not on the allowlist before running anything', async () => {
    const marker = path.join(p.site, 'first-step-ran')
    const kernel = await p.reopen(
      chain([
        { name: 'touches', command: 'php', args: ['-r', `touch(${JSON.stringify(marker)});`] },
        { name: 'phpcs', command: 'phpcs', args: ['--standard=Drupal', '.'] },
      ]),
    )
    try {
      await expect(qa(kernel)).rejects.toMatchObject({
        code: 'forbidden',
        message: expect.stringMatching(
          /qa\.chain entry "phpcs" \(#2\).*not on launcher\.allowlist.*nothing was run/,
        ),
      })
    } finally {
      await kernel.close()
    }
    await expect(readFile(marker)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('parses the JUnit XML a command writes and fails the step on failing cases', async () => {
    const kernel = await p.reopen(
      chain([
        {
          name: 'phpunit',
          command: 'php',
          args: ['qa/junit.php', 'reports/junit.xml'],
          junit: 'reports/junit.xml',
        },
      ]),
    )
    await mkdir(path.join(p.site, 'reports'))
    try {
      const [step] = (await qa(kernel)).steps
      expect(step).toMatchObject({
        status: 'failed',
        exit_code: 0,
        reason: expect.stringContaining('1 failing test'),
        junit: {
          tests: 2,
          failures: 1,
          failed_cases: [
            { name: 'testFarewell', message: 'Failed asserting that two strings are identical.' },
          ],
        },
      })
      expect((await kernel.artifacts.get(step!.junit!.artifact)).toString()).toContain('testFarewell')
    } finally {
      await kernel.close()
    }
  })

  it('ignores a JUnit report left over from an earlier run', async () => {
    await mkdir(path.join(p.site, 'reports'))
    await writeFile(
      path.join(p.site, 'reports/junit.xml'),
      '<testsuites><testsuite><testcase name="old"><failure/></testcase></testsuite></testsuites>',
    )
    const kernel = await p.reopen(
      chain([{ name: 'quiet', command: 'php', args: ['-r', 'echo 1;'], junit: 'reports/junit.xml' }]),
    )
    try {
      const [step] = (await qa(kernel)).steps
      expect(step).toMatchObject({ status: 'passed' })
      expect(step!.junit).toBeUndefined()
    } finally {
      await kernel.close()
    }
  })
})
