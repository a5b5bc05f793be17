import { readFile } from 'node:fs/promises'
import { Flags } from '@oclif/core'
import { DriftcoreError } from 'driftcore'
import { ScaffoldToolCommand } from '../../cli/tool-command.js'

export default class SandboxApply extends ScaffoldToolCommand<typeof SandboxApply> {
  static override summary = "Apply a change inside the sandbox's custom-modules folder: files and/or a patch"
  static override description =
    'Paths are relative to scaffold.modules_dir (web/modules/custom by default), in --write, --delete and inside the patch. Everything is checked before anything is written.'
  static override examples = [
    '<%= config.bin %> sandbox apply --patch change.diff',
    '<%= config.bin %> sandbox apply --write hello/src/Greeter.php=@Greeter.php --delete hello/old.php',
  ]
  static override flags = {
    patch: Flags.string({ description: 'a unified diff file, or - for stdin' }),
    write: Flags.string({
      description: 'PATH=@LOCAL_FILE: write PATH with that file’s content (repeatable)',
      multiple: true,
    }),
    delete: Flags.string({ description: 'PATH: delete it (repeatable)', multiple: true }),
  }

  async run() {
    const files: { path: string; content?: string; delete?: boolean }[] = []
    for (const spec of this.flags.write ?? []) {
      const match = /^([^=]+)=@(.+)$/.exec(spec)
      if (!match) throw new DriftcoreError('invalid_input', `--write ${spec}: expected PATH=@LOCAL_FILE`)
      files.push({ path: match[1]!, content: await readLocal(match[2]!) })
    }
    for (const target of this.flags.delete ?? []) files.push({ path: target, delete: true })
    const patch = this.flags.patch === undefined ? undefined : await readLocal(this.flags.patch)
    const out = await this.callWithApproval<{ written: string[]; deleted: string[]; patched: string[] }>(
      'sandbox.apply',
      {
        files,
        ...(patch === undefined ? {} : { patch }),
      },
    )
    this.show(
      [
        ...out.written.map((p) => `wrote   ${p}`),
        ...out.deleted.map((p) => `deleted ${p}`),
        ...out.patched.map((p) => `patched ${p}`),
      ].join('\n'),
    )
    return out
  }
}

async function readLocal(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }
  return readFile(file, 'utf8').catch((error: unknown) => {
    throw new DriftcoreError('not_found', `cannot read ${file}`, { cause: error })
  })
}
