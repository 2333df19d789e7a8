import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, folderGraph, importGraph, importsOfServer } from '../../scripts/import-graph.ts';

// Layers import only downward: a new cycle, or plugin code reaching into the bundled server, fails here.
const graph = importGraph(resolve(import.meta.dirname, '../../src'));

describe('the import graph of src/', () => {
  it('has no cycle between files', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('has no cycle between folders', () => {
    expect(cycles(folderGraph(graph))).toEqual([]);
  });

  it('keeps the bundled server out of the plugin: only server/, cli/ and its subpath export import it', () => {
    expect(importsOfServer(graph)).toEqual([]);
  });

  it('sees every kind of relative import (static, type-only, re-export, dynamic)', () => {
    const edges = new Map([...graph].map(([from, to]) => [from, [...to]]));
    expect(edges.get('index.ts')).toContain('plugin.ts'); // export … from
    expect(edges.get('plugin.ts')).toContain('plugin-options.ts'); // import { … }
    expect(edges.get('cli/main.ts')?.length).toBeGreaterThan(0);
    expect(graph.size).toBeGreaterThan(100);
  });
});
