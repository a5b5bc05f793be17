// The plugin's API for other modules (the run half calls the compiler).
export { compileWorkflow, type CompileInput, type CompileResult, type Refusal } from './compile/compile.js'
