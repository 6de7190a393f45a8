/**
 * Real processes for the queue tests and the eval bench: redis-server on 127.0.0.1 at a free port
 * (in memory only), and waiting for a child to exit. Callers keep every child they start in
 * `started` and kill them all at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** redis-server started into `started`; its redis:// URL once it accepts connections. */
export async function startRedis(started: Set<ChildProcess>): Promise<string> {
  const port = await freePort();
  const server = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(server);
  await new Promise<void>((ready, fail) => {
    let log = '';
    server.stdout!.on('data', (d: Buffer) => {
      log += d;
      if (/Ready to accept connections/.test(log)) ready();
    });
    server.once('exit', (code) => fail(new Error(`redis-server exited ${code}: ${log}`)));
  });
  return `redis://127.0.0.1:${port}`;
}
