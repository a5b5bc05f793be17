import { describe, expect, it } from 'vitest'
import { reportOf, stderrReason } from '../../../src/github-action/report.js'

const options = { cwd: '/work', workspace: '/work', allowed: false }

describe('the action report', () => {
  it('a JSON error without a driftcore code is still an error annotation with its message, not a crash', () => {
    const report = reportOf(
      ['tools', 'list', '--json'],
      2,
      { error: { message: 'Nonexistent flag: --x' } },
      options,
    )
    expect(report.outputs).toMatchObject({ 'exit-code': '2', 'error-code': 'exit 2' })
    expect(report.annotations).toEqual([
      { level: 'error', title: 'driftcore tools list', message: 'exit 2: Nonexistent flag: --x' },
    ])
    expect(reportOf(['x'], 1, { error: null }, options).annotations).toHaveLength(1)
  })

  it('a command that printed no result is an annotation with the reason from its stderr', () => {
    const report = reportOf(['drfit', 'check', '--json'], 2, undefined, {
      ...options,
      reason: 'command drfit:check not found',
    })
    expect(report.outputs).toEqual({ 'exit-code': '2' })
    expect(report.annotations).toEqual([
      { level: 'error', title: 'driftcore drfit check', message: 'command drfit:check not found' },
    ])
    expect(report.summary).toContain('Exit 2: command drfit:check not found')
  })

  it('stderrReason reads oclif’s error past its gutter and colour, and leaves out the help pointer', () => {
    expect(stderrReason(' \u001b[31m›\u001b[39m   Error: command nosuch not found\n')).toBe(
      'command nosuch not found',
    )
    expect(
      stderrReason(
        'warn: something\n ›   Error: Missing 1 required arg:\n ›   file\n ›   See more help with --help\n',
      ),
    ).toBe('Missing 1 required arg:\nfile')
    expect(stderrReason('Killed\n')).toBe('Killed')
    expect(stderrReason('')).toBeUndefined()
  })
})
