type Stream = 'stdout' | 'stderr'

/**
 * Keeps at most `maxOutputBytes` of each stream for the caller and at most `maxLogBytes` of
 * both interleaved for the log, so a chatty process cannot exhaust memory.
 */
export class BoundedCapture {
  private readonly kept: Record<Stream, Buffer[]> = { stdout: [], stderr: [] }
  private readonly size: Record<Stream, number> = { stdout: 0, stderr: 0 }
  private readonly truncated: Record<Stream, boolean> = { stdout: false, stderr: false }
  private readonly log: Buffer[] = []
  private logSize = 0
  private logTruncated = false

  constructor(
    private readonly maxOutputBytes: number,
    private readonly maxLogBytes: number,
  ) {}

  add(stream: Stream, chunk: Buffer): void {
    const room = this.maxOutputBytes - this.size[stream]
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room)
      this.kept[stream].push(part)
      this.size[stream] += part.length
    }
    if (chunk.length > room) this.truncated[stream] = true
    const logRoom = this.maxLogBytes - this.logSize
    if (logRoom > 0) {
      const part = chunk.length <= logRoom ? chunk : chunk.subarray(0, logRoom)
      this.log.push(part)
      this.logSize += part.length
    }
    if (chunk.length > logRoom) this.logTruncated = true
  }

  result(redact: (text: string) => string): {
    stdout: string
    stderr: string
    stdoutTruncated: boolean
    stderrTruncated: boolean
    log: string
  } {
    const text = (parts: Buffer[]) => redact(Buffer.concat(parts).toString('utf8'))
    const stdout = text(this.kept.stdout)
    const stderr = text(this.kept.stderr)
    // When one stream was silent and nothing was cut, the log is the other stream's bytes
    // exactly: its redacted text is reused, not redacted a second time (on 2 MB of git output
    // that second pass was about half of the launcher's cost).
    const whole = !this.logTruncated && !this.truncated.stdout && !this.truncated.stderr
    const log =
      whole && this.size.stderr === 0 ? stdout : whole && this.size.stdout === 0 ? stderr : text(this.log)
    return {
      stdout,
      stderr,
      stdoutTruncated: this.truncated.stdout,
      stderrTruncated: this.truncated.stderr,
      log: log + (this.logTruncated ? `\n[driftcore: log cut at ${this.maxLogBytes} bytes]\n` : ''),
    }
  }
}
