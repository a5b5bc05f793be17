#!/usr/bin/env node
// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, server mode)
// against `driftcore mcp serve --transport http`, in a throwaway project, offline.
//
// The suite cannot send a bearer token, and the server always requires one. So the suite talks
// to a loopback proxy that adds `Authorization`: Host and Origin pass through untouched, which is
// what the dns-rebinding-protection scenario exercises.
//
// The suite calls fixture tools and resources its reference server has (test_simple_text,
// test://static-text…). A test-only plugin (test/fixtures/plugins/conformance-fixture) provides
// them through driftcore's plugin API, so progress, logging, tool errors and resources are
// driftcore's own. driftcore tool ids and prompt names are `prefix.name`, so the proxy renames
// the tool a tools/call names and the prompt a prompts/get or completion/complete names
// (test_simple_text → conformance.testSimpleText) and changes nothing else.
//
// Usage: node scripts/conformance.mjs [extra conformance args, e.g. --scenario tools-list]
//        CONFORMANCE_RESULTS=DIR keeps the per-scenario results.
import { Buffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer, request } from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'
import { isolatedProject } from './isolated-project.mjs'

const here = import.meta.dirname
const repo = path.resolve(here, '../../..')
const cli = path.join(repo, 'bin/run.js')
const baseline = path.join(here, '../conformance/expected-failures.yml')
const require = createRequire(import.meta.url)
const suite = path.join(
  path.dirname(require.resolve('@modelcontextprotocol/conformance/package.json')),
  'dist/index.js',
)

const token = randomBytes(32).toString('base64url')
const project = await isolatedProject('driftcore-conformance-', {
  DRIFTCORE_ACTOR: 'human:conformance',
  DRIFTCORE_MCP_TOKEN: token,
})
const { dir, env } = project
const fixture = path.join(here, '../test/fixtures/plugins/conformance-fixture')
await new Promise((resolve, reject) => {
  const link = spawn(process.execPath, [cli, 'plugins', 'link', '--no-install', fixture], {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  link.once('exit', (code) =>
    code === 0 ? resolve() : reject(new Error(`plugins link exited with ${code}`)),
  )
})

const server = spawn(process.execPath, [cli, 'mcp', 'serve', '--transport', 'http', '--port', '0'], {
  cwd: dir,
  env,
  stdio: ['ignore', 'inherit', 'pipe'],
})
const upstream = await new Promise((resolve, reject) => {
  let stderr = ''
  server.stderr.on('data', (chunk) => {
    stderr += chunk
    const match = /MCP server on (\S+)/.exec(stderr)
    if (match) resolve(new URL(match[1]))
  })
  server.once('exit', (code) => reject(new Error(`driftcore mcp serve exited with ${code}:\n${stderr}`)))
})

// test_simple_text → conformance.testSimpleText, in a tools/call, a prompts/get or a prompt's
// completion/complete (alone or in a batch).
const renamed = (body) => {
  let parsed
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    return body
  }
  let changed = false
  const rename = (holder) => {
    const name = holder?.name
    if (typeof name !== 'string' || !/^test_[a-z0-9_]+$/.test(name)) return
    holder.name = `conformance.${name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())}`
    changed = true
  }
  for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
    if (message?.method === 'tools/call' || message?.method === 'prompts/get') rename(message.params)
    if (message?.method === 'completion/complete' && message.params?.ref?.type === 'ref/prompt')
      rename(message.params.ref)
  }
  return changed ? Buffer.from(JSON.stringify(parsed)) : body
}

const proxy = createServer((req, res) => {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    const body = renamed(Buffer.concat(chunks))
    const headers = { ...req.headers, authorization: `Bearer ${token}` }
    if (body.length > 0) headers['content-length'] = String(body.length)
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    forward.on('error', () => res.destroy())
    res.on('close', () => forward.destroy())
    forward.end(body)
  })
})
await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${proxy.address().port}/mcp`

// CONFORMANCE_RESULTS keeps the per-check results (checks.json per scenario) for inspection.
const results = process.env.CONFORMANCE_RESULTS ?? path.join(dir, 'results')
// `--suite all`: the default suite leaves out the scenarios the suite calls pending, and one of
// them, server-sse-polling, checks the resumable streams driftcore has.
const args = [suite, 'server', '--url', url, '--suite', 'all', '--expected-failures', baseline, '-o', results]
const run = spawn(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' })
const code = await new Promise((resolve) => run.once('exit', (c) => resolve(c ?? 1)))

proxy.close()
server.kill('SIGTERM')
await new Promise((resolve) => server.once('exit', resolve))
await project.remove()
process.exit(code)
