/** `camanim methods`: the registered CAM methods, what they need, and their references. */
import { listCamMethods } from '@camanim/cam-methods';
import type { Io } from '../io.ts';
import { table } from '../table.ts';

export async function methods(io: Io): Promise<void> {
  const rows = listCamMethods().map((m) => {
    const needs =
      Object.entries(m.needs)
        .filter(([, v]) => v)
        .map(([k]) => k)
        .join(', ') || '-';
    return [m.id, m.title, needs, m.reference];
  });
  io.out(table(['id', 'title', 'needs', 'reference'], rows));
}
