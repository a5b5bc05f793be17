import { describe, expect, it } from 'vitest'
import { commandEnv } from '../../../src/github-action/main.js'

describe('the action’s command environment', () => {
  it('keeps the job’s variables but not the runner’s file commands, tokens or the action’s inputs', () => {
    const env = commandEnv(
      {
        PATH: '/usr/bin',
        GITHUB_WORKSPACE: '/w',
        GITHUB_TOKEN: 'passed on purpose',
        GITHUB_ENV: '/r/env',
        GITHUB_PATH: '/r/path',
        GITHUB_OUTPUT: '/r/out',
        GITHUB_STATE: '/r/state',
        GITHUB_STEP_SUMMARY: '/r/summary',
        ACTIONS_RUNTIME_TOKEN: 't',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't',
        ACTIONS_ID_TOKEN_REQUEST_URL: 'u',
        INPUT_ARGS: 'tools list',
        DRIFTCORE_ACTOR: 'human:spoofed',
      },
      'ci:octocat',
    )
    expect(env).toEqual({
      PATH: '/usr/bin',
      GITHUB_WORKSPACE: '/w',
      GITHUB_TOKEN: 'passed on purpose',
      DRIFTCORE_ACTOR: 'ci:octocat',
    })
  })
})
