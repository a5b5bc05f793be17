import type { CelProgram } from './compile.js'

export interface CelReference {
  /** The member named after the variable (`steps.build` → `build`), or undefined when computed. */
  name: string | undefined
  /** Offset of the reference in the expression. */
  start: number
}

interface AstNode {
  op: string
  args: unknown
  start?: number
}

function isNode(value: unknown): value is AstNode {
  return value !== null && typeof value === 'object' && typeof (value as AstNode).op === 'string'
}

/**
 * Every use of `variable` in a compiled expression: `variable.name` and `variable["name"]` give
 * the name, anything else (`variable[x]`, `variable` alone) gives undefined. Callers use it to
 * check references when an expression is loaded, e.g. that `steps.build` names a real step.
 */
export function celReferences(program: CelProgram, variable: string): CelReference[] {
  const found: CelReference[] = []
  const isVariable = (node: unknown) => isNode(node) && node.op === 'id' && node.args === variable
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk)
      return
    }
    if (!isNode(node)) return
    if (isVariable(node)) {
      found.push({ name: undefined, start: node.start ?? 0 })
      return
    }
    const args = Array.isArray(node.args) ? (node.args as unknown[]) : []
    const [target, member] = args
    if (isVariable(target)) {
      const name =
        node.op === '.' && typeof member === 'string'
          ? member
          : node.op === '[]' && isNode(member) && member.op === 'value' && typeof member.args === 'string'
            ? member.args
            : undefined
      if (node.op === '.' || node.op === '[]') {
        found.push({ name, start: (target as AstNode).start ?? 0 })
        if (name === undefined) walk(member)
        return
      }
    }
    walk(node.args)
  }
  walk(program.ast)
  return found
}
