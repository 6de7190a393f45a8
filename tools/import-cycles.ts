/**
 * Import cycles inside packages: every relative import (values and `import type` alike, and
 * `export … from`) between the source files of one package, resolved by TypeScript's own module
 * resolution, and the strongly connected components of that graph (Tarjan). A component of more
 * than one file, or a file importing itself, is a cycle; each is reported with one closed path.
 *
 *   pnpm cycles                      # the packages in CHECKED_PACKAGES
 *   pnpm cycles packages/cli         # any package folder(s)
 *
 * `test/lint/import-cycles.test.ts` runs the same check in CI. To extend it to a package, add its
 * folder to CHECKED_PACKAGES (every package is checked today).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const CHECKED_PACKAGES: readonly string[] = [
  'packages/shaders',
  'packages/core',
  'packages/cam-methods',
  'packages/cli',
  'packages/viewer',
];

const root = resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** file → the files of the same source tree it imports. */
export function importGraph(srcDir: string): Map<string, string[]> {
  const config = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile).config;
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, root);
  const files = sourceFiles(srcDir);
  const inTree = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles.flatMap(({ fileName }) => {
      if (!fileName.startsWith('.')) return []; // other packages: the layering rule, not a cycle
      if (/\.(css|json|wgsl|html|svg|png)(\?.*)?$/.test(fileName)) return []; // assets import nothing back
      const resolved = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule?.resolvedFileName;
      if (!resolved) throw new Error(`${relative(root, file)}: cannot resolve import '${fileName}'`);
      return inTree.has(resolved) ? [resolved] : [];
    });
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Strongly connected components that are cycles: their files, and one closed path through them. */
export function cyclesOf(graph: Map<string, string[]>): { files: string[]; path: string[] }[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) components.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return components.map((files) => ({ files, path: closedPath(graph, new Set(files)) }));
}

/** A shortest path from the component's first file back to itself, inside the component. */
function closedPath(graph: Map<string, string[]>, component: Set<string>): string[] {
  const start = [...component].sort()[0];
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0])!);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** Every cycle in the given package folders (relative to the repository root), as readable lines. */
export function importCycles(packages: readonly string[] = CHECKED_PACKAGES): string[] {
  return packages.flatMap((pkg) => {
    const src = join(root, pkg, 'src');
    return cyclesOf(importGraph(src)).map(({ path, files }) => {
      const others =
        files.length + 1 > path.length
          ? ` (${files.length} files in the cycle: ${files
              .map((f) => relative(src, f))
              .sort()
              .join(', ')})`
          : '';
      return `${pkg}: ${path.map((f) => relative(src, f)).join(' → ')}${others}`;
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const packages = process.argv.length > 2 ? process.argv.slice(2) : CHECKED_PACKAGES;
  const cycles = importCycles(packages);
  for (const line of cycles) console.log(line);
  console.log(cycles.length ? `${cycles.length} import cycle(s)` : `no import cycles in ${packages.join(', ')}`);
  process.exitCode = cycles.length ? 1 : 0;
}
