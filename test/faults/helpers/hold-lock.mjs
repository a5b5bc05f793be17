/* global setInterval */
// Takes the cross-process lock on argv[2] (with the built store module), says so, and holds it
// until killed: the stand-in for a driftcore process killed with -9 in the middle of a write.
import path from 'node:path'
const { withFileLock } = await import(path.resolve(import.meta.dirname, '../../../dist/store/file-lock.js'))
setInterval(() => {}, 1000) // stay alive until killed
await withFileLock(process.argv[2], async () => {
  process.stdout.write('held\n')
  await new Promise(() => {})
})
