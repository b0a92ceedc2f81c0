/**
 * Platform version comparison: semver (pre-releases sort before their release: 0.9.0-rc1 < 0.9.0), plus
 * the Python-style post releases Dynamo publishes (0.8.1.post2 > 0.8.1), which semver cannot spell.
 */
import { compare, parse } from 'semver';

const POST = /[.-]?post(\d+)$/;

function split(version: string): { core: string; post: number } {
  const post = POST.exec(version);
  return { core: post ? version.slice(0, post.index) : version, post: post ? Number(post[1]) : -1 };
}

/** Negative, zero or positive as a sorts before, with or after b. Throws on what is not a version. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [split(a), split(b)];
  const [px, py] = [parse(x.core, { loose: true }), parse(y.core, { loose: true })];
  if (!px || !py) throw new Error(`not a version: ${px ? b : a}`);
  return compare(px, py) || x.post - y.post;
}
