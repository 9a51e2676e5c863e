/**
 * Runs untrusted Python (HumanEval's generated code) in a sandboxed child process.
 *
 * Each run gets its own host folder (`$TMPDIR/agora-sandbox-*`: the program, the preamble and the
 * chroot's skeleton; created per run, removed after), a fresh unused uid, and this chain of
 * processes, spawned in its own process group:
 *
 *   setpriv --pdeathsig KILL → unshare --kill-child --net --mount --pid --ipc --uts --fork
 *     └ /bin/sh: pid 1 of the new namespaces, still root. It binds the skeleton read-only (below),
 *       mounts the work tmpfs, then runs as its child (and waits for):
 *       prlimit <rlimits> → chroot <skeleton> → setpriv <the uid, no capabilities, no_new_privs>
 *         → python3 -I -S -B /sandbox/code/main.py
 *
 * main.py (the preamble) chdirs into the work folder /sandbox/work, installs an audit hook and
 * exec's the program (/sandbox/code/program.py). `-I -S`: no PYTHON* variables, no user or site
 * packages, so the program has the standard library only (HumanEval needs no more).
 *
 * | limit                          | enforced by (primary)                                        | also by (defense in depth)            |
 * |--------------------------------|--------------------------------------------------------------|---------------------------------------|
 * | wall time (`timeoutMs`)        | a Node timer sends SIGKILL to the namespace's pid 1; the kernel then kills every process of the pid namespace (also those that left the process group with setsid), and unshare exits only after that, so the result arrives when the tree is gone | RLIMIT_CPU = ceil(timeout) + 1 s soft (SIGXCPU), + 2 s hard (SIGKILL) |
 * | memory (`memoryMb`)            | RLIMIT_AS per process (allocating 2 GB raises MemoryError)   | —                                     |
 * | processes (`maxProcesses`)     | RLIMIT_NPROC on the run's own uid: fresh per run, so it counts this run's processes and threads only, and binds because the program is not root | the audit hook refuses os.fork/forkpty, os.exec*, os.spawn*, os.posix_spawn*, os.system, os.popen, subprocess.Popen, pty.spawn |
 * | network                        | a new network namespace: only its own loopback, and that is down (connect → ENETUNREACH, also to 127.0.0.1: the host's loopback is another namespace's) | the audit hook refuses every socket.* event (socket creation, connect, bind, getaddrinfo …) |
 * | writes outside the work folder | chroot into the skeleton, bound onto itself read-only, holding read-only binds of /usr (/bin, /lib … as the host's symlinks into it), the interpreter's prefix when outside /usr, /etc/ld.so.cache, /dev/{null,zero,full,random,urandom} and the code folder. The only writable mount is the work folder: a fresh tmpfs (`workDirMb`, default 64 MiB, 4096 inodes, owned by the uid) that exists only in the run's mount namespace and vanishes with it. The program has no capabilities (bounding set emptied, no_new_privs), so it can neither remount nor leave the chroot. Nothing else of the host (/tmp, /home, /root but the interpreter's prefix, /proc, the repository, the gateway's config and keys) is visible | the audit hook refuses open() for writing, os.remove/rename/mkdir/chmod/chown/link/symlink/utime/truncate and shutil.rmtree on any path outside the work folder (but /dev/null), and any of them relative to a dir_fd |
 * | file size (`maxFileBytes`)     | RLIMIT_FSIZE                                                 | the work tmpfs's size                 |
 * | open files                     | RLIMIT_NOFILE = 256                                          | —                                     |
 * | other processes, IPC, hostname | new pid, IPC and UTS namespaces: the program sees and can signal only its own processes | no /proc is mounted |
 * | outliving the gateway          | setpriv --pdeathsig: unshare gets SIGKILL when Node dies (even by SIGKILL); --kill-child then kills the namespace's pid 1 (the host folder stays behind then) | on a normal exit, Node kills every running sandbox |
 *
 * The shell stays pid 1 rather than exec'ing the program because pid 1 ignores every signal it has
 * no handler for (even the kernel's SIGXCPU and SIGXFSZ); its exit status is the program's, 128 + N
 * when signal N killed it, which is reported as `signal` (so `sys.exit(137)` reads as SIGKILL).
 *
 * The audit hook (PEP 578) is installed before the program runs and cannot be removed. It also
 * refuses ctypes (which could poke memory past it), gc.get_objects/get_referrers/get_referents and
 * replacing a function's code, and writes each refusal to fd 3, which becomes the result's
 * `violation` even when the program catches the PermissionError. It is a tripwire with clear error
 * messages, not the boundary: Python code can get past it (os.open(name, flags, dir_fd=fd) reports
 * no dir_fd; monkeypatching the os functions that os.path.realpath calls fools its path check), and
 * then the OS mechanisms above still hold. The tests run every containment with the hook on and off.
 *
 * What it does NOT protect against:
 * - kernel vulnerabilities: there is no seccomp filter, so every system call is reachable;
 * - total memory: RLIMIT_AS is per process, so the bound is memoryMb × maxProcesses (no memory
 *   cgroup); the work tmpfs (≤ workDirMb) comes on top;
 * - using the CPU until the timeout (several cores, with threads or processes);
 * - reading what is world-readable under /usr and the interpreter's prefix;
 * - lying about itself: stdout, stderr, fd 3 (`violation`) and the exit status are the program's to
 *   write, so a scorer must not trust more than "the tests ran and exited 0" (and a program can
 *   always make itself fail);
 * - side channels (timing, CPU caches).
 *
 * It needs Linux, root (namespaces without a user namespace, and the switch to an unused uid),
 * util-linux's unshare, prlimit and setpriv, coreutils' chroot, and python3 ≥ 3.8 (audit hooks).
 * The interpreter is AGORA_SANDBOX_PYTHON, else python3 on PATH (a pyenv shim is resolved to the real
 * executable), else /usr/bin/python3. Without these, {@link runPythonSandboxed} throws
 * {@link SandboxUnavailableError} instead of running code unsandboxed; {@link sandboxAvailability}
 * says why. On first use a trivial run proves the sandbox works on this machine.
 */

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { constants as fsConstants, readFileSync } from 'node:fs';
import { access, chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

export interface SandboxOptions {
  /** Wall-clock limit; the process tree is killed at this point. Default 10,000 ms. */
  timeoutMs?: number;
  /** RLIMIT_AS per process, in MiB. Default 512. */
  memoryMb?: number;
  /** RLIMIT_NPROC for the run's uid (processes and threads). Default 16. */
  maxProcesses?: number;
  /** RLIMIT_FSIZE: the largest file the program may write. Default 16 MiB. */
  maxFileBytes?: number;
  /** Size of the work folder's tmpfs, in MiB. Default 64. */
  workDirMb?: number;
  /** Caps on stdout and stderr each: the first ¾ and the last ¼ are kept, the middle dropped. Default 64 KiB. */
  maxOutputBytes?: number;
  /**
   * Install the audit hook (default true). Tests turn it off to prove that the OS mechanisms alone
   * contain the program; never turn it off otherwise.
   */
  auditHook?: boolean;
}

export interface SandboxResult {
  /** Exit code 0, no signal, not timed out. */
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** The first action the audit hook refused (e.g. `socket.connect refused`), or a limit that ended the run. */
  violation?: string;
  /** Wall time of the run, spawn to exit, in ms. */
  durationMs: number;
}

export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError';
}

