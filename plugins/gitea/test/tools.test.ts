import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { json } from '../../../test/helpers/project.js'
import { giteaProject, type GiteaProject } from './helpers.js'

// Against the STAND-IN Gitea (openapi-backend over Gitea's own API document, git http-backend
// for clone and push): every request and response is checked against the document.
describe('gitea tools against the stand-in Gitea', () => {
  let p: GiteaProject
  beforeAll(async () => {
    p = await giteaProject()
    await p.gitea.seedRepo('acme', 'site', { 'README.md': '# site\n', 'web/index.php': '<?php\n' })
  })
  afterAll(async () => {
    expect(p.gitea.violations).toEqual([])
    await p.close()
  })

  test('a commit goes through real git: the actor is the author, driftcore the committer, the trace id a trailer', async () => {
    const r = await p.cli([
      'tools',
      'call',
      'gitea.commit',
      '--json',
      '--input',
      JSON.stringify({
        repo: 'site',
        branch: 'feature/hello',
        message: 'Add the hello module',
        changes: [
          {
            path: 'web/modules/custom/hello/hello.info.yml',
            action: 'create',
            content: 'name: Hello\ntype: module\ncore_version_requirement: ^11\n',
          },
          { path: 'README.md', action: 'update', content: '# site\n\nWith hello.\n' },
        ],
      }),
    ])
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    const out = json(r).output
    expect(out).toMatchObject({
      branch: 'feature/hello',
      created_branch: true,
      files_changed: 2,
      pushed: true,
    })
    const head = (await p.gitea.git('acme', 'site', ['rev-parse', 'refs/heads/feature/hello'])).trim()
    expect(head).toBe(out.commit)
    const meta = await p.gitea.git('acme', 'site', ['log', '-1', '--format=%an|%cn <%ce>|%B', head])
    expect(meta).toMatch(/^tester\|driftcore <driftcore@localhost>\|Add the hello module/)
    expect(meta).toMatch(/Driftcore-Trace: [0-9a-f-]{36}/)
  })

  test('a pull request is opened, listed, read, commented, its checks and diff read, and merged at the reviewed head', async () => {
    const created = await p.cli([
      'gitea',
      'pr',
      'create',
      '--repo',
      'site',
      '--head',
      'feature/hello',
      '--title',
      'Hello module',
      '--body',
      'QA passed',
      '--json',
    ])
    expect(created.exitCode, created.stderr).toBe(0)
    const pr = json(created)
    expect(pr).toMatchObject({
      number: 1,
      state: 'open',
      head: { ref: 'feature/hello' },
      base: { ref: 'main' },
    })

    const list = json(await p.cli(['gitea', 'pr', 'list', '--repo', 'site', '--json']))
    expect(list.pulls.map((x: { number: number }) => x.number)).toEqual([1])

    const human = await p.cli(['gitea', 'pr', 'list', '--repo', 'site'])
    expect(human.stdout).toMatch(/1\s+open\s+feature\/hello\s+main\s+Hello module/)

    await fetch(`${p.gitea.url}/api/v1/repos/acme/site/statuses/${pr.head.sha}`, {
      method: 'POST',
      headers: { authorization: `token ${p.gitea.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'success', context: 'qa/phpunit', description: 'green' }),
    })
    const shown = json(await p.cli(['gitea', 'pr', 'show', '1', '--repo', 'site', '--diff', '--json']))
    expect(shown.checks).toMatchObject({
      state: 'success',
      statuses: [{ context: 'qa/phpunit', state: 'success' }],
    })
    expect(shown.diff).toContain('+++ b/web/modules/custom/hello/hello.info.yml')

    const comment = await p.call('gitea.prComment', { repo: 'site', number: 1, body: 'Looks right' })
    expect(comment.exitCode, comment.stderr).toBe(0)

    const merged = await p.cli([
      'gitea',
      'pr',
      'merge',
      '1',
      '--repo',
      'site',
      '--head-sha',
      pr.head.sha,
      '--json',
    ])
    expect(merged.exitCode, merged.stderr).toBe(0)
    expect(json(merged)).toMatchObject({ number: 1, merged: true })
    const main = await p.gitea.git('acme', 'site', [
      'show',
      'refs/heads/main:web/modules/custom/hello/hello.info.yml',
    ])
    expect(main).toContain('name: Hello')
  })

  test('repository, branches and files are read and created', async () => {
    expect(json(await p.call('gitea.repoGet', { repo: 'site' })).output).toMatchObject({
      full_name: 'acme/site',
      default_branch: 'main',
    })
    expect((await p.call('gitea.branchCreate', { repo: 'site', branch: 'release' })).exitCode).toBe(0)
    const branches = json(await p.call('gitea.branchList', { repo: 'site' })).output.branches.map(
      (b: { name: string }) => b.name,
    )
    expect(branches).toEqual(expect.arrayContaining(['main', 'release', 'feature/hello']))
    expect(
      json(await p.call('gitea.fileRead', { repo: 'site', path: 'README.md', ref: 'main' })).output,
    ).toMatchObject({ content: '# site\n\nWith hello.\n' })
    const made = await p.call('gitea.repoCreate', { name: 'infra' })
    expect(made.exitCode, made.stderr).toBe(0)
    expect(json(made).output).toMatchObject({ full_name: 'driftbot/infra' })
  })

  test('Gitea’s refusals become clear errors: 404 not_found, 409 conflict, 422 invalid_input, 401 forbidden', async () => {
    const missing = await p.call('gitea.prGet', { repo: 'site', number: 99 })
    expect(missing.exitCode).toBe(3)
    expect(json(missing).error.message).toMatch(
      /Gitea found no such thing \(404\) to read pull request #99 of acme\/site/,
    )

    const again = await p.call('gitea.branchCreate', { repo: 'site', branch: 'release' })
    expect(again.exitCode).toBe(6)
    expect(json(again).error.message).toMatch(/conflict \(409\).*already exists/)

    p.gitea.failWith(422)
    const invalid = await p.call('gitea.prCreate', { repo: 'site', head: 'release', title: 'x' })
    p.gitea.failWith(undefined)
    expect(invalid.exitCode).toBe(2)
    expect(json(invalid).error.message).toMatch(/refused the values \(422\) to open a pull request/)

    const badToken = await p.call('gitea.repoGet', { repo: 'site' }, [])
    expect(badToken.exitCode).toBe(0)
    const refused = await p.cli(['tools', 'call', 'gitea.repoGet', '--json', '--input', '{"repo":"site"}'], {
      env: { GITEA_TOKEN: 'gta_wrong_token_000000000000000000000' },
    })
    expect(refused.exitCode).toBe(11)
    expect(json(refused).error.message).toMatch(/Gitea refused the token \(401\) to read acme\/site/)
    expect(json(refused).error.hint).toMatch(/gitea\.token/)
  })

  test('a server that does not answer is unavailable, naming it', async () => {
    const r = await p.cli([
      'tools',
      'call',
      'gitea.prList',
      '--json',
      '--input',
      '{"repo":"site"}',
      '-c',
      'gitea.url=http://127.0.0.1:9',
    ])
    expect(r.exitCode, r.stdout + r.stderr).toBe(9)
    expect(json(r).error.message).toMatch(
      /Gitea at http:\/\/127\.0\.0\.1:9 did not answer to list the pull requests of acme\/site/,
    )
  })

  test('gitops.propose commits manifests on a new branch and opens a pull request; a non-manifest is refused', async () => {
    await p.gitea.seedRepo('acme', 'infra', {
      'apps/web/deployment.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n',
    })
    const r = await p.call('gitops.propose', {
      repo: 'infra',
      title: 'Scale web to 3',
      body: 'Traffic doubled.',
      changes: [
        {
          path: 'apps/web/deployment.yaml',
          action: 'update',
          content: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n',
        },
      ],
    })
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    const out = json(r).output
    expect(out.commit.branch).toMatch(/^gitops\/scale-web-to-3-[0-9a-f]{8}$/)
    expect(out.pull).toMatchObject({ state: 'open', base: { ref: 'main' }, head: { ref: out.commit.branch } })
    expect(out.pull.body).toMatch(/Proposed through driftcore \(trace /)
    expect(
      await p.gitea.git('acme', 'infra', ['show', 'refs/heads/main:apps/web/deployment.yaml']),
    ).toContain('replicas: 1')

    const script = await p.call('gitops.propose', {
      repo: 'infra',
      title: 'x',
      changes: [{ path: 'deploy.sh', action: 'create', content: 'kubectl apply -f .\n' }],
    })
    expect(script.exitCode).toBe(2)
    expect(json(script).error.message).toMatch(/deploy\.sh is not a manifest/)
    const notK8s = await p.call('gitops.propose', {
      repo: 'infra',
      title: 'x',
      changes: [{ path: 'a.yaml', action: 'create', content: 'hello: world\n' }],
    })
    expect(json(notK8s).error.message).toMatch(/no apiVersion and kind/)
  })
})
