// Drives /probe: a closed loop at a fixed concurrency (bounded in count and time), or an open loop at a fixed rate.
import { Pool } from 'undici';
import { sleep } from './processes.mjs';

/**
 * Sends requests from `concurrency` workers until `maxRequests` are done or `maxMs` has passed.
 * `path(i)` names the i-th request; `ok(body)` says whether the probe succeeded.
 */
export async function closedLoop({ origin, path, ok, concurrency, maxRequests, maxMs }) {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const deadline = performance.now() + maxMs;
  let next = 0;
  let succeeded = 0;
  let failed = 0;
  let firstFailure;
  const worker = async () => {
    while (next < maxRequests && performance.now() < deadline) {
      const i = next++;
      try {
        const res = await pool.request({ method: 'GET', path: path(i) });
        const body = await res.body.text();
        if (res.statusCode === 200 && ok(body)) succeeded++;
        else {
          failed++;
          firstFailure ??= `${res.statusCode} ${body.slice(0, 300)}`;
        }
      } catch (err) {
        failed++;
        firstFailure ??= err.message;
      }
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - start;
  await pool.close();
  return { succeeded, failed, firstFailure, elapsedMs };
}

/** Starts a request every 1/rate seconds for `durationMs`, on a schedule that does not drift; at most `maxInFlight` at once. */
export async function openLoop({ origin, path, ok, rate, durationMs, maxInFlight = 64 }) {
  const pool = new Pool(origin, { connections: maxInFlight, pipelining: 1 });
  const total = Math.round((rate * durationMs) / 1000);
  const start = performance.now();
  let succeeded = 0;
  let failed = 0;
  let skipped = 0;
  let inFlight = 0;
  let firstFailure;
  const pending = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (inFlight >= maxInFlight) {
      skipped++;
      continue;
    }
    inFlight++;
    pending.push(
      pool
        .request({ method: 'GET', path: path(i) })
        .then(async (res) => {
          const body = await res.body.text();
          if (res.statusCode === 200 && ok(body)) succeeded++;
          else {
            failed++;
            firstFailure ??= `${res.statusCode} ${body.slice(0, 300)}`;
          }
        })
        .catch((err) => {
          failed++;
          firstFailure ??= err.message;
        })
        .finally(() => inFlight--),
    );
  }
  await Promise.all(pending);
  const elapsedMs = performance.now() - start;
  await pool.close();
  return { succeeded, failed, skipped, firstFailure, elapsedMs };
}