const DEFAULTS = {
  timeoutMs: 10_000,
  memoryMb: 512,
  maxProcesses: 16,
  maxFileBytes: 16 * 1024 * 1024,
  workDirMb: 64,
  maxOutputBytes: 64 * 1024,
};

/** Paths inside the chroot. */
const CODE_DIR = '/sandbox/code';
const WORK_DIR = '/sandbox/work';

/**
 * The preamble, run as __main__: argv = [main.py, work dir, audit hook on (1/0)]. It compiles the
 * program before installing the hook and exec's it in a fresh namespace named __main__; the hook
 * holds its own references to the functions it uses, so rebinding os.path.realpath does not reach it.
 */
const PREAMBLE = String.raw`
import os, sys

def _agora_install(work, _os=os, _sys=sys):
    _realpath, _fspath, _fsdecode, _write = _os.path.realpath, _os.fspath, _os.fsdecode, _os.write
    write_flags = _os.O_WRONLY | _os.O_RDWR | _os.O_CREAT | _os.O_APPEND | _os.O_TRUNC
    refused_prefixes = ("socket.", "ctypes.", "os.exec", "os.spawn", "os.posix_spawn", "subprocess.", "pty.", "_posixsubprocess.")
    refused = frozenset({"os.fork", "os.forkpty", "os.system", "os.startfile", "os.popen", "gc.get_objects",
                         "gc.get_referrers", "gc.get_referents", "sys.settrace", "sys.setprofile", "_thread.interrupt_main"})
    # event → (indexes of its path arguments, indexes of its dir_fd arguments; -1 or None = none)
    path_events = {"os.remove": ((0,), (1,)), "os.rmdir": ((0,), (1,)), "os.mkdir": ((0,), (2,)),
                   "os.rename": ((0, 1), (2, 3)), "os.link": ((0, 1), (2, 3)), "os.symlink": ((1,), (2,)),
                   "os.chmod": ((0,), (2,)), "os.chown": ((0,), (3,)), "os.utime": ((0,), (3,)),
                   "os.truncate": ((0,), ()), "os.setxattr": ((0,), ()), "os.removexattr": ((0,), ()),
                   "os.chflags": ((0,), ()), "os.lchflags": ((0,), ()), "os.mkfifo": ((0,), ()), "os.mknod": ((0,), ()),
                   "shutil.rmtree": ((0,), (1,)), "shutil.chown": ((0,), ())}
    guarded_attributes = frozenset({"__code__", "__defaults__", "__kwdefaults__", "__globals__", "__closure__"})
    def outside(path):
        if isinstance(path, int):
            return False  # an open file descriptor
        try:
            path = _fspath(path)
            if isinstance(path, bytes):
                path = _fsdecode(path)
            real = _realpath(path)
        except Exception:
            return True
        return not (real == work or real.startswith(work + "/") or real == "/dev/null")

    def refuse(event, args):
        try:
            _write(3, ("%s refused %r\n" % (event, args))[:500].encode("utf-8", "replace"))
        except Exception:
            pass
        raise PermissionError("agora sandbox: %s is not allowed" % event)

    def hook(event, args):
        if event in refused or event.startswith(refused_prefixes):
            refuse(event, args)
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(flags, int) and flags & write_flags) or (isinstance(mode, str) and any(c in mode for c in "wax+"))
            if writing and outside(path):
                refuse(event, args)
        elif event in path_events:
            paths, dir_fds = path_events[event]
            for index in paths:
                if index < len(args) and outside(args[index]):
                    refuse(event, args)
            for index in dir_fds:
                if index < len(args) and args[index] not in (None, -1):
                    refuse(event, args)  # relative to a directory fd: cannot be resolved, so refused
        elif event in ("object.__setattr__", "object.__delattr__") and len(args) > 1 and args[1] in guarded_attributes:
            refuse(event, args)

    _sys.addaudithook(hook)

def _agora_main():
    work, hook = sys.argv[1], sys.argv[2] == "1"
    os.chdir(work)
    with open("${CODE_DIR}/program.py", "rb") as f:
        source = f.read()
    code = compile(source, "program.py", "exec")
    sys.argv = ["program.py"]
    if hook:
        _agora_install(work)
    exec(code, {"__name__": "__main__", "__builtins__": __builtins__})

_agora_main()
`;

