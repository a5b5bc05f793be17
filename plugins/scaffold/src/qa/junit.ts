import { XMLParser } from 'fast-xml-parser'
import { DriftcoreError } from 'driftcore/api'

export interface JunitSummary {
  tests: number
  failures: number
  errors: number
  skipped: number
  /** The cases that failed or errored, first 50. */
  failed_cases: { suite: string; name: string; message: string }[]
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value]

interface Case {
  '@_name'?: string
  '@_classname'?: string
  failure?: unknown
  error?: unknown
  skipped?: unknown
}
interface Suite {
  '@_name'?: string
  testcase?: Case | Case[]
  testsuite?: Suite | Suite[]
}

/**
 * Summarises a JUnit XML report (PHPUnit's, or any runner's): counts from the test cases
 * themselves, since suites nest and their totals are not always present.
 */
export function parseJunit(xml: string, file: string): JunitSummary {
  let doc: { testsuites?: Suite; testsuite?: Suite | Suite[] }
  try {
    doc = new XMLParser({
      ignoreAttributes: false,
      processEntities: true,
      allowBooleanAttributes: true,
    }).parse(xml, true) as typeof doc
  } catch (error) {
    throw new DriftcoreError(
      'invalid_input',
      `${file} is not well-formed JUnit XML: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
  const summary: JunitSummary = { tests: 0, failures: 0, errors: 0, skipped: 0, failed_cases: [] }
  const visit = (suite: Suite) => {
    for (const testcase of asArray(suite.testcase)) {
      summary.tests += 1
      const problem = testcase.failure ?? testcase.error
      if (testcase.failure !== undefined) summary.failures += 1
      else if (testcase.error !== undefined) summary.errors += 1
      else if (testcase.skipped !== undefined) summary.skipped += 1
      if (problem !== undefined && summary.failed_cases.length < 50) {
        summary.failed_cases.push({
          suite: testcase['@_classname'] ?? suite['@_name'] ?? '',
          name: testcase['@_name'] ?? '',
          message: messageOf(problem),
        })
      }
    }
    for (const child of asArray(suite.testsuite)) visit(child)
  }
  const roots = doc.testsuites ? asArray(doc.testsuites) : asArray(doc.testsuite)
  for (const root of roots) visit(root)
  return summary
}

function messageOf(problem: unknown): string {
  const first = Array.isArray(problem) ? (problem[0] as unknown) : problem
  if (typeof first === 'string') return first.trim().split('\n')[0] ?? ''
  if (first && typeof first === 'object') {
    const record = first as Record<string, unknown>
    const text = record['@_message'] ?? record['#text']
    return typeof text === 'string' || typeof text === 'number' ? String(text).trim().split('\n')[0]! : ''
  }
  return ''
}
