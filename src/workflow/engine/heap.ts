import v8 from 'node:v8'

// V8 lets the old generation grow to 2–4× what survived its last full collection before it
// collects again. A run's per-step garbage (the gate's state for a call, records and journal
// lines waiting for their batch's fsync) lives long enough to be promoted, so with V8's own
// factor a 50k-step run peaked at about 4× the RSS of a 1k-step run, mostly garbage. Collecting
// after GROWING_PERCENT of growth keeps the peak near what the run holds, for a few more full
// collections (marked concurrently, O(live) each); `npm run bench -- writers` shows both.
// 20 against 30 took a 50k fan-out's peak from about 226 to 210 MB at the same time per step;
// 10 gained nothing more.
const GROWING_PERCENT = 20
const FLAG = 'heap-growing-percent'
let applied = false

/**
 * Asks V8 to keep the heap near its live size for the rest of the process, once, before a
 * run's definition is loaded. A `--heap-growing-percent` the user gave node is left as it is.
 * The flag is read at every full collection, so setting it after start takes effect.
 */
export function keepHeapNearLive(): void {
  if (applied) return
  applied = true
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => arg.includes(FLAG))
  if (!given) v8.setFlagsFromString(`--${FLAG}=${GROWING_PERCENT}`)
}
