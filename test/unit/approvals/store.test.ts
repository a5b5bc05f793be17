import { appendFile, copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ApprovalRequest } from '../../../src/approvals/approvals.js'
import { ApprovalStore, JOURNAL_FILE, VIEW_FILE } from '../../../src/approvals/store.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-approval-store-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const view = () => path.join(dir, VIEW_FILE)
const journal = () => path.join(dir, JOURNAL_FILE)
const later = () => new Date(Date.now() + 3_600_000).toISOString()

function request(id: string, status: ApprovalRequest['status'] = 'pending'): ApprovalRequest {
  return {
    id,
    tool: 'hello.shout',
    input_hash: `hash-${id}`,
    input_summary: '{}',
    requester: { type: 'agent', id: 'copilot' },
    rule_ids: [],
    deciding_rule: null,
    reason: 'test',
    trace_id: 't',
    status,
    created_at: new Date().toISOString(),
    expires_at: later(),
  }
}

async function put(store: ApprovalStore, ...requests: ApprovalRequest[]) {
  await store.update((tx) => {
    for (const r of requests) tx.put(r)
  })
}

async function statuses(store: ApprovalStore): Promise<Record<string, string>> {
  return Object.fromEntries([...(await store.all())].map(([id, s]) => [id, s.request.status]))
}

const lines = async (file: string) => (await readFile(file, 'utf8')).trimEnd().split('\n')

