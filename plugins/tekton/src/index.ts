// The plugin's API for other modules (the run half calls the compiler).
export {
  compileWorkflow,
  DEFAULT_TOKEN_SECRET,
  goDuration,
  type CompileInput,
  type CompileResult,
  type Refusal,
  type TaskMapping,
} from './compile/compile.js'
export { validateTekton } from './schema/validate.js'
