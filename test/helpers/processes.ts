/**
 * The gateway and its CLI as separate processes, as an operator runs them: `agora …` commands, and
 * `agora serve` started on a port, killed with SIGKILL and started again. They run the built dist/
 * (`npm run build`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const CLI = join(import.meta.dirname, '../../bin/agora.js');
const run = promisify(execFile);

/** A loopback port nothing listens on (now). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The environment of a CLI run: the caller's, without AGORA_* (and HF_TOKEN), so only the flags given count. */
export function cliEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AGORA_') || name === 'HF_TOKEN') delete env[name];
  return env;
}

/** Runs `agora ARGS…`; resolves with its output and exit code, whatever the code. */
export async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: cliEnv(), timeout: 60_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

/** Starts `agora serve ARGS…`; resolves with the process once it says it listens (`spawned` has it from the start). */
export async function spawnGateway(
  args: string[],
  env: NodeJS.ProcessEnv,
  spawned: (child: ChildProcess) => void = () => undefined,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  spawned(child);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (data: Buffer) => {
      out += data.toString();
      if (out.includes('Agora gateway on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`gateway exited early (${code})`)));
  });
  return child;
}

/** SIGKILL; resolves once the process is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
