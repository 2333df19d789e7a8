#!/usr/bin/env node
// The published package runs its build (Node will not strip types inside node_modules); a checkout runs
// the TypeScript sources directly.
import { existsSync } from 'node:fs';

const built = new URL('../dist/src/cli/main.js', import.meta.url);
await import(existsSync(built) ? built.href : new URL('../src/cli/main.ts', import.meta.url).href);
