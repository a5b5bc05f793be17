import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { GENESIS, sealRecord } from '../../src/audit/record.js'
import { segmentName } from '../../src/audit/segments.js'

/**
 * Writes a sealed audit log into `dir` without the writer: `count` records in segments of
 * `perSegment`, record `seq` at time `at(seq)` (so a test can put records out of time order),
 * padded with `pad` bytes of data, and HEAD.json as the log keeps it.
 */
export async function writeSealedLog(
  dir: string,
  count: number,
  perSegment: number,
  at: (seq: number) => number,
  pad = 120,
): Promise<void> {
  await mkdir(dir, { recursive: true })
  const padding = 'p'.repeat(pad)
  let prev = GENESIS
  let text = ''
  let segment = 1
  for (let seq = 1; seq <= count; seq++) {
    const entry = {
      type: 'tool.call',
      actor: { type: 'agent', id: `bot/${seq % 5}` },
      subject: seq % 97 === 0 ? 'drush.configImport' : 'config.effective',
      data: { outcome: 'ok', n: seq, pad: padding },
    }
    const sealed = sealRecord(entry, seq, prev, new Date(at(seq)).toISOString(), `trace-${seq}`)
    prev = sealed.hash
    text += sealed.line
    if (seq % perSegment === 0 || seq === count) {
      await writeFile(path.join(dir, segmentName(segment)), text)
      if (seq === count) {
        const head = { segment: segmentName(segment), seq, hash: prev, size: Buffer.byteLength(text) }
        await writeFile(path.join(dir, 'HEAD.json'), JSON.stringify(head).padEnd(255) + '\n')
      }
      segment += 1
      text = ''
    }
  }
}
