// Every verdict of probe.test.ts again, with the probes on kept-alive connections as the scheduler runs them.
import { TargetConnections } from '../../src/probe/keep-alive.js';

(globalThis as { keptConnections?: TargetConnections }).keptConnections = new TargetConnections(Date.now);
await import('./probe.test.js');
