import { describe, expect, it } from 'vitest';
import { checkConfigFiles } from '../../src/config/check.js';
import { parseConfig } from '../../src/config/load.js';

describe('--config.check', () => {
  it('counts distinct files, not the places that name them', async () => {
    const text = `scrape_configs:
  - job_name: a
    bearer_token_file: /nonexistent/fidcfg/token
  - job_name: b
    authorization: { credentials_file: /nonexistent/fidcfg/token }
credential_files:
  - path: /nonexistent/fidcfg/token
`;
    const { config } = parseConfig(text, '/etc/scrape-auth/scrape-auth.yml');
    const report = await checkConfigFiles('/etc/scrape-auth/scrape-auth.yml', config);
    expect(report.ok).toBe(false);
    expect(report.lines).toEqual([
      'Checking /etc/scrape-auth/scrape-auth.yml',
      '  jobs: 2, static targets: 0, file_sd blocks: 0, credential files: 1',
      '  FAILED: job "a" bearer_token_file: /nonexistent/fidcfg/token: no such file or directory',
      '  FAILED: job "b" authorization.credentials_file: /nonexistent/fidcfg/token: no such file or directory',
      '  FAILED: credential_files[0]: /nonexistent/fidcfg/token: no such file or directory',
      '  FAILED: 1 file(s) with problems',
    ]);
  });
});