/**
 * Runs as pid 1 of the new namespaces (still root). $1 the chroot's skeleton (built on the host by
 * {@link buildSkeleton}), $2 uid, $3 work folder MiB, then `source target` pairs to bind read-only
 * (target inside the skeleton), then `--` and the command to run. The skeleton is bound onto itself
 * first and made read-only last, so the binds and the work tmpfs sit on a read-only root. The shell
 * stays pid 1 and runs the program as its child: pid 1 ignores signals it has no handler for (even
 * the kernel's SIGXCPU and SIGXFSZ), which would change the program's behaviour. Its exit status is
 * the program's (128 + N when signal N killed it), and unshare passes it on.
 */
const SETUP = String.raw`
set -eu
R="$1"; U="$2"; W="$3"; shift 3
mount --bind "$R" "$R"
while [ "$1" != "--" ]; do mount --bind -o ro,nosuid "$1" "$R$2"; shift 2; done
shift
mount -t tmpfs -o "size=$W""m,nr_inodes=4096,mode=0700,uid=$U,gid=$U,nosuid,nodev" agora-work "$R${WORK_DIR}"
mount -o remount,bind,ro,nosuid "$R"
set +e
"$@"
exit $?
`;

/** Host paths bound read-only into every chroot (when they exist), beside /usr and the interpreter's prefix. */
const BOUND_FILES = ['/etc/ld.so.cache', '/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom'];

