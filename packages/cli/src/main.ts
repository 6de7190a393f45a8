/**
 * camanim's entry point: parses the command line, runs one command and turns any failure into
 * one clear message on stderr with exit code 1.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './args.ts';
import { describeError } from './errors.ts';
import { processIo, type Io } from './io.ts';

/** Runs `camanim <argv...>` and resolves with the exit code; never throws. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const debug = io.env.CAMANIM_DEBUG === '1';
  try {
    const program = buildProgram(io);
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander already printed its message (usage errors) or the help text.
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 1;
    }
    io.err(describeError(e, debug));
    return 1;
  }
}

/** For bin/camanim.js: runs with process.argv and exits (Dawn keeps the event loop alive). */
export async function runCli(): Promise<never> {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
