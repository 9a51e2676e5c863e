import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPythonSandboxed, sandboxAvailability, type SandboxResult } from './sandbox.js';

const unavailable = await sandboxAvailability();
const noPython = unavailable?.startsWith('no usable python3') ?? false;
if (noPython) console.warn(`sandbox tests skipped: ${unavailable}`);

/** Host pids whose real uid is `uid` (the sandbox runs each program as a fresh uid). */
function processesOfUid(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const match = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (match && Number(match[1]) === uid) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** The uid a program printed on its first stdout line. */
function printedUid(result: SandboxResult): number {
  const uid = Number(result.stdout.split('\n')[0]);
  expect(uid).toBeGreaterThan(0);
  return uid;
}

/** Python: `attempt(name, action)` prints `<name> DONE` when the action succeeds, else `<name> failed <Exception>`. */
const ATTEMPT = [
  'def attempt(name, action):',
  '    try:',
  '        action()',
  '        print(name, "DONE", flush=True)',
  '    except Exception as error:',
  '        print(name, "failed", type(error).__name__, flush=True)',
].join('\n');

describe.skipIf(noPython)('runPythonSandboxed', () => {
  it('is available on this machine (root, util-linux, python3 ≥ 3.8)', () => {
    expect(unavailable).toBeNull();
  });

  it('runs a normal program: stdout, stderr, exit code, a writable work folder, the standard library', async () => {
    const program = [
      'import json, os, sys, tempfile, math',
      'with open("data.txt", "w") as f: f.write("hello")',
      'fd, path = tempfile.mkstemp()',
      'os.write(fd, b"x"); os.close(fd); os.remove(path)',
      'os.makedirs("sub/dir"); os.rename("data.txt", "sub/dir/data.txt")',
      'print(json.dumps({"cwd": os.getcwd(), "read": open("sub/dir/data.txt").read(), "sqrt": math.isqrt(49), "root": os.getuid() == 0}))',
      'print("warn", file=sys.stderr)',
    ].join('\n');
    const result = await runPythonSandboxed(program, { timeoutMs: 20_000 });
    expect(result.stderr).toBe('warn\n');
    expect(result.ok).toBe(true);
    expect(result.exitCode).toBe(0);
    expect(result.violation).toBeUndefined();
    expect(JSON.parse(result.stdout)).toEqual({ cwd: '/sandbox/work', read: 'hello', sqrt: 7, root: false });

    const failing = await runPythonSandboxed('import sys\nsys.exit(3)', { timeoutMs: 20_000 });
    expect(failing).toMatchObject({ ok: false, exitCode: 3, timedOut: false });
    const raising = await runPythonSandboxed('assert 1 == 2', { timeoutMs: 20_000 });
    expect(raising.ok).toBe(false);
    expect(raising.stderr.trim().split('\n').at(-1)).toBe('AssertionError');
  });

  it('gives each run a fresh work folder and removes its host folder afterwards', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'agora-sandbox-test-'));
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = parent;
    try {
      const first = await runPythonSandboxed('open("marker", "w").write("1")\nimport os\nprint(os.listdir("."))', {
        timeoutMs: 20_000,
      });
      expect(first.stdout.trim()).toBe("['marker']");
      const second = await runPythonSandboxed('import os\nprint(os.listdir("."))', { timeoutMs: 20_000 });
      expect(second.stdout.trim()).toBe('[]');
      expect(await readdir(parent)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('caps stdout and stderr, keeping the start and the end', async () => {
    const result = await runPythonSandboxed(
      'import sys\nsys.stdout.write("a" * 500_000 + "z" * 500_000)\nsys.stderr.write("x" * 1_000_000 + "\\nLastError: end\\n")',
      { timeoutMs: 20_000, maxOutputBytes: 1000 },
    );
    expect(result.ok).toBe(true);
    expect(result.stdout).toBe(`${'a'.repeat(750)}\n[… 999000 bytes dropped …]\n${'z'.repeat(250)}`);
    expect(result.stderr.length).toBeLessThan(1100);
    expect(result.stderr.trim().split('\n').at(-1)).toBe('LastError: end');
  });

  it('limits memory: allocating 2 GB fails, 100 MB works', async () => {
    const big = await runPythonSandboxed('x = bytearray(2 * 1024 ** 3)\nprint("allocated")', { timeoutMs: 20_000 });
    expect(big.ok).toBe(false);
    expect(big.stdout).not.toContain('allocated');
    expect(big.stderr.trim().split('\n').at(-1)).toBe('MemoryError');
    const small = await runPythonSandboxed('x = bytearray(100 * 1024 ** 2)\nprint(len(x))', { timeoutMs: 20_000 });
    expect(small.ok).toBe(true);
    expect(small.stdout.trim()).toBe(String(100 * 1024 ** 2));
  });

  it('limits file size (RLIMIT_FSIZE)', async () => {
    const result = await runPythonSandboxed(
      'import signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\nopen("big", "wb").write(b"x" * 2_000_000)',
      { timeoutMs: 20_000, maxFileBytes: 1_000_000 },
    );
    expect(result.ok).toBe(false);
    expect(result.stderr).toMatch(/File too large/);
  });

  // Each containment twice: with every layer, and with the audit hook off (the OS mechanisms alone).
  describe.each([
    { layers: 'all layers', auditHook: true },
    { layers: 'without the audit hook', auditHook: false },
  ])('containment, $layers', ({ auditHook }) => {
    it('kills a `while True` at the timeout, with its whole process tree (even children that left the group)', async () => {
      const program = [
        'import os, sys, time',
        'print(os.getuid(), flush=True)',
        'try:',
        '    for _ in range(3):',
        '        if os.fork() == 0:',
        '            os.setsid()',
        '            while True: time.sleep(1)',
        '    print("forked", flush=True)',
        'except (PermissionError, BlockingIOError) as error:',
        '    print("fork refused", flush=True)',
        'while True:',
        '    pass',
      ].join('\n');
      const started = Date.now();
      const result = await runPythonSandboxed(program, { timeoutMs: 1500, auditHook });
      expect(result.timedOut).toBe(true);
      expect(result.ok).toBe(false);
      expect(result.signal).toBe('SIGKILL');
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(result.stdout).toContain(auditHook ? 'fork refused' : 'forked');
      // Resolved only once the tree is gone: no process of the run's uid remains.
      expect(processesOfUid(printedUid(result))).toEqual([]);
    });

    it.each([
      {
        kind: 'a fork bomb (os.fork loop)',
        spawn: 'if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)',
        refused: /^os\.fork refused/,
      },
      {
        kind: 'subprocess spam',
        spawn: 'subprocess.Popen([sys.executable, "-S", "-c", "import time; time.sleep(60)"])',
        refused: /^subprocess\.Popen refused/,
      },
    ])('limits $kind and leaves no process behind', async ({ spawn, refused }) => {
      const program = [
        'import os, subprocess, sys, time',
        'print(os.getuid(), flush=True)',
        'started = 0',
        'try:',
        '    while started < 10_000:',
        `        ${spawn}`,
        '        started += 1',
        'except OSError as error:',
        '    print("stopped", started, type(error).__name__, flush=True)',
      ].join('\n');
      const result = await runPythonSandboxed(program, { timeoutMs: 20_000, maxProcesses: 16, auditHook });
      const match = /stopped (\d+) (\w+)/.exec(result.stdout);
      expect(match, result.stdout + result.stderr).not.toBeNull();
      if (auditHook) {
        expect(match![1]).toBe('0');
        expect(match![2]).toBe('PermissionError');
        expect(result.violation).toMatch(refused);
      } else {
        expect(Number(match![1])).toBeLessThan(16);
        expect(match![2]).toBe('BlockingIOError'); // EAGAIN from RLIMIT_NPROC
      }
      expect(result.timedOut).toBe(false);
      expect(processesOfUid(printedUid(result))).toEqual([]);
    });

    describe('network', () => {
      let server: Server;
      let port = 0;
      let connections = 0;
      beforeAll(async () => {
        server = createServer((socket) => {
          connections++;
          socket.destroy();
        });
        await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
        port = (server.address() as { port: number }).port;
      });
      afterAll(async () => {
        await new Promise((done) => server.close(done));
      });

      it('cannot connect to the host loopback, a public IP, or resolve a name', async () => {
        const program = [
          ATTEMPT,
          'import socket, urllib.request',
          'def tcp(host, port):',
          '    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)',
          '    s.settimeout(3)',
          '    s.connect((host, port))',
          `attempt("loopback", lambda: tcp("127.0.0.1", ${port}))`,
          `attempt("http", lambda: urllib.request.urlopen("http://127.0.0.1:${port}/", timeout=3))`,
          'attempt("public", lambda: tcp("1.1.1.1", 443))',
          'attempt("dns", lambda: socket.getaddrinfo("example.com", 80))',
          'attempt("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53)))',
        ].join('\n');
        const result = await runPythonSandboxed(program, { timeoutMs: 30_000, auditHook });
        const lines = result.stdout.trim().split('\n');
        expect(lines.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
          'loopback failed',
          'http failed',
          'public failed',
          'dns failed',
          'udp failed',
        ]);
        if (auditHook) expect(result.violation).toMatch(/^socket\.__new__ refused/);
        else expect(lines[0]).toContain('OSError'); // ENETUNREACH: the namespace has no interface up
        expect(connections).toBe(0);
      });

      it("sees only its own namespace's loopback", async () => {
        const result = await runPythonSandboxed('import socket\nprint(socket.if_nameindex())', { timeoutMs: 20_000, auditHook });
        expect(result.stdout.trim()).toBe("[(1, 'lo')]");
      });
    });

    it('cannot write outside its work folder (host /tmp, the repository, /usr, via .. or a symlink)', async () => {
      const token = randomBytes(6).toString('hex');
      const hostTmp = join('/tmp', `agora-escape-${token}`);
      const repo = resolve(`agora-escape-${token}`);
      const program = [
        ATTEMPT,
        'import os, shutil',
        'def write(path):',
        '    with open(path, "w") as f: f.write("escaped")',
        `attempt("tmp", lambda: write(${JSON.stringify(hostTmp)}))`,
        `attempt("repo", lambda: write(${JSON.stringify(repo)}))`,
        'attempt("usr", lambda: write("/usr/agora-escape"))',
        'attempt("dotdot", lambda: write("../../agora-escape"))',
        'attempt("mkdir", lambda: os.makedirs("/tmp/agora-escape-dir"))',
        'attempt("remove", lambda: os.remove("/etc/ld.so.cache"))',
        'attempt("chmod", lambda: os.chmod("/usr", 0o777))',
        'os.symlink("/tmp", "link")',
        `attempt("symlink", lambda: write("link/agora-escape-${token}"))`,
        `attempt("osopen", lambda: os.open(${JSON.stringify(hostTmp)}, os.O_WRONLY | os.O_CREAT))`,
        'attempt("copy", lambda: shutil.copy("/etc/ld.so.cache", "/usr/agora-escape"))',
      ].join('\n');
      const result = await runPythonSandboxed(program, { timeoutMs: 20_000, auditHook });
      const lines = result.stdout.trim().split('\n');
      expect(lines).toHaveLength(10);
      for (const line of lines) expect(line).toMatch(/^\w+ failed \w+$/); // never `<name> DONE`
      if (auditHook) expect(result.violation).toMatch(/^open refused/);
      expect(existsSync(hostTmp)).toBe(false);
      expect(existsSync(repo)).toBe(false);
      expect(existsSync('/usr/agora-escape')).toBe(false);
      expect(existsSync('/tmp/agora-escape-dir')).toBe(false);
    });

    it('cannot see the host filesystem beyond /usr and the interpreter', async () => {
      const hidden = ['/tmp', '/home', '/var', '/proc', '/work', resolve('package.json')];
      const result = await runPythonSandboxed(
        `import os\nprint(sorted(os.listdir("/")))\nprint([p for p in ${JSON.stringify(hidden)} if os.path.exists(p)])`,
        { timeoutMs: 20_000, auditHook },
      );
      expect(result.ok).toBe(true);
      const [listing, visible] = result.stdout.trim().split('\n');
      expect(visible).toBe('[]');
      // /root appears only when the interpreter lives there (pyenv), bound alone.
      expect(listing).toMatch(/^\['bin', 'dev', 'etc', 'lib', .*'sandbox', .*'usr'\]$/);
    });
  });

  it('reports a violation even when the program catches the refusal', async () => {
    const result = await runPythonSandboxed('try:\n    import os; os.system("true")\nexcept PermissionError:\n    pass', {
      timeoutMs: 20_000,
    });
    expect(result.ok).toBe(true);
    expect(result.violation).toMatch(/^os\.system refused/);
  });

  it('refuses ctypes, which could write past the audit hook', async () => {
    const result = await runPythonSandboxed('import ctypes', { timeoutMs: 20_000 });
    expect(result.ok).toBe(false);
    expect(result.violation).toMatch(/^ctypes\./);
  });
});
