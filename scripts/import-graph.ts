/**
 * The import graph of `src/`: every relative import (static, re-export, dynamic), its strongly connected
 * sets at file level and at folder level, and imports of `server/` from below it. `npm test` runs the same
 * analysis (test/architecture/imports.test.ts); run this to see the figures:
 *
 *   node scripts/import-graph.ts            cycles at file and folder level, upward imports
 *   node scripts/import-graph.ts --largest  the largest src files by line count
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** One file's relative imports, as src-relative paths. */
export type ImportGraph = Map<string, Set<string>>;

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)|^import\s*['"](\.[^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Reads every `.ts` file under `root` and the relative imports between them. */
export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(root)) {
    const from = relative(root, file);
    const targets = new Set<string>();
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3];
      if (!spec) continue;
      const target = relative(root, resolve(dirname(file), spec));
      if (!target.startsWith('..')) targets.add(target);
    }
    graph.set(from, targets);
  }
  return graph;
}

/** The top folder a file belongs to (`stepup.ts` at the root is its own unit). */
export function folderOf(file: string): string {
  const slash = file.indexOf('/');
  return slash === -1 ? file : file.slice(0, slash);
}

/** The graph with every file replaced by its folder; imports within one folder dropped. */
export function folderGraph(graph: ImportGraph): ImportGraph {
  const folders: ImportGraph = new Map();
  for (const [from, targets] of graph) {
    const edges = folders.get(folderOf(from)) ?? new Set<string>();
    for (const target of targets) if (folderOf(target) !== folderOf(from)) edges.add(folderOf(target));
    folders.set(folderOf(from), edges);
  }
  return folders;
}

/** Strongly connected sets of more than one node, or one node importing itself (Tarjan). */
export function cycles(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const set: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      set.push(member);
    } while (member !== node);
    if (set.length > 1 || graph.get(node)?.has(node)) found.push(set.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** Imports of the bundled server (`server/`) from any other folder: the plugin must not depend on it. */
export function importsOfServer(graph: ImportGraph): string[] {
  // The bundled server is reached only from itself, the CLI that runs it, and its subpath export.
  const allowed = new Set(['server', 'cli', 'exports']);
  return [...graph].flatMap(([from, targets]) =>
    allowed.has(folderOf(from)) ? [] : [...targets].filter((t) => folderOf(t) === 'server').map((t) => `${from} -> ${t}`),
  );
}

if (import.meta.main) {
  const root = resolve(import.meta.dirname, '..', 'src');
  const graph = importGraph(root);
  if (process.argv.includes('--largest')) {
    const sizes = [...graph.keys()].map((f) => [readFileSync(join(root, f), 'utf8').split('\n').length - 1, f] as const);
    for (const [lines, file] of sizes.sort((a, b) => b[0] - a[0]).slice(0, 10)) console.log(`${String(lines).padStart(5)}  src/${file}`);
  } else {
    const fileCycles = cycles(graph);
    const folderCycles = cycles(folderGraph(graph));
    const upward = importsOfServer(graph);
    console.log(`files: ${graph.size}`);
    console.log(`file-level cycles: ${fileCycles.length}`);
    for (const set of fileCycles) console.log(`  ${set.join(' ')}`);
    console.log(`folder-level cycles: ${folderCycles.length}`);
    for (const set of folderCycles) console.log(`  ${set.join(' ')}`);
    console.log(`imports of server/ from the plugin: ${upward.length}`);
    for (const line of upward) console.log(`  ${line}`);
    if (fileCycles.length + folderCycles.length + upward.length > 0) process.exitCode = 1;
  }
}
