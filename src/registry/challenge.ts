/**
 * The WWW-Authenticate challenge of a registry (RFC 7235 auth-params), as the Docker token authentication
 * spec uses it: `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:x:pull"`
 * or `Basic realm="…"`.
 */

export type Challenge = { scheme: 'bearer'; realm: string; service?: string } | { scheme: 'basic' } | { scheme: 'other'; name: string };

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;

/** The first challenge of the header we can answer (Bearer before Basic); undefined without a header. */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  if (!header) return undefined;
  const challenges = parseChallenges(header);
  const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
  if (bearer) return { scheme: 'bearer', realm: bearer.params.realm!, ...(bearer.params.service ? { service: bearer.params.service } : {}) };
  if (challenges.some((c) => c.scheme === 'basic')) return { scheme: 'basic' };
  return challenges[0] ? { scheme: 'other', name: challenges[0].scheme } : undefined;
}

/** Every challenge in the header: a scheme, then comma-separated name=value (value a token or quoted string). */
function parseChallenges(header: string): { scheme: string; params: Record<string, string> }[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const skip = (chars: RegExp): void => {
    while (i < header.length && chars.test(header[i]!)) i++;
  };
  const token = (): string | undefined => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(header);
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const quoted = (): string => {
    let value = '';
    for (i++; i < header.length && header[i] !== '"'; i++) value += header[i] === '\\' ? header[++i] ?? '' : header[i];
    i++;
    return value;
  };
  // an unquoted value, read leniently up to the next comma (some registries leave URLs unquoted)
  const bare = (): string => {
    const start = i;
    while (i < header.length && !/[\s,]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  while (i < header.length) {
    skip(/[\s,]/);
    const scheme = token();
    if (!scheme) break;
    const params: Record<string, string> = {};
    out.push({ scheme: scheme.toLowerCase(), params });
    for (;;) {
      skip(/\s/);
      const start = i;
      const name = token();
      skip(/\s/);
      if (!name || header[i] !== '=') {
        // the next challenge's scheme (or the end)
        i = start;
        break;
      }
      i++;
      skip(/\s/);
      params[name.toLowerCase()] = header[i] === '"' ? quoted() : bare();
      skip(/\s/);
      if (header[i] === ',') i++;
    }
  }
  return out;
}