/**
 * The chroot's skeleton in the run's host folder: mount points for /usr, the interpreter's prefix,
 * the bound files, the code and work folders; /bin, /lib … as the host has them (symlinks into
 * /usr copied, real directories bound). Returns the `source target` pairs to bind.
 */
async function buildSkeleton(root: string, tools: Tools): Promise<string[]> {
  const binds: string[] = [];
  const mountPoint = async (source: string, kind: 'dir' | 'file') => {
    const target = join(root, source);
    if (kind === 'dir') await mkdir(target, { recursive: true, mode: 0o755 });
    else {
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      await writeFile(target, '', { mode: 0o644 });
    }
    binds.push(source, source);
  };
  await mountPoint('/usr', 'dir');
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const stats = await lstat(`/${name}`).catch(() => null);
    if (stats?.isSymbolicLink()) await symlink(await readlink(`/${name}`), join(root, name));
    else if (stats?.isDirectory()) await mountPoint(`/${name}`, 'dir');
  }
  if (tools.pythonPrefix) await mountPoint(tools.pythonPrefix, 'dir');
  for (const file of BOUND_FILES) {
    if (await lstat(file).catch(() => null)) await mountPoint(file, 'file');
  }
  await mkdir(join(root, WORK_DIR), { recursive: true, mode: 0o755 });
  await mkdir(join(root, CODE_DIR), { recursive: true, mode: 0o755 });
  return binds;
}

interface Tools {
  unshare: string;
  prlimit: string;
  setpriv: string;
  chroot: string;
  sh: string;
  python: string;
  /** The interpreter's installation prefix when it is outside /usr (bound into the chroot), else "". */
  pythonPrefix: string;
}

let toolsPromise: Promise<Tools | string> | undefined;

async function which(name: string): Promise<string | null> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return null;
}