describe('the approvals journal and its compacted view', () => {
  it('a change appends one line to the journal and leaves approvals.json as it was', async () => {
    const store = new ApprovalStore(dir)
    await put(store, request('apr_1'))
    const before = await stat(view())
    const viewText = await readFile(view(), 'utf8')
    await put(store, request('apr_2'))
    await put(store, { ...request('apr_1'), status: 'approved' })
    expect(await readFile(view(), 'utf8')).toBe(viewText)
    expect((await stat(view())).mtimeMs).toBe(before.mtimeMs)
    expect(await lines(journal())).toHaveLength(4) // header + three events
    expect(await statuses(store)).toEqual({ apr_1: 'approved', apr_2: 'pending' })
  })

  it('an approvals.json from before the journal is migrated on the first change and reads the same', async () => {
    const old = { requests: { apr_old: request('apr_old', 'used'), apr_open: request('apr_open') } }
    await writeFile(view(), JSON.stringify(old, null, 2))
    const store = new ApprovalStore(dir)
    expect(await statuses(store)).toEqual({ apr_old: 'used', apr_open: 'pending' })
    await put(store, request('apr_new'))
    expect(await statuses(store)).toEqual({ apr_old: 'used', apr_open: 'pending', apr_new: 'pending' })
    // The open request is in the journal now, so the hot paths find it without the view.
    expect([...(await store.open()).keys()].sort()).toEqual(['apr_new', 'apr_open'])
    expect(JSON.parse(await readFile(view(), 'utf8')).generation).toBe(1)
  })

  it('compacts past the threshold: the view holds everything, the journal only what can still change', async () => {
    const store = new ApprovalStore(dir, { compactBytes: 2_000 })
    for (let i = 0; i < 20; i++) await put(store, request(`apr_${i}`, i % 2 ? 'used' : 'pending'))
    const all = await statuses(store)
    expect(Object.keys(all)).toHaveLength(20)
    const compacted = JSON.parse(await readFile(view(), 'utf8')) as { generation: number; requests: object }
    expect(compacted.generation).toBeGreaterThan(1)
    // The copies compaction started the journal with (its first `base` bytes) are the open ones.
    const text = await readFile(journal(), 'utf8')
    const base = Number((JSON.parse(text.split('\n')[0]!) as { base: string }).base)
    const copies = text.slice(0, base).trimEnd().split('\n').slice(1)
    expect(copies.length).toBeGreaterThan(0)
    expect(copies.map((line) => (JSON.parse(line) as { put: ApprovalRequest }).put.status)).not.toContain(
      'used',
    )
    expect((await stat(journal())).size).toBeLessThan(2_000 + 4_000)
    expect(await statuses(new ApprovalStore(dir))).toEqual(all)
  })

  it('a crash between the new view and the new journal reads the same, and the next change compacts again', async () => {
    const store = new ApprovalStore(dir, { compactBytes: 1 })
    await put(store, request('apr_a'))
    // Keep the journal as it was before the next compaction, and put it back after: what a
    // crash after the view's rename and before the journal's leaves.
    await put(store, request('apr_b'))
    const stale = path.join(dir, 'stale.jsonl')
    await copyFile(journal(), stale)
    const denied = { ...request('apr_b'), status: 'denied' as const }
    await put(store, denied)
    // The old journal had the change appended before compaction began.
    await appendFile(stale, JSON.stringify({ put: denied }) + '\n')
    await copyFile(stale, journal())
    expect(await statuses(store)).toEqual({ apr_a: 'pending', apr_b: 'denied' })
    await put(store, request('apr_c'))
    expect(await statuses(store)).toEqual({ apr_a: 'pending', apr_b: 'denied', apr_c: 'pending' })
    const head = JSON.parse((await lines(journal()))[0]!) as { generation: number }
    expect(head.generation).toBe(JSON.parse(await readFile(view(), 'utf8')).generation)
  })

  it('a line cut short by a killed writer never counts, and the next change does not join it', async () => {
    const store = new ApprovalStore(dir)
    await put(store, request('apr_1'))
    await appendFile(journal(), '{"put":{"id":"apr_1","status":"appr')
    expect(await statuses(store)).toEqual({ apr_1: 'pending' })
    await put(store, request('apr_2'))
    expect(await statuses(store)).toEqual({ apr_1: 'pending', apr_2: 'pending' })
    expect((await lines(journal())).every((line) => JSON.parse(line) !== undefined)).toBe(true)
  })

  it('changes asked for together are committed together: one line per request, each change sees the ones before it, and one that throws fails alone without leaving its edits', async () => {
    const store = new ApprovalStore(dir)
    await put(store, request('apr_1'))
    const outcomes = await Promise.allSettled([
      store.update((tx) => {
        tx.put(request('apr_2'))
        return 'asked'
      }),
      store.update(async (tx) => {
        const r = (await tx.get('apr_1'))!
        r.status = 'approved' // edits what it read, then fails (its audit record could not be written)
        tx.put(r)
        throw new Error('audit log is full')
      }),
      store.update(async (tx) => ({
        open: tx.open().map((r) => `${r.id}:${r.status}`),
        apr_1: (await tx.get('apr_1'))!.status,
      })),
      store.update(async (tx) => {
        const r = (await tx.get('apr_2'))!
        r.status = 'denied'
        tx.put(r)
      }),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
    expect((outcomes[0] as PromiseFulfilledResult<unknown>).value).toBe('asked')
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'audit log is full' })
    expect((outcomes[2] as PromiseFulfilledResult<unknown>).value).toEqual({
      open: ['apr_1:pending', 'apr_2:pending'],
      apr_1: 'pending',
    })
    expect(await statuses(store)).toEqual({ apr_1: 'pending', apr_2: 'denied' })
    // Header, apr_1, then the batch: apr_2 once, as its last change left it.
    const journalLines = await lines(journal())
    expect(journalLines).toHaveLength(3)
    expect(JSON.parse(journalLines[2]!)).toMatchObject({ put: { id: 'apr_2', status: 'denied' } })
  })

  it("get reads another process's change at once, even one written by hand, and what it returns is the caller's own copy", async () => {
    const store = new ApprovalStore(dir)
    const other = new ApprovalStore(dir)
    await put(store, request('apr_1'))
    const copy = (await store.get('apr_1'))!.request
    copy.status = 'denied'
    expect((await store.get('apr_1'))!.request.status).toBe('pending')
    await put(other, { ...request('apr_1'), status: 'approved' })
    expect((await store.get('apr_1'))!.request.status).toBe('approved')
    await appendFile(journal(), JSON.stringify({ put: { ...request('apr_1'), status: 'used' } }) + '\n')
    expect((await store.get('apr_1'))!.request.status).toBe('used')
    // Rewritten in place to the same size: the stat (ctime) still changes.
    const text = await readFile(journal(), 'utf8')
    await writeFile(journal(), text.replace('"status":"used"', '"status":"deny"'))
    expect((await store.get('apr_1'))!.request.status).toBe('deny')
  })

  it('many gets at once while the journal changes share one read and each answer is whole', async () => {
    const store = new ApprovalStore(dir)
    const ids = Array.from({ length: 200 }, (_, i) => `apr_${i}`)
    await put(store, ...ids.map((id) => request(id)))
    const writer = new ApprovalStore(dir)
    const [answers] = await Promise.all([
      Promise.all(ids.map((id) => store.get(id))),
      put(writer, ...ids.map((id) => ({ ...request(id), status: 'approved' as const }))),
    ])
    expect(answers.every((a, i) => a?.request.id === ids[i])).toBe(true)
    const after = await Promise.all(ids.map((id) => store.get(id)))
    expect(after.every((a) => a?.request.status === 'approved')).toBe(true)
  })

  it('an edited line that is not an event is an integrity error naming the file and line', async () => {
    const store = new ApprovalStore(dir)
    await put(store, request('apr_1'))
    await appendFile(journal(), 'not json\n')
    await expect(store.all()).rejects.toMatchObject({
      code: 'integrity',
      message: expect.stringContaining(`${journal()}:3:`),
    })
  })
})
