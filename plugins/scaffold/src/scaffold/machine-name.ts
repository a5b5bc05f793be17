import { z } from 'zod'

// PHP's reserved keywords, compile-time constants and reserved type names: a module's machine
// name becomes a namespace segment (Drupal\NAME) and a function prefix, where these break.
const PHP_RESERVED = new Set([
  '__halt_compiler',
  'abstract',
  'and',
  'array',
  'as',
  'break',
  'callable',
  'case',
  'catch',
  'class',
  'clone',
  'const',
  'continue',
  'declare',
  'default',
  'die',
  'do',
  'echo',
  'else',
  'elseif',
  'empty',
  'enddeclare',
  'endfor',
  'endforeach',
  'endif',
  'endswitch',
  'endwhile',
  'enum',
  'eval',
  'exit',
  'extends',
  'final',
  'finally',
  'fn',
  'for',
  'foreach',
  'function',
  'global',
  'goto',
  'if',
  'implements',
  'include',
  'include_once',
  'instanceof',
  'insteadof',
  'interface',
  'isset',
  'list',
  'match',
  'namespace',
  'new',
  'or',
  'print',
  'private',
  'protected',
  'public',
  'readonly',
  'require',
  'require_once',
  'return',
  'static',
  'switch',
  'throw',
  'trait',
  'try',
  'unset',
  'use',
  'var',
  'while',
  'xor',
  'yield',
  '__class__',
  '__dir__',
  '__file__',
  '__function__',
  '__line__',
  '__method__',
  '__namespace__',
  '__trait__',
  'bool',
  'false',
  'float',
  'int',
  'iterable',
  'mixed',
  'never',
  'null',
  'numeric',
  'object',
  'parent',
  'resource',
  'self',
  'string',
  'true',
  'void',
])

export const MACHINE_NAME_MAX = 50

/** Drupal's rules for a module machine name, each with its own message. */
export const machineNameSchema = z
  .string()
  .max(MACHINE_NAME_MAX, `a machine name has at most ${MACHINE_NAME_MAX} characters`)
  .regex(/^[a-z][a-z0-9_]*$/, 'a machine name starts with a lower-case letter and holds only a-z, 0-9 and _')
  .refine((name) => !PHP_RESERVED.has(name), {
    error: (issue) => `"${String(issue.input)}" is a PHP reserved word and cannot be a module name`,
  })

export function isPhpReserved(name: string): boolean {
  return PHP_RESERVED.has(name)
}

/** hello_world → HelloWorld: the prefix of the module's class names. */
export function classPrefix(machineName: string): string {
  return machineName
    .split('_')
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('')
}

/** hello_world → Hello world: the default human name. */
export function humanName(machineName: string): string {
  const words = machineName.split('_').filter(Boolean).join(' ')
  return words[0]!.toUpperCase() + words.slice(1)
}
