/**
 * The seccomp filter a process gets under `network: none`, as the classic BPF program
 * bubblewrap loads with `--seccomp FD`.
 *
 * Why a filter and not mounts: an empty network namespace cuts IP and abstract Unix sockets,
 * but a socket *file* (docker.sock, mysql.sock, a D-Bus bus) is reached through the
 * filesystem, and connect() ignores read-only mounts. Hiding every such file would need a walk
 * of the whole filesystem, racing every daemon that creates one later. Refusing the creation of
 * the socket is the one check that has no path to get wrong: under this filter `socket()`
 * creates only IPv4, IPv6 and netlink sockets (all confined to the empty namespace) and fails
 * with EACCES for every other family: Unix, vsock (which reaches a VM's host), Bluetooth and
 * the rest. `socketpair()` still works, so programs still talk to their own children.
 * io_uring is refused as well, since its IORING_OP_SOCKET creates sockets without a syscall a
 * filter could see. Syscalls of any other architecture (32-bit x86 on a 64-bit kernel, x32)
 * kill the process: their socket calls go through numbers this filter does not check.
 */

const AUDIT_ARCH: Partial<Record<NodeJS.Architecture, number>> = {
  x64: 0xc000003e,
  arm64: 0xc00000b7,
}
const SYSCALLS: Partial<Record<NodeJS.Architecture, { socket: number; io_uring_setup: number }>> = {
  x64: { socket: 41, io_uring_setup: 425 },
  arm64: { socket: 198, io_uring_setup: 425 },
}
const X32_SYSCALL_BIT = 0x40000000

const AF_INET = 2
const AF_INET6 = 10
const AF_NETLINK = 16
const EACCES = 13
const ENOSYS = 38

// struct seccomp_data: nr at 0, arch at 4, args[0] at 16 (its low word, on little-endian).
const NR = 0
const ARCH = 4
const ARG0 = 16

const LD_ABS = 0x20 // BPF_LD | BPF_W | BPF_ABS
const JEQ = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
const JSET = 0x45 // BPF_JMP | BPF_JSET | BPF_K
const RET = 0x06 // BPF_RET | BPF_K
const ALLOW = 0x7fff0000
const KILL_PROCESS = 0x80000000
const errno = (n: number) => 0x00050000 | n

type Insn = { code: number; k: number; jt?: string; jf?: string } | { label: string }

/** The filter for this machine's architecture, or undefined where driftcore has none. */
export function noSocketsFilter(arch: NodeJS.Architecture = process.arch): Buffer | undefined {
  const audit = AUDIT_ARCH[arch]
  const nr = SYSCALLS[arch]
  if (audit === undefined || nr === undefined) return undefined
  return assemble([
    { code: LD_ABS, k: ARCH },
    { code: JEQ, k: audit, jf: 'kill' },
    { code: LD_ABS, k: NR },
    ...(arch === 'x64' ? [{ code: JSET, k: X32_SYSCALL_BIT, jt: 'kill' }] : []),
    { code: JEQ, k: nr.socket, jf: 'not-socket' },
    { code: LD_ABS, k: ARG0 },
    { code: JEQ, k: AF_INET, jt: 'allow' },
    { code: JEQ, k: AF_INET6, jt: 'allow' },
    { code: JEQ, k: AF_NETLINK, jt: 'allow' },
    { code: RET, k: errno(EACCES) },
    { label: 'not-socket' },
    { code: JEQ, k: nr.io_uring_setup, jf: 'allow' },
    { code: RET, k: errno(ENOSYS) },
    { label: 'allow' },
    { code: RET, k: ALLOW },
    { label: 'kill' },
    { code: RET, k: KILL_PROCESS },
  ])
}

// Jumps in classic BPF are forward offsets from the next instruction; labels keep them right.
function assemble(program: Insn[]): Buffer {
  const at = new Map<string, number>()
  const code: Exclude<Insn, { label: string }>[] = []
  for (const insn of program) {
    if ('label' in insn) at.set(insn.label, code.length)
    else code.push(insn)
  }
  const out = Buffer.alloc(code.length * 8)
  code.forEach((insn, i) => {
    const offset = (label: string | undefined) => {
      if (label === undefined) return 0
      const target = at.get(label)
      if (target === undefined || target <= i) throw new Error(`bad BPF label ${label}`)
      return target - i - 1
    }
    out.writeUInt16LE(insn.code, i * 8)
    out.writeUInt8(offset(insn.jt), i * 8 + 2)
    out.writeUInt8(offset(insn.jf), i * 8 + 3)
    out.writeUInt32LE(insn.k >>> 0, i * 8 + 4)
  })
  return out
}
