// Runs before each test file (vitest setupFiles): removes the temp dirs its hooks and helpers made with tempDirSync.
import { afterAll } from 'vitest';
import { removeTempDirs } from './helpers/tmp.js';

// Registered before the file's own hooks, so it runs after them (afterAll hooks run in reverse order):
// the servers and exporters using these dirs are stopped first.
afterAll(removeTempDirs);
