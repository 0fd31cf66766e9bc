// The memory and /metrics floor the exporter is compared with: an express + prom-client hello world.
// With --series FILE it also holds the given series, static: a bare registry to compare /metrics render time with.
import { readFileSync } from 'node:fs';
import express from 'express';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1]);
const seriesFile = args.includes('--series') ? args[args.indexOf('--series') + 1] : undefined;

const registry = new Registry();
collectDefaultMetrics({ register: registry });

if (seriesFile) {
  // [{ name, type, help, labelNames, samples: [{ labels, value }] }]
  for (const family of JSON.parse(readFileSync(seriesFile, 'utf8'))) {
    const Metric = family.type === 'counter' ? Counter : Gauge;
    const metric = new Metric({ name: family.name, help: family.help, labelNames: family.labelNames, registers: [registry] });
    for (const { labels, value } of family.samples) {
      if (family.type === 'counter') metric.inc(labels, value);
      else metric.set(labels, value);
    }
  }
}

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.get('/', (_req, res) => {
  res.type('text/plain').send('Hello world\n');
});
app.get('/metrics', async (_req, res) => {
  res.type(registry.contentType).send(await registry.metrics());
});
const server = app.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
