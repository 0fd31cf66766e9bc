#!/usr/bin/env node
// Entry point: sizes V8's young generation (heap.ts) before the exporter's module graph is loaded and parsed.
import './heap.js';

// Dynamic on purpose: a static import would be parsed before heap.ts runs, and parsing alone grows the nursery.
await import('./exporter.js');
