/** Secret values never leave dynamoctl in clear: not in printed values, logs, errors or the install record. */

export const REDACTED = '<redacted>';

/** Keys whose string values are secrets, wherever they appear (ours and subcharts'). Names of secrets are not. */
const SECRET_KEY = /(password|passwd|token|apikey|api[_-]key|privatekey|private[_-]key|credentials?|secretkey|secret[_-]key)$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A deep copy with every non-empty secret string (or number: `--set password=1234` parses as one) replaced by REDACTED. */
export function redactValues<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactValues(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) && ((typeof v === 'string' && v !== '') || typeof v === 'number') ? REDACTED : redactValues(v);
  return out as T;
}
