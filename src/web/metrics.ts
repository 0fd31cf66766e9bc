// GET /metrics: the exposition streamed in chunks, gzipped when the scraper asks for it (Prometheus always does),
// with the event loop yielded between chunks so probes and /-/healthy keep running during a large scrape.
import type { Writable } from 'node:stream';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { expositionChunks } from '../metrics/exposition.js';

/**
 * gzip level for /metrics: the fastest. Exposition text is repetitive enough that level 1 already shrinks it
 * about tenfold, at a third of the default level's CPU (the compression runs on libuv's thread pool).
 */
export const METRICS_GZIP_LEVEL = zlibConstants.Z_BEST_SPEED;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Resolves when `out` can take more, or the client left; no listener outlives the wait. */
function drained(out: Writable, res: Response): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      out.removeListener('drain', done);
      out.removeListener('error', done);
      res.removeListener('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('error', done);
    res.once('close', done);
  });
}

export function metricsHandler(registry: Registry, logger: Logger): RequestHandler {
  return (req: Request, res: Response) => {
    void serve(registry, logger, req, res);
  };
}

async function serve(registry: Registry, logger: Logger, req: Request, res: Response): Promise<void> {
  const chunks = expositionChunks(registry);
  let first: IteratorResult<string>;
  try {
    first = await chunks.next();
  } catch (err) {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'Error gathering metrics');
    res.status(500).type('text/plain').send('error gathering metrics\n');
    return;
  }
  const gzip = req.acceptsEncodings('gzip', 'identity') === 'gzip';
  res.status(200).setHeader('Content-Type', registry.contentType);
  res.setHeader('Vary', 'Accept-Encoding');
  let out: Writable = res;
  if (gzip) {
    res.setHeader('Content-Encoding', 'gzip');
    const zip = createGzip({ level: METRICS_GZIP_LEVEL });
    zip.on('error', () => res.destroy());
    zip.pipe(res);
    out = zip;
  }
  let gone = false;
  res.once('close', () => {
    gone = true;
    if (out !== res) out.destroy();
  });
  try {
    let next = first;
    while (!next.done && !gone) {
      // Backpressure: a slow scraper holds at most a chunk or two here, never the whole exposition.
      if (!out.write(next.value)) await drained(out, res);
      await yieldToLoop();
      next = await chunks.next();
    }
    if (!gone) out.end();
  } catch (err) {
    // Headers are gone already: the scraper sees a cut body, which it reports as a failed scrape.
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'Error streaming metrics');
    res.destroy();
  } finally {
    await chunks.return(undefined);
  }
}
