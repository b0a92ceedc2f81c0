import { afterEach, expect, it, vi } from 'vitest';
import { upstreamAvailable } from '../helpers/upstream.ts';

afterEach(() => vi.unstubAllEnvs());

it('reports the upstream reference data missing outside CI (tests then skip, naming the path)', () => {
  vi.stubEnv('CI', '');
  expect(upstreamAvailable('/nonexistent/upstream/')).toBe(false);
});

it('fails under CI=true when the upstream reference data is missing', () => {
  vi.stubEnv('CI', 'true');
  expect(() => upstreamAvailable('/nonexistent/upstream/')).toThrow('upstream reference data missing at /nonexistent/upstream/');
});
