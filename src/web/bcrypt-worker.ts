// bcrypt comparisons on a worker thread: bcryptjs is pure JavaScript, and on the event loop its 100 ms slices let
// the server accept about one new connection per slice, so a flood of wrong passwords starved every other client.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// CommonJS, evaluated in the worker: no separate file, so it runs the same from src/ (tests) and dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcrypt);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch {}
  parentPort.postMessage({ id, ok });
});
`;

/** Compares on one lazily started worker, one request at a time in its queue; the caller bounds how many are sent. */
export class BcryptWorker {
  private worker: Worker | undefined;
  private seq = 0;
  private readonly pending = new Map<number, (ok: boolean) => void>();

  compare = (password: string, hash: string): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const id = ++this.seq;
      this.pending.set(id, resolve);
      this.started().postMessage({ id, password, hash });
    });

  private started(): Worker {
    if (this.worker) return this.worker;
    const bcrypt = createRequire(import.meta.url).resolve('bcryptjs');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcrypt } });
    // Never what keeps the process alive (SIGTERM exits within 2 s).
    worker.unref();
    worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      this.pending.get(id)?.(ok);
      this.pending.delete(id);
    });
    const fail = () => {
      // A dead worker refuses what it held; the next comparison starts a new one.
      if (this.worker === worker) this.worker = undefined;
      for (const resolve of this.pending.values()) resolve(false);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.worker = worker;
    return worker;
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}

/** One worker for the process: comparisons are bounded by BasicAuthChecker, not by the number of checkers. */
export const sharedBcryptWorker = new BcryptWorker();
