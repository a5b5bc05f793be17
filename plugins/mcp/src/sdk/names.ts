const RESERVED = new Set(['constructor', 'call', 'client'])

/** `hello.greet` → `helloGreet`; `drush.cacheRebuild` → `drushCacheRebuild`; other names alike. */
export function methodName(tool: string): string {
  const words = tool.split(/[^A-Za-z0-9]+/).filter(Boolean)
  const name = words.map((w, i) => (i === 0 ? lowerFirst(w) : upperFirst(w))).join('')
  const safe = /^[0-9]/.test(name) ? `tool${upperFirst(name)}` : name || 'tool'
  return RESERVED.has(safe) ? `${safe}Tool` : safe
}

/** `hello.greet` → `HelloGreet`. */
export function typeName(tool: string): string {
  return upperFirst(methodName(tool))
}

/** Names for every tool, distinct even when two tool names map to the same identifier. */
export function uniqueNames(tools: readonly string[]): Map<string, { method: string; type: string }> {
  const used = new Set<string>()
  const names = new Map<string, { method: string; type: string }>()
  for (const tool of tools) {
    let method = methodName(tool)
    for (let n = 2; used.has(method); n++) method = `${methodName(tool)}${n}`
    used.add(method)
    names.set(tool, { method, type: upperFirst(method) })
  }
  return names
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1)
}
