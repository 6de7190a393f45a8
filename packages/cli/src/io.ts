/** Where the command writes: results on stdout, progress and messages on stderr. */
export interface Io {
  /** Results: written paths, tables, lists. */
  out(text: string): void;
  /** Messages: errors, notices, the timing summary. */
  err(text: string): void;
  /** The stream progress bars draw on. */
  readonly errStream: NodeJS.WritableStream;
  /** True when stderr is a terminal (progress bars only then). */
  readonly tty: boolean;
  readonly env: NodeJS.ProcessEnv;
}

export function processIo(): Io {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    errStream: process.stderr,
    tty: Boolean(process.stderr.isTTY),
    env: process.env,
  };
}
