import { open } from 'node:fs/promises'
import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../../cli/base-command.js'
import { auditLine } from '../../cli/audit-format.js'
import { serverFlags } from '../../cli/remote.js'
import type { ControlClient } from '../../control/client.js'
import { tailAudit } from '../../audit/tail.js'
import type { AuditRecord } from '../../audit/record.js'
import { listSegments, segmentPath } from '../../audit/segments.js'

export default class AuditTail extends DriftcoreCommand<typeof AuditTail> {
  static override summary = 'Print the last audit records, and with -f keep printing new ones'
  static override description =
    'One line per record: seq, time, type, actor, subject, decision and outcome, then the identity in ' +
    'brackets (the OS user and uid of the process that wrote it, its tty, the MCP client/session, the ' +
    'control-API token name, the signing key). Values others chose are escaped and quoted. See ' +
    '`audit query` to search by actor glob or identity.'
  static override examples = [
    '<%= config.bin %> audit tail',
    '<%= config.bin %> audit tail -n 50 --json',
    '<%= config.bin %> audit tail -f',
    '<%= config.bin %> audit tail -n 50 --server http://127.0.0.1:7800',
  ]
  static override flags = {
    ...serverFlags,
    lines: Flags.integer({ char: 'n', description: 'how many records', default: 20 }),
    follow: Flags.boolean({
      char: 'f',
      description: 'keep printing records as they are appended (JSON lines with --json)',
    }),
  }

  async run() {
    const remote = await this.remote()
    const records = remote
      ? await remote.get<AuditRecord[]>('/audit/tail', { lines: this.flags.lines })
      : await tailAudit(this.paths().audit, this.flags.lines, (m) => process.stderr.write(`note: ${m}\n`))
    if (!this.flags.follow) {
      if (!this.jsonEnabled()) for (const r of records) this.log(auditLine(r))
      return records
    }
    const print = (r: AuditRecord) => this.log(this.jsonEnabled() ? JSON.stringify(r) : auditLine(r))
    records.forEach(print)
    if (remote) await followRemote(remote, records.at(-1)?.seq ?? 0, print)
    else await follow(this.paths().audit, records.at(-1)?.seq ?? 0, print)
    return undefined
  }
}

/** Asks the server for records past the last one, once a second. */
async function followRemote(
  client: ControlClient,
  afterSeq: number,
  print: (r: AuditRecord) => void,
): Promise<never> {
  let last = afterSeq
  for (;;) {
    const records = await client.get<AuditRecord[]>('/audit/tail', { lines: 1000, after: last })
    for (const record of records) print(record)
    last = records.at(-1)?.seq ?? last
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}

/** Polls the newest segment for appended lines: simple, and correct across rotation. */
async function follow(dir: string, afterSeq: number, print: (r: AuditRecord) => void): Promise<never> {
  const { watch } = await import('chokidar')
  let last = afterSeq
  let segment = (await listSegments(dir)).at(-1)
  let offset = 0
  const drain = async () => {
    const segments = await listSegments(dir)
    for (const name of segments.filter((s) => !segment || s >= segment)) {
      if (name !== segment) {
        segment = name
        offset = 0
      }
      const file = await open(segmentPath(dir, name), 'r')
      try {
        const { size } = await file.stat()
        if (size <= offset) continue
        const buffer = Buffer.alloc(size - offset)
        await file.read(buffer, 0, buffer.length, offset)
        const text = buffer.toString('utf8')
        const complete = text.slice(0, text.lastIndexOf('\n') + 1)
        offset += Buffer.byteLength(complete)
        for (const line of complete.split('\n').filter(Boolean)) {
          const record = JSON.parse(line) as AuditRecord
          if (record.seq > last) {
            print(record)
            last = record.seq
          }
        }
      } finally {
        await file.close()
      }
    }
  }
  await drain()
  const watcher = watch(dir, { ignoreInitial: true, awaitWriteFinish: false })
  watcher.on('all', () => void drain())
  return new Promise<never>(() => {})
}
