// The plugin's own test: a real driftcore loads it (linked from this folder) and calls its tool
// through the gate, as a user or an agent would. DRIFTCORE_BIN names the driftcore to use (a
// command, or the path of its bin/run.js); by default `driftcore` on PATH.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'

const plugin = path.resolve(import.meta.dirname, '..')
const bin = process.env.DRIFTCORE_BIN ?? 'driftcore'
const scratch = mkdtempSync(path.join(os.tmpdir(), 'driftcore-plugin-test-'))
// Its own HOME and XDG folders, so linking here does not touch your installed plugins.
const env = {
  PATH: process.env.PATH,
  HOME: scratch,
  XDG_CONFIG_HOME: path.join(scratch, '.config'),
  XDG_DATA_HOME: path.join(scratch, '.local/share'),
  XDG_CACHE_HOME: path.join(scratch, '.cache'),
  DRIFTCORE_ACTOR: 'human:plugin-test',
  NO_COLOR: '1',
}

function driftcore(...args) {
  const [command, prefix] = bin.endsWith('.js') ? [process.execPath, [bin]] : [bin, []]
  const run = spawnSync(command, [...prefix, ...args], { cwd: scratch, env, encoding: 'utf8' })
  if (run.error) throw run.error
  return run
}

before(() => {
  // A project of its own to call the tool in (driftcore uses no project but the one it is in).
  const project = driftcore('init')
  assert.equal(project.status, 0, project.stderr)
  const linked = driftcore('plugins', 'link', '--no-install', plugin)
  assert.equal(linked.status, 0, linked.stderr)
})
after(() => rmSync(scratch, { recursive: true, force: true }))

test('driftcore lists the tool, with nothing refused', () => {
  const listed = driftcore('tools', 'list', '--json')
  assert.equal(listed.status, 0, listed.stderr)
  assert.doesNotMatch(listed.stderr, /driftcore-plugin-__NAME__ (is refused|failed)/)
  const ids = JSON.parse(listed.stdout).map((tool) => tool.id)
  assert.ok(ids.includes('__NAME__.hello'), ids.join(', '))
})

test('__NAME__.hello answers through the gate', () => {
  const called = driftcore('tools', 'call', '__NAME__.hello', '--input', '{"name":"ada"}', '--json')
  assert.equal(called.status, 0, called.stderr)
  const result = JSON.parse(called.stdout)
  assert.deepEqual(result.output, { greeting: 'hello ada' })
  assert.equal(result.decision.decision, 'ALLOW')
})

test('an invalid input is refused before the handler runs', () => {
  const called = driftcore('tools', 'call', '__NAME__.hello', '--input', '{"name":""}', '--json')
  assert.equal(called.status, 2, called.stderr)
})
