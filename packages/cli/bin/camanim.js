#!/usr/bin/env node
// The `camanim` command: runs src/main.ts through tsx's loader (no build step).
import { register } from 'tsx/esm/api';

// `pnpm camanim ...` at the repository root runs this in packages/cli; resolve the user's
// relative paths from where they typed the command.
if (process.env.npm_lifecycle_event === 'camanim' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
register();
const { runCli } = await import('../src/main.ts');
await runCli();
