import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { REPO } from '../../../../test/helpers/project.js'
import { actor, scaffoldProject, type ScaffoldProject } from '../helpers.js'

const SHIPPED = path.join(REPO, 'sandbox/compose.yaml')
const SECRET = 'Zq8-sandbox-db-secret-4711'
const SALT = 'hash-salt-that-must-never-leak-0042'

let p: ScaffoldProject
let dir: string
beforeEach(async () => {
  p = await scaffoldProject({ config: 'launcher:\n  allowlist: [git, php, docker, docker-compose]\n' })
  dir = path.join(p.dir, 'compose')
  await mkdir(dir)
  await copyFile(SHIPPED, path.join(dir, 'compose.yaml'))
  await copyFile(path.join(REPO, 'sandbox/nginx.conf'), path.join(dir, 'nginx.conf'))
  await writeFile(
    path.join(dir, '.env'),
    `DB_PASSWORD=${SECRET}\nDB_ROOT_PASSWORD=${SECRET}-root\nDRUPAL_HASH_SALT="${SALT}"\n`,
  )
})
afterEach(() => p.cleanup())

interface Check {
  ok: boolean
  env_file: string | null
  problems: { path: string; message: string; line?: number }[]
  client: { tool: string | null; ran: boolean; ok?: boolean; output_tail?: string }
}
const check = async (input: object) =>
  (await p.kernel.gate.invoke('sandbox.composeCheck', input, actor)).output as Check

async function everyFile(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))
}

describe('the compose sandbox', () => {
  it('ships a compose.yaml that meets the sandbox rules and that docker compose accepts', async () => {
    const result = await check({})
    expect(result.problems).toEqual([])
    expect(result.client).toMatchObject({ ran: true, ok: true, tool: expect.stringMatching(/docker/) })
    expect(result).toMatchObject({ ok: true, env_file: path.join(REPO, 'sandbox/.env.example') })
  })

  it('keeps sandbox/.env out of git', async () => {
    expect(await readFile(path.join(REPO, 'sandbox/.gitignore'), 'utf8')).toMatch(/^\.env$/m)
  })

  it('names each broken rule with its place in the file', async () => {
    await writeFile(
      path.join(dir, 'bad.yaml'),
      [
        'services:',
        '  db:',
        '    image: mariadb:latest',
        '    user: root',
        '    environment:',
        '      MARIADB_PASSWORD: hunter2-literal',
        '    ports: ["3306:3306"]',
        '  drupal:',
        '    image: drupal:11-php8.3-fpm',
        "    user: '33:33'",
        '    cap_drop: [ALL]',
        "    security_opt: ['no-new-privileges:true']",
        '    networks: [open]',
        '    volumes:',
        '      - ./config/sync:/opt/drupal/config/sync',
        'networks:',
        '  open: {}',
        '',
      ].join('\n'),
    )
    const result = await check({ file: 'compose/bad.yaml' })
    expect(result.ok).toBe(false)
    const at = (p: string) => result.problems.find((problem) => problem.path === p)
    expect(at('services.db.user')).toMatchObject({ message: 'must not be root', line: 4 })
    expect(at('services.db.image')).toMatchObject({ line: 3 })
    expect(at('services.db.environment.MARIADB_PASSWORD')).toMatchObject({
      message: expect.stringContaining('reference to .env'),
      line: 6,
    })
    expect(at('services.db.ports')).toMatchObject({ line: 7 })
    expect(at('services.db.cap_drop')).toBeDefined()
    expect(at('services.db.networks')).toMatchObject({ message: expect.stringContaining('"default"') })
    expect(at('networks.open.internal')).toMatchObject({ line: 17 })
    expect(at('services.drupal.volumes.0')).toMatchObject({
      message: expect.stringContaining('read-only'),
      line: 15,
    })
  })

  it('fails a file that only the compose client can see is wrong', async () => {
    const text = await readFile(path.join(dir, 'compose.yaml'), 'utf8')
    await writeFile(
      path.join(dir, 'compose.yaml'),
      text.replace('    image: mariadb:11.4\n', '    image: mariadb:11.4\n    restartt: always\n'),
    )
    const result = await check({ file: 'compose/compose.yaml' })
    expect(result.problems).toEqual([])
    expect(result.client).toMatchObject({
      ran: true,
      ok: false,
      output_tail: expect.stringContaining('restartt'),
    })
    expect(result.ok).toBe(false)
  })

  it('rejects YAML that does not parse, naming file and line', async () => {
    await writeFile(path.join(dir, 'dup.yaml'), 'services:\n  db:\n    image: a:1\n    image: b:2\n')
    await expect(check({ file: 'compose/dup.yaml' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/dup\.yaml:4:\d+/),
    })
  })

  it('never exposes a .env secret: not in a check, not in a client error, not in a resource, the audit log or an artifact', async () => {
    const kernel = await p.reopen(['sandbox.compose_file=compose/compose.yaml'])
    try {
      const ok = await kernel.gate.invoke('sandbox.composeCheck', {}, actor)
      expect(ok.output).toMatchObject({ ok: true, env_file: path.join(dir, '.env') })
      // A CPU count the client rejects, built from a secret: its error message quotes the value.
      const text = await readFile(path.join(dir, 'compose.yaml'), 'utf8')
      await writeFile(
        path.join(dir, 'leaky.yaml'),
        text.replace("    user: '999:999'\n", "    user: '999:999'\n    cpus: ${DB_PASSWORD}\n"),
      )
      const leaky = await kernel.gate.invoke('sandbox.composeCheck', { file: 'compose/leaky.yaml' }, actor)
      const client = (leaky.output as Check).client
      expect(client).toMatchObject({
        ran: true,
        ok: false,
        output_tail: expect.stringContaining('[REDACTED]'),
      })
      const seen: string[] = [JSON.stringify(ok), JSON.stringify(leaky)]
      for (const resource of kernel.registry.resources())
        seen.push((await kernel.gate.read(resource.uri, actor)).text ?? '')
      const compose = JSON.parse((await kernel.gate.read('driftcore://sandbox/compose', actor)).text ?? '')
      expect(compose.env).toEqual({
        file: '.env',
        variables: ['DB_PASSWORD', 'DB_ROOT_PASSWORD', 'DRUPAL_HASH_SALT'],
      })
      expect(compose.services.drupal.environment).toContain('DRUPAL_DB_PASSWORD')
      await kernel.close()
      for (const file of await everyFile(p.home)) seen.push(await readFile(file, 'utf8'))
      for (const text of seen) {
        expect(text).not.toContain(SECRET)
        expect(text).not.toContain(SALT)
      }
    } finally {
      await kernel.close()
    }
  })
})
