import type { Progress } from '../registry/types.js'

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const WIDTH = 20

/**
 * A one-line progress display on stderr while a call runs: a bar when the tool reports a total,
 * a spinner otherwise, with its message. Only on a terminal: a pipe or a CI log gets nothing
 * (the heartbeat would write a line a second), and stdout is never touched.
 */
export function progressLine(
  tool: string,
  stream: NodeJS.WriteStream = process.stderr,
): { update: (progress: Progress) => void; done: () => void } {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined }
  let frame = 0
  let shown = false
  return {
    update: (p) => {
      const columns = stream.columns || 80
      let line: string
      if (p.total !== undefined && p.total > 0) {
        const ratio = Math.min(1, Math.max(0, p.progress / p.total))
        const filled = Math.round(ratio * WIDTH)
        line = `${tool} [${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}] ${Math.floor(ratio * 100)}%`
      } else {
        line = `${FRAMES[frame++ % FRAMES.length]} ${tool}`
      }
      // A tool's message must not move the cursor or recolour the terminal.
      // eslint-disable-next-line no-control-regex
      if (p.message) line += ` ${p.message.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')}`
      stream.write(`\r\u001b[2K${line.slice(0, columns - 1)}`)
      shown = true
    },
    done: () => {
      if (shown) stream.write('\r\u001b[2K')
      shown = false
    },
  }
}
