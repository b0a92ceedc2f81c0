import { existsSync } from 'node:fs';

/**
 * The folder holding dynamoctl's package.json, found by walking up from this module, so assets
 * (templates/, package.json) resolve the same from src/ (tests), dist/ (bundled) and an installed package.
 */
export function packageRoot(): URL {
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    if (existsSync(new URL('package.json', dir)) && existsSync(new URL('templates/', dir))) return dir;
    if (dir.pathname === '/') throw new Error(`cannot find dynamoctl's package.json above ${import.meta.url}`);
  }
}
