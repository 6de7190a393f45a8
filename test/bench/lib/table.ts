/** Markdown tables on stdout, with notes under them (conditions, what was extrapolated). */

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: (readonly string[])[];
  readonly notes: string[];
}

export function table(title: string, columns: readonly string[]): Table {
  return { title, columns, rows: [], notes: [] };
}

export function render(t: Table): string {
  const widths = t.columns.map((c, k) => Math.max(c.length, ...t.rows.map((r) => (r[k] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, k) => (c ?? '').padEnd(widths[k])).join(' | ')} |`;
  const out = [`### ${t.title}`, ''];
  if (t.rows.length) {
    out.push(line(t.columns), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...t.rows.map(line));
  } else {
    out.push('(no rows)');
  }
  if (t.notes.length) out.push('', ...t.notes.map((n) => `- ${n}`));
  return `${out.join('\n')}\n`;
}

export function print(t: Table): void {
  process.stdout.write(`${render(t)}\n`);
}
