import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importGraph } from '../../scripts/import-graph.ts';

const graph = importGraph(fileURLToPath(new URL('../../src/', import.meta.url)));
const importersOf = (target: string) => [...graph].filter(([, targets]) => targets.has(target)).map(([file]) => file);

describe('verification rows', () => {
  it('are read and written inside src/verification only: the interaction goes through the orchestrator', () => {
    expect(importersOf('verification/repository.ts').filter((file) => !file.startsWith('verification/'))).toEqual([]);
  });
});
