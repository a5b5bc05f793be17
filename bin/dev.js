#!/usr/bin/env -S node --import tsx --no-warnings
// Runs the CLI from src/ without a build: oclif maps dist/ back to src/ in development mode.
import { execute } from '@oclif/core'

await execute({ development: true, dir: import.meta.url })
