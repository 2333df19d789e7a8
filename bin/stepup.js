#!/usr/bin/env node
// Runs the TypeScript CLI directly: Node >= 22.18 strips types without a build step.
import '../src/cli/main.ts';
