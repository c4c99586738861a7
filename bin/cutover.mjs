#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so a clean clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../harness/cli/main.ts');
