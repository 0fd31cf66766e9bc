#!/usr/bin/env node
// Entry point: sizes V8's young generation (heap.ts) before the exporter's module graph is loaded and parsed.
import { keepYoungGenerationSmall } from './heap.js';

keepYoungGenerationSmall();
// SIGTERM while the modules load: nothing to stop yet, and an exit code of 0 as after start-up (not 143).
// exporter.ts replaces this with handlers that stop what it has started.
const earlyExit = () => process.exit(0);
process.once('SIGTERM', earlyExit);
process.once('SIGINT', earlyExit);
// Dynamic on purpose: a static import would be parsed before the line above runs, and parsing alone grows the nursery.
await import('./exporter.js');
process.off('SIGTERM', earlyExit);
process.off('SIGINT', earlyExit);
