/** The CAM method registry: an explicit list, and one call for a plugin to join it. */
import { CamanimError } from '@camanim/core';
import type { CamMethod } from './method.ts';

export interface CamRegistry {
  register(method: CamMethod): void;
  get(id: string): CamMethod;
  list(): CamMethod[];
}

export function createCamRegistry(methods: readonly CamMethod[]): CamRegistry {
  const map = new Map<string, CamMethod>();
  const registry: CamRegistry = {
    register(m) {
      if (!/^[a-z0-9+_-]+$/.test(m.id))
        throw new CamanimError('bad-input', `CAM method id '${m.id}' must be lowercase letters, digits, +, _ or -`);
      if (map.has(m.id)) throw new CamanimError('bad-input', `A CAM method with id '${m.id}' is already registered`);
      map.set(m.id, m);
    },
    get(id) {
      const m = map.get(id.toLowerCase());
      if (!m)
        throw new CamanimError('not-found', `Unknown CAM method '${id}'`, {}, `Known methods: ${[...map.keys()].join(', ')}`);
      return m;
    },
    list: () => [...map.values()],
  };
  methods.forEach((m) => registry.register(m));
  return registry;
}