function execText(file: string, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

/**
 * The real interpreter (not a pyenv shim): AGORA_SANDBOX_PYTHON, else python3 on PATH, else
 * /usr/bin/python3; asked (outside the sandbox, with trusted code) for its executable and prefix.
 */
async function findPython(): Promise<{ python: string; prefix: string } | string> {
  const candidates: string[] = [];
  if (process.env.AGORA_SANDBOX_PYTHON) candidates.push(process.env.AGORA_SANDBOX_PYTHON);
  const onPath = await which('python3');
  if (onPath) candidates.push(onPath);
  candidates.push('/usr/bin/python3');
  const problems: string[] = [];
  for (const candidate of candidates) {
    try {
      const out = await execText(candidate, [
        '-I',
        '-c',
        'import os, sys; print(os.path.realpath(sys.executable)); print(os.path.realpath(sys.base_prefix)); print(int(sys.version_info >= (3, 8)))',
      ]);
      const [python, prefix, recent] = out.trim().split('\n');
      if (!python || !prefix) throw new Error('no sys.executable');
      if (recent !== '1') throw new Error('python < 3.8 has no audit hooks');
      return { python, prefix };
    } catch (error) {
      problems.push(`${candidate}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return `no usable python3 (${problems.join('; ')})`;
}

async function findTools(): Promise<Tools | string> {
  if (process.platform !== 'linux') return `the sandbox needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'the sandbox needs root (it creates namespaces and runs the program as an unused uid)';
  const found: Record<string, string | null> = {};
  for (const name of ['unshare', 'prlimit', 'setpriv', 'chroot', 'sh']) found[name] = await which(name);
  const missing = Object.keys(found).filter((name) => !found[name]);
  if (missing.length > 0) return `the sandbox needs ${missing.join(', ')} (util-linux, coreutils) on PATH`;
  const python = await findPython();
  if (typeof python === 'string') return python;
  const underUsr = (path: string) => path === '/usr' || path.startsWith('/usr/');
  // setpriv also runs inside the chroot, by its host path: it must be under /usr (or /bin, /sbin, bound or linked).
  if (!underUsr(found.setpriv!) && !/^\/s?bin\//.test(found.setpriv!)) {
    return `setpriv at ${found.setpriv} is outside /usr and /bin, so not visible in the chroot`;
  }
  const tools: Tools = {
    unshare: found.unshare!,
    prlimit: found.prlimit!,
    setpriv: found.setpriv!,
    chroot: found.chroot!,
    sh: found.sh!,
    python: python.python,
    pythonPrefix: underUsr(python.prefix) ? '' : python.prefix,
  };
  // A trivial run proves the namespaces, mounts and uid switch work here (e.g. not in an unprivileged container).
  const probe = await runChain(tools, 'print("ok")', resolveOptions({ timeoutMs: 15_000 }));
  if (!probe.ok || probe.stdout.trim() !== 'ok') {
    const why = (probe.stderr.trim().split('\n').pop() ?? '') || `exit ${probe.exitCode ?? probe.signal}`;
    return `the sandbox does not work on this machine: ${why}`;
  }
  return tools;
}

function loadTools(): Promise<Tools | string> {
  toolsPromise ??= findTools().catch((error: Error) => `the sandbox could not start: ${error.message}`);
  return toolsPromise;
}

/** Null when the sandbox can run here, else why not (for skipping tests and for clear errors). */
export async function sandboxAvailability(): Promise<string | null> {
  const tools = await loadTools();
  return typeof tools === 'string' ? tools : null;
}

/** The interpreter the sandbox runs (its real path), or null when the sandbox is unavailable. */
export async function sandboxPython(): Promise<string | null> {
  const tools = await loadTools();
  return typeof tools === 'string' ? null : tools.python;
}

type ResolvedOptions = Required<SandboxOptions>;

function resolveOptions(options: SandboxOptions = {}): ResolvedOptions {
  const positive = (name: keyof typeof DEFAULTS, value: number | undefined): number => {
    const resolved = value ?? DEFAULTS[name];
    if (!Number.isFinite(resolved) || resolved <= 0) throw new RangeError(`sandbox ${name} must be a positive number, got ${value}`);
    return resolved;
  };
  return {
    timeoutMs: positive('timeoutMs', options.timeoutMs),
    memoryMb: Math.ceil(positive('memoryMb', options.memoryMb)),
    maxProcesses: Math.ceil(positive('maxProcesses', options.maxProcesses)),
    maxFileBytes: Math.ceil(positive('maxFileBytes', options.maxFileBytes)),
    workDirMb: Math.ceil(positive('workDirMb', options.workDirMb)),
    maxOutputBytes: Math.ceil(positive('maxOutputBytes', options.maxOutputBytes)),
    auditHook: options.auditHook ?? true,
  };
}

/**
 * Keeps at most `limit` bytes of a stream: the first three quarters and the last quarter (a
 * traceback's last line survives a flood of output), reading and dropping the middle.
 */
class CappedBuffer {
  private head: Buffer[] = [];
  private headSize = 0;
  private tail: Buffer[] = [];
  private tailSize = 0;
  private dropped = 0;
  private readonly headLimit: number;
  private readonly tailLimit: number;
  constructor(limit: number) {
    this.headLimit = Math.ceil(limit * 0.75);
    this.tailLimit = limit - this.headLimit;
  }
  push(chunk: Buffer): void {
    const room = this.headLimit - this.headSize;
    if (room > 0) {
      const kept = chunk.subarray(0, room);
      this.head.push(kept);
      this.headSize += kept.length;
      chunk = chunk.subarray(kept.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailSize += chunk.length;
    while (this.tailSize > this.tailLimit) {
      const excess = this.tailSize - this.tailLimit;
      const first = this.tail[0]!;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailSize -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailSize -= excess;
        this.dropped += excess;
      }
    }
  }
  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    return this.dropped > 0 ? `${head}\n[… ${this.dropped} bytes dropped …]\n${tail}` : head + tail;
  }
}

/** Running sandboxes, killed when this process exits so none outlives it. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** The direct children of a process (the namespace's pid 1 is unshare's only child). */
async function childPids(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((value) => Number(value));
  } catch {
    return [];
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Kills the whole run: SIGKILL to the namespace's pid 1 (unshare's only child). When it dies the
 * kernel kills every process in the pid namespace, even those that left the process group with
 * setsid, and pid 1 exits only once they are all reaped; unshare then reaps it and exits, so the
 * 'close' event means the tree is gone. Before unshare has forked, the process group is killed
 * instead (a child forked meanwhile is in it).
 */
async function killRun(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const children = await childPids(child.pid);
  for (const pid of children) killQuietly(pid);
  if (children.length === 0) killQuietly(-child.pid);
}

function killRunSync(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    // Synchronous read: an 'exit' handler cannot wait.
    const text = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8');
    for (const pid of text.trim().split(/\s+/).filter(Boolean)) killQuietly(Number(pid));
  } catch {
    // fall through to the group
  }
  killQuietly(-child.pid);
}

async function runChain(tools: Tools, program: string, options: ResolvedOptions): Promise<SandboxResult> {
  const host = await mkdtemp(join(tmpdir(), 'agora-sandbox-'));
  try {
    await mkdir(join(host, 'code'), { mode: 0o755 });
    await writeFile(join(host, 'code', 'main.py'), PREAMBLE, { mode: 0o644 });
    await writeFile(join(host, 'code', 'program.py'), program, { mode: 0o644 });
    await chmod(join(host, 'code'), 0o755);
    const root = join(host, 'root');
    const binds = [...(await buildSkeleton(root, tools)), join(host, 'code'), CODE_DIR];
    // An unused uid per run: RLIMIT_NPROC counts only this run's processes, and it owns nothing on the host.
    const uid = randomInt(1_000_000, 2_000_000_000);
    const cpuSeconds = Math.ceil(options.timeoutMs / 1000) + 1;
    const args = [
      // If Node dies (even by SIGKILL), unshare gets SIGKILL, and with --kill-child so does the
      // namespace's pid 1, which takes the whole namespace with it.
      '--pdeathsig',
      'KILL',
      '--',
      tools.unshare,
      '--kill-child=SIGKILL',
      '--net',
      '--mount',
      '--pid',
      '--ipc',
      '--uts',
      '--fork',
      '--propagation',
      'private',
      '--',
      tools.sh,
      '-c',
      SETUP,
      'agora-sandbox',
      root,
      String(uid),
      String(options.workDirMb),
      ...binds,
      '--',
      tools.prlimit,
      `--as=${options.memoryMb * 1024 * 1024}`,
      `--nproc=${options.maxProcesses}`,
      `--cpu=${cpuSeconds}:${cpuSeconds + 1}`,
      `--fsize=${options.maxFileBytes}`,
      '--nofile=256',
      '--core=0',
      '--',
      tools.chroot,
      root,
      tools.setpriv,
      `--reuid=${uid}`,
      `--regid=${uid}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
      tools.python,
      '-I', // isolated: no PYTHON* variables, no user site, script's folder not on sys.path
      '-S', // no site-packages: the standard library only (also 10× faster start-up with pyenv's site)
      '-B', // write no .pyc
      `${CODE_DIR}/main.py`,
      WORK_DIR,
      options.auditHook ? '1' : '0',
    ];
    const env = {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: WORK_DIR,
      TMPDIR: WORK_DIR,
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      PYTHONIOENCODING: 'utf-8',
    };
    const started = performance.now();
    const child = spawn(tools.setpriv, args, {
      cwd: host,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    running.add(child);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => {
        for (const run of running) killRunSync(run);
      });
    }
    const stdout = new CappedBuffer(options.maxOutputBytes);
    const stderr = new CappedBuffer(options.maxOutputBytes);
    const violations = new CappedBuffer(4096);
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => violations.push(chunk));
    let timedOut = false;
    let escalation: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      void killRun(child);
      // Should unshare itself not exit (it always does once its child is gone), kill the group.
      escalation = setTimeout(() => killQuietly(-child.pid!), 5_000);
    }, options.timeoutMs);
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      // 'close': the process exited and every holder of its pipes is gone (the pid namespace is empty).
      child.once('close', (code, signal) => resolve({ code, signal }));
    }).finally(() => {
      clearTimeout(timer);
      clearTimeout(escalation);
      running.delete(child);
    });
    const durationMs = performance.now() - started;
    // The shell (pid 1) reports a program killed by signal N as 128 + N (ambiguous with exit(128 + N)).
    let exitCode = code;
    let signalName: string | null = signal;
    if (timedOut) {
      exitCode = null;
      signalName = 'SIGKILL';
    } else if (code !== null && code > 128 && code <= 128 + 64) {
      const name = Object.entries(osConstants.signals).find(([, number]) => number === code - 128)?.[0];
      if (name) {
        exitCode = null;
        signalName = name;
      }
    }
    const firstViolation = violations
      .text()
      .split('\n')
      .find((line) => line.trim() !== '');
    let violation: string | undefined = firstViolation;
    if (timedOut) violation ??= `timed out after ${options.timeoutMs} ms`;
    else if (signalName === 'SIGXCPU' || (signalName === 'SIGKILL' && durationMs >= cpuSeconds * 1000)) {
      violation ??= `CPU time limit (${cpuSeconds} s)`;
    }
    const result: SandboxResult = {
      ok: exitCode === 0 && !timedOut,
      exitCode,
      signal: signalName,
      timedOut,
      stdout: stdout.text(),
      stderr: stderr.text(),
      durationMs,
    };
    if (violation !== undefined) result.violation = violation;
    return result;
  } finally {
    await rm(host, { recursive: true, force: true });
  }
}

/**
 * Runs a Python program in the sandbox described at the top of this file and resolves when its
 * whole process tree is gone. Throws {@link SandboxUnavailableError} when the sandbox cannot run here.
 */
export async function runPythonSandboxed(program: string, options?: SandboxOptions): Promise<SandboxResult> {
  const resolved = resolveOptions(options);
  const tools = await loadTools();
  if (typeof tools === 'string') throw new SandboxUnavailableError(tools);
  return runChain(tools, program, resolved);
}
