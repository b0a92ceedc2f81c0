/**
 * The plan for people and for machines: one line per action (shown before the confirmation) and a view
 * without object bodies (for -o json). Secret values never appear: changes to a Secret's data are shown
 * by key only.
 */
import { describeChange } from './diff.ts';
import type { HelmAction, ObjectAction, Plan } from './state.ts';

export interface PlanView {
  release: string;
  namespace: string;
  scope: Plan['scope'];
  targetNamespace: string;
  upgrade: boolean;
  objects: { action: ObjectAction['action']; object: string; changes?: string[]; note?: string; /** An update that takes the object over (adopt). */ takeover?: true }[];
  helm: { action: HelmAction['action']; component: string; release: string; namespace: string; chart: string; version: string; note?: string }[];
  /** Nothing to change. */
  empty: boolean;
}

const objectName = (a: ObjectAction): string => {
  if (a.action === 'prune') return `${a.id.kind} ${a.id.namespace ? `${a.id.namespace}/` : ''}${a.id.name}`;
  const m = a.object.metadata;
  return `${a.object.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name}`;
};

export function planView(plan: Plan): PlanView {
  const objects = plan.objects.map((a) => ({
    action: a.action,
    object: objectName(a),
    ...(a.action === 'update' ? { changes: a.changes.map((c) => describeChange(a.object.kind, c)) } : {}),
    ...(a.action === 'conflict' || a.action === 'replace' ? { note: a.reason } : a.action === 'shared' ? { note: `shared with ${a.owner}` } : {}),
    ...(a.action === 'update' && a.takeover ? { note: `from ${a.takeover}`, takeover: true as const } : a.action === 'prune' && a.reason ? { note: a.reason } : {}),
  }));
  const helm = plan.helm.map((h) => {
    const handover = (h.action === 'install' || h.action === 'upgrade') && h.handover ? { note: `takes over the ${h.handover.objects.length} objects of helm release ${h.handover.from}` } : {};
    return { action: h.action, component: h.component, release: h.release, namespace: h.namespace, chart: h.chart, version: h.version, ...(h.action === 'reuse' ? { note: h.reason } : handover) };
  });
  const empty = !plan.createNamespace && objects.every((o) => o.action === 'unchanged' || o.action === 'shared') && helm.every((h) => h.action === 'reuse');
  return { release: plan.release, namespace: plan.namespace, scope: plan.scope, targetNamespace: plan.targetNamespace, upgrade: plan.upgrade, objects, helm, empty };
}

const SIGN: Record<string, string> = { create: '+', update: '~', replace: '±', prune: '-', conflict: '!', shared: '=', install: '+', upgrade: '~', remove: '-', reuse: '=' };

/** The plan's lines, as shown before the confirmation (unchanged objects counted, not listed). */
export function planLines(view: PlanView): string[] {
  const lines: string[] = [];
  for (const o of view.objects) {
    if (o.action === 'unchanged') continue;
    lines.push(`  ${SIGN[o.action]} ${o.takeover ? 'take over' : o.action} ${o.object}${o.note ? `: ${o.note}` : ''}`);
    for (const c of o.changes ?? []) lines.push(`      ${c}`);
  }
  const unchanged = view.objects.filter((o) => o.action === 'unchanged').length;
  if (unchanged) lines.push(`  = ${unchanged} object${unchanged === 1 ? '' : 's'} unchanged`);
  for (const h of view.helm) {
    const what = h.action === 'remove' ? `helm uninstall ${h.release} -n ${h.namespace}` : h.action === 'reuse' ? `keep ${h.component}` : `helm ${h.action} ${h.release} -n ${h.namespace} (${h.chart} ${h.version})`;
    lines.push(`  ${SIGN[h.action]} ${what}${h.note ? `: ${h.note}` : ''}`);
  }
  return lines;
}
