#!/usr/bin/env node
// Entry point: sizes V8's young generation (heap.ts) before the exporter's module graph is loaded and parsed.
import { keepYoungGenerationSmall } from './heap.js';

keepYoungGenerationSmall();
// Dynamic on purpose: a static import would be parsed before the line above runs, and parsing alone grows the nursery.
await import('./exporter.js');
