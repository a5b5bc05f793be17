import picomatch from 'picomatch'
import { GLOB_OPTIONS, isLiteralGlob } from './match.js'

const PLAIN = /[A-Za-z0-9_:-]/
// Escapes picomatch writes for characters that stand for themselves.
const ESCAPED = new Set(['.', '-', ':', '_'])

/**
 * The text every tool id a glob matches starts with, read from the regular expression picomatch
 * compiles for it (the glob's own text can mislead: picomatch leaves `.` unescaped in
 * `a.b/***`, and drops a leading `./`): its leading literal characters, before any group, class,
 * quantified atom, `.` or `/`, and nothing at all if the expression has a top-level `|`, is a
 * negation, or ignores case. An id equal to the glob also matches (picomatch compares that
 * first), so the prefix is cut to what it shares with the glob's text. Being short is always
 * safe here (a shorter prefix only adds candidates); being long never is.
 */
export function literalPrefix(glob: string): string {
  // picomatch reads globs by the platform's path rules; only POSIX is vouched for here.
  if (process.platform === 'win32') return ''
  if (isLiteralGlob(glob)) return glob
  // A negation can match ids of any prefix (picomatch reads a leading `!` as one).
  if (glob.startsWith('!')) return ''
  const regex = picomatch.makeRe(glob, GLOB_OPTIONS)
  const source = regex.source
  // The outer groups picomatch wraps around the expression (two on its fast path).
  let wrappers = 0
  while (source.startsWith('^(?:', wrappers * 4)) wrappers++
  if (regex.flags.includes('i') || wrappers === 0 || topLevelBar(source, wrappers)) return ''
  let prefix = ''
  let i = wrappers * 4
  while (i < source.length) {
    const c = source[i]!
    let char: string
    let width: number
    if (PLAIN.test(c)) [char, width] = [c, 1]
    else if (c === '\\' && ESCAPED.has(source[i + 1] ?? '')) [char, width] = [source[i + 1]!, 2]
    else break
    // An atom followed by a quantifier may be absent or repeated: it is not a fixed prefix.
    if ('?*+{'.includes(source[i + width] ?? '')) break
    prefix += char
    i += width
  }
  let shared = 0
  while (shared < prefix.length && prefix[shared] === glob[shared]) shared++
  return prefix.slice(0, shared)
}

// Whether the expression has an alternative at the top of its outer groups (`^(?:a|b)$`),
// where a prefix of the first branch says nothing about the others.
function topLevelBar(source: string, wrappers: number): boolean {
  let depth = 0
  let inClass = false
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!
    if (c === '\\') i++
    else if (inClass) inClass = c !== ']'
    else if (c === '[') inClass = true
    else if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === '|' && depth <= wrappers) return true
  }
  return false
}

interface Node {
  children: Map<string, Node>
  /** Rules (by index) that have a glob whose literal prefix ends at this node. */
  rules: number[]
}

const node = (): Node => ({ children: new Map(), rules: [] })

/**
 * Rules indexed by the literal prefixes of their tool globs (a trie over characters), so the
 * rules that can match a tool id are found by walking the id's characters: a lookup costs the
 * length of the longest prefix in the bundle plus the rules found, whatever the rule count.
 * Candidates are a superset of the rules that match: the caller still runs each rule's matcher.
 */
export class ToolIndex {
  private readonly root = node()
  private readonly seen: Uint32Array
  private stamp = 0

  /** `tools[i]` is rule i's `match.tools` (undefined: the rule matches any tool). */
  constructor(tools: readonly (readonly string[] | undefined)[]) {
    this.seen = new Uint32Array(tools.length)
    tools.forEach((globs, index) => {
      for (const prefix of globs ? globs.map(literalPrefix) : ['']) {
        let at = this.root
        for (const char of prefix) {
          let next = at.children.get(char)
          if (!next) at.children.set(char, (next = node()))
          at = next
        }
        if (at.rules.at(-1) !== index) at.rules.push(index)
      }
    })
  }

  /** Indices of the rules that may match `toolId`, ascending (bundle order). */
  candidates(toolId: string): number[] {
    const stamp = this.nextStamp()
    const out: number[] = []
    let at: Node | undefined = this.root
    let i = 0
    while (at) {
      for (const index of at.rules) {
        // A rule with several globs sharing a path (`a*`, `ab*`) is listed once.
        if (this.seen[index] !== stamp) {
          this.seen[index] = stamp
          out.push(index)
        }
      }
      if (i >= toolId.length) break
      at = at.children.get(toolId[i++]!)
    }
    // Nodes are visited root first, so indices arrive grouped by prefix length: restore order.
    // An insertion sort: the lists are short and nearly in order (a rule for any tool, found at
    // the root, ahead of the rest), where a comparator call per pair cost more.
    for (let k = 1; k < out.length; k++) {
      const value = out[k]!
      let j = k - 1
      while (j >= 0 && out[j]! > value) {
        out[j + 1] = out[j]!
        j--
      }
      out[j + 1] = value
    }
    return out
  }

  private nextStamp(): number {
    if (this.stamp === 0xffff_ffff) {
      this.seen.fill(0)
      this.stamp = 0
    }
    return ++this.stamp
  }
}
