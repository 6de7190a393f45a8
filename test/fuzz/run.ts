/**
 * `pnpm fuzz [--cases N] [--seed S] [--minutes M] [--timeout SEC] [--fixtures a,b] [--filter REGEX] [--save DIR] [--replay] [--verbose]`:
 * mutates ONNX models and checks that camanim either runs them or refuses them with a
 * CamanimError. Failing cases are saved under test/fuzz/regressions/<seed>-<index>.onnx.
 * `--replay` runs the saved regression cases instead. The last line is exactly
 * `fuzz: N passed, M failed`; the exit status is non-zero when any case failed.
 */
import { formatSummary, fuzz, listSaved, replay } from './harness.ts';

const args = process.argv.slice(2);
const arg = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const num = (flag: string) => (arg(flag) === undefined ? undefined : Number(arg(flag)));
const log = (line: string) => console.log(line);
const common = { timeoutMs: (num('--timeout') ?? 120) * 1000, verbose: args.includes('--verbose'), log };

const summary = args.includes('--replay')
  ? await replay(listSaved(), common)
  : await fuzz({
      ...common,
      seed: num('--seed') ?? Math.floor(Math.random() * 1e6),
      cases: num('--cases'),
      minutes: num('--minutes'),
      saveDir: arg('--save'),
      fixtures: arg('--fixtures')?.split(',').filter(Boolean),
      filter: arg('--filter') ? new RegExp(arg('--filter')!) : undefined,
    });
console.log(formatSummary(summary));
process.exit(summary.records.some((r) => r.failure) ? 1 : 0);
