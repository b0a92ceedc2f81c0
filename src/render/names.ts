/**
 * The chart's naming rules (`_helpers.tpl`), reproduced exactly, plus one deliberate fix: Service names
 * (DNS-1035 labels, at most 63 characters) shorten the fullname part instead of overflowing, which the
 * chart does not do (its Services fail to apply for long release names).
 */
import type { OperatorValues } from '../config/values-schema.ts';

export const CHART_NAME = 'dynamo-operator';

/** Helm's `trunc 63 | trimSuffix "-"`: cut at 63, then drop one trailing dash. */
export function trunc63(s: string): string {
  const cut = s.slice(0, 63);
  return cut.endsWith('-') ? cut.slice(0, -1) : cut;
}

/** `name`: the chart name or nameOverride. */
export function chartName(op: Pick<OperatorValues, 'nameOverride'>): string {
  return trunc63(op.nameOverride || CHART_NAME);
}

/**
 * `fullname`: fullnameOverride; else the release name when it already contains the chart name; else
 * `<release>-<name>`. Truncated to 63.
 */
export function fullname(release: string, op: Pick<OperatorValues, 'nameOverride' | 'fullnameOverride'>): string {
  if (op.fullnameOverride) return trunc63(op.fullnameOverride);
  const name = op.nameOverride || CHART_NAME;
  return trunc63(release.includes(name) ? release : `${release}-${name}`);
}

/** `<prefix><suffix>` within 63 characters, shortening the prefix (never the distinguishing suffix). */
export function serviceName(prefix: string, suffix: string): string {
  const room = 63 - suffix.length;
  const head = prefix.length > room ? prefix.slice(0, room).replace(/-+$/, '') : prefix;
  return `${head}${suffix}`;
}

/**
 * The fullname a subchart (nats, etcd, …) gives its objects when installed as its own helm release: the
 * release name if it contains the chart name, else `<release>-<chart>`. dynamoctl names those releases
 * `<release>-nats` and `<release>-etcd`, so the Services are `<release>-nats` and `<release>-etcd`, the
 * addresses the operator expects.
 */
export function subchartFullname(helmRelease: string, chart: string): string {
  return trunc63(helmRelease.includes(chart) ? helmRelease : `${helmRelease}-${chart}`);
}

/** Helm release names dynamoctl uses for the subcharts of platform release `release`. */
export function subchartRelease(release: string, key: 'nats' | 'etcd' | 'grove' | 'kai-scheduler' | 'dynamo-crds'): string {
  return key === 'dynamo-crds' ? 'dynamo-crds' : `${release}-${key}`;
}
