/**
 * Draws paths as a tree under `root`, folders first:
 *
 *   web/modules/custom/hello/
 *   ├── src/
 *   │   └── Greeter.php
 *   └── hello.info.yml
 */
export function formatTree(root: string, paths: readonly string[]): string {
  interface Node {
    children: Map<string, Node>
  }
  const top: Node = { children: new Map() }
  for (const p of paths) {
    let node = top
    for (const part of p.split('/')) {
      let next = node.children.get(part)
      if (!next) {
        next = { children: new Map() }
        node.children.set(part, next)
      }
      node = next
    }
  }
  const lines = [`${root.replace(/\/$/, '')}/`]
  const draw = (node: Node, indent: string) => {
    const sorted = [...node.children.entries()].sort(([a, x], [b, y]) => {
      const folders = Number(y.children.size > 0) - Number(x.children.size > 0)
      return folders !== 0 ? folders : a.localeCompare(b)
    })
    sorted.forEach(([name, child], index) => {
      const last = index === sorted.length - 1
      const folder = child.children.size > 0
      lines.push(`${indent}${last ? '└── ' : '├── '}${name}${folder ? '/' : ''}`)
      if (folder) draw(child, indent + (last ? '    ' : '│   '))
    })
  }
  draw(top, '')
  return lines.join('\n')
}
