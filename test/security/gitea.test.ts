import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { json, testKernel, workspacePlugin } from '../helpers/project.js'
import { giteaCapabilities } from '../../plugins/gitea/src/hooks/capabilities.js'
import { filesBelow, giteaProject, tokenForms, type GiteaProject } from '../../plugins/gitea/test/helpers.js'

// A hostile agent against the gitea plugin, with the STAND-IN Gitea (openapi-backend over Gitea's
// API document; git http-backend behind a token check) as the server. Every request and
// response the stand-in sees must be one the document allows.

const POLICY = `apiVersion: driftcore/v1
kind: PolicyBundle
name: team
rules:
  - id: allow-all
    decision: ALLOW
  - id: pr-budget
    match: { tools: ['gitea.commit'] }
    decision: ALLOW
    constraints:
      max_files_changed: 3
      max_lines_changed: 20
      deny_paths: ['**/settings.php', '.gitea/workflows', 'config/sync/system.*']
`

const heads = (p: GiteaProject) =>
  p.gitea.git('acme', 'site', ['for-each-ref', '--format=%(refname) %(objectname)'])

describe('gitea: what a hostile agent tries', () => {
  let p: GiteaProject
  beforeAll(async () => {
    p = await giteaProject({ policy: POLICY })
    await p.gitea.seedRepo('acme', 'site', {
      'README.md': '# site\n',
      'web/sites/default/settings.php': '<?php\n$databases = [];\n',
      outside: { link: '/tmp' },
      'docs/guide.md': 'guide\n',
    })
  })
  afterAll(async () => {
    expect(p.gitea.violations).toEqual([])
    await p.close()
  })

  const commit = (branch: string, changes: unknown[], extra: Record<string, unknown> = {}) =>
    p.call('gitea.commit', { repo: 'site', branch, message: 'change', changes, ...extra })

  test('a change over max_files_changed is denied with the numbers, and nothing reaches the server', async () => {
    const before = await heads(p)
    const files = ['a', 'b', 'c', 'd'].map((n) => ({
      path: `new/${n}.txt`,
      action: 'create',
      content: 'x\n',
    }))
    const r = await commit('too-many', files)
    expect(r.exitCode).toBe(4)
    expect(json(r).error.message).toMatch(
      /changes 4 files, over the policy's max_files_changed \(3\); nothing was pushed/,
    )
    expect(json(r).error.details).toMatchObject({ files_changed: 4, max_files_changed: 3 })
    expect(await heads(p)).toBe(before)
  })

  test('a change over max_lines_changed is denied, counting added and removed lines', async () => {
    const before = await heads(p)
    const r = await commit('too-long', [{ path: 'big.txt', action: 'create', content: 'line\n'.repeat(21) }])
    expect(r.exitCode).toBe(4)
    expect(json(r).error.message).toMatch(
      /changes 21 lines \(added \+ removed\), over the policy's max_lines_changed \(20\)/,
    )
    expect(await heads(p)).toBe(before)
  })

  test('deny_paths covers a glob, a folder and a different letter case; deleting a denied file is touching it', async () => {
    const before = await heads(p)
    for (const [change, denied] of [
      [
        { path: 'web/sites/default/settings.php', action: 'update', content: '<?php\n$x = 1;\n' },
        '**/settings.php',
      ],
      [{ path: '.gitea/workflows/deploy.yml', action: 'create', content: 'on: push\n' }, '.gitea/workflows'],
      [{ path: '.GITEA/Workflows/deploy.yml', action: 'create', content: 'on: push\n' }, '.gitea/workflows'],
      [{ path: 'web/sites/default/settings.php', action: 'delete' }, '**/settings.php'],
    ] as const) {
      const r = await commit('sneaky', [{ path: 'docs/ok.md', action: 'create', content: 'ok\n' }, change])
      expect(r.exitCode, JSON.stringify(change)).toBe(4)
      expect(json(r).error.details).toMatchObject({ constraint: 'deny_paths', denied })
    }
    expect(await heads(p)).toBe(before)
  })

  test('a write through a symlink in the repository, "..", or into .git is refused and writes nothing outside', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'gitea-outside-'))
    try {
      const viaLink = await commit('links', [
        { path: 'outside/' + path.basename(outside) + '/pwned.txt', action: 'create', content: 'x' },
      ])
      expect(viaLink.exitCode).not.toBe(0)
      expect(json(viaLink).error.message).toMatch(/symlink|leads out|link/i)
      const overLink = await commit('links', [{ path: 'outside', action: 'update', content: '/etc' }])
      expect(json(overLink).error.message).toMatch(/symlink/)
      const up = await commit('links', [{ path: '../../../../escape.txt', action: 'create', content: 'x' }])
      expect(up.exitCode).toBe(2)
      const hook = await commit('links', [
        { path: '.git/hooks/pre-push', action: 'create', content: '#!/bin/sh\ntouch /tmp/pwned\n' },
      ])
      expect(hook.exitCode).toBe(2)
      expect(json(hook).error.message).toMatch(/inside \.git/)
      expect(await readdir(outside)).toEqual([])
      expect((await heads(p)).includes('refs/heads/links')).toBe(false)
    } finally {
      await rm(outside, { recursive: true, force: true })
    }
  })

  test('a push the server refuses as not a fast-forward is a conflict: the branch keeps the other writer’s commit, nothing of ours', async () => {
    const first = await commit('race', [{ path: 'docs/race.md', action: 'create', content: 'one\n' }])
    expect(first.exitCode, first.stdout + first.stderr).toBe(0)
    let theirs = ''
    p.gitea.afterFetch('acme', 'site', async () => {
      theirs = await p.gitea.pushAsOther('acme', 'site', 'race', 'docs/theirs.md', 'theirs\n')
    })
    const r = await commit('race', [{ path: 'docs/race.md', action: 'update', content: 'two\n' }])
    expect(r.exitCode, r.stdout + r.stderr).toBe(6)
    expect(json(r).error.message).toMatch(/not a fast-forward.*nothing was pushed/)
    expect(json(r).error.hint).toMatch(/call again/)
    expect((await p.gitea.git('acme', 'site', ['rev-parse', 'refs/heads/race'])).trim()).toBe(theirs)
    expect(await p.gitea.git('acme', 'site', ['show', 'refs/heads/race:docs/race.md'])).toBe('one\n')
    // The fix the error names works: the next call commits on top of the other writer's head.
    const again = await commit('race', [{ path: 'docs/race.md', action: 'update', content: 'two\n' }])
    expect(again.exitCode).toBe(0)
    expect(json(again).output.parent).toBe(theirs)
  })

  test('expected_head: a branch that moved since the agent looked is not committed to', async () => {
    const stale = '0'.repeat(40)
    const r = await commit('race', [{ path: 'docs/race.md', action: 'update', content: 'three\n' }], {
      expected_head: stale,
    })
    expect(r.exitCode).toBe(6)
    expect(json(r).error.message).toMatch(/not at the expected 000000000000/)
  })

  test('a merge names the reviewed head: commits pushed after the review are not merged', async () => {
    const pr = json(await p.call('gitea.prCreate', { repo: 'site', head: 'race', title: 'Race' })).output
    await p.gitea.pushAsOther('acme', 'site', 'race', 'docs/late.md', 'slipped in after review\n')
    const r = await p.call('gitea.prMerge', { repo: 'site', number: pr.number, head_sha: pr.head.sha })
    expect(r.exitCode).toBe(6)
    expect(json(r).error.message).toMatch(/not at the reviewed/)
    expect(json(await p.call('gitea.prGet', { repo: 'site', number: pr.number })).output.merged).toBe(false)
  })

  test('a repository lock held by another workflow refuses the commit (conflict) before anything runs', async () => {
    const kernel = await testKernel(p, [workspacePlugin('gitea', giteaCapabilities)])
    try {
      await kernel.locks.acquire(
        [{ key: 'gitea:repo:site', mode: 'exclusive', ttlMs: 600_000 }],
        'workflow:other-run',
      )
      const r = await commit('locked', [{ path: 'docs/x.md', action: 'create', content: 'x\n' }])
      expect(r.exitCode).toBe(6)
      expect(json(r).error.message).toMatch(/lock "gitea:repo:site" is held/)
      await kernel.locks.release('workflow:other-run')
    } finally {
      await kernel.close()
    }
  })

  test('network: none refuses every gitea call before a request is sent', async () => {
    const sent = p.gitea.requests.length
    const r = await p.cli(
      [
        'tools',
        'call',
        'gitea.repoGet',
        '--json',
        '--input',
        '{"repo":"site"}',
        '-c',
        'gitea.timeout_ms=5000',
      ],
      {
        env: {},
      },
    )
    expect(r.exitCode).toBe(0)
    const none = await giteaProject({
      policy:
        'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: t\nrules:\n  - id: offline\n    decision: ALLOW\n    constraints: { network: none }\n',
    })
    try {
      const refused = await none.call('gitea.repoGet', { repo: 'site' })
      expect(refused.exitCode).not.toBe(0)
      expect(none.gitea.requests).toEqual([])
    } finally {
      await none.close()
    }
    expect(p.gitea.requests.length).toBe(sent + 1)
  })

  test('the token is refused as a plain config value, and appears in no file under .driftcore/ and in no output', async () => {
    const plain = await p.cli([
      'tools',
      'call',
      'gitea.repoGet',
      '--json',
      '--input',
      '{"repo":"site"}',
      '-c',
      `gitea.token=${p.gitea.token}`,
    ])
    expect(plain.exitCode).toBe(2)
    expect(json(plain).error.message).toMatch(/secret reference/)
    // A wrong token through git too: the push's failure must not print what it was given.
    const wrong = await p.cli(
      [
        'tools',
        'call',
        'gitea.commit',
        '--json',
        '--input',
        JSON.stringify({
          repo: 'site',
          branch: 'w',
          message: 'm',
          changes: [{ path: 'w.md', action: 'create', content: 'w\n' }],
        }),
      ],
      { env: { GITEA_TOKEN: 'gta_wrong_but_secret_too_9999999999999' } },
    )
    expect(wrong.exitCode).toBe(11)
    const leaks: string[] = []
    for (const { file, bytes } of await filesBelow(p.home)) {
      for (const form of [...tokenForms(p.gitea.token), 'gta_wrong_but_secret_too_9999999999999'])
        if (bytes.includes(form)) leaks.push(`${path.relative(p.home, file)} has ${form.slice(0, 12)}…`)
    }
    for (const [i, out] of p.outputs.entries()) {
      for (const form of tokenForms(p.gitea.token))
        if ((out.stdout + out.stderr).includes(form)) leaks.push(`output ${i} has ${form.slice(0, 12)}…`)
    }
    expect(leaks).toEqual([])
    // The working copy's remote is the plain URL: no user, no password.
    const work = path.join(
      p.home,
      'gitea/work',
      new URL(p.gitea.url).host.replace(/[^A-Za-z0-9.-]/g, '_'),
      'acme/site',
    )
    const config = (await filesBelow(path.join(work, '.git'))).find((f) => f.file.endsWith('.git/config'))!
    expect(config.bytes.toString()).toContain(`url = ${p.gitea.url}/acme/site.git`)
    expect(p.outputs.length).toBeGreaterThan(10)
    await mkdir(work, { recursive: true })
  })
})
