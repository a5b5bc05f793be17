// The action's entry point: what action.yml's `runs.main` (dist/action/index.js) starts.
import { run } from './main.js'

void run()
