/**
 * detectConflicts: may `planned` be installed next to `existing`? Pure. The same release in the same
 * namespace is this install itself (an upgrade, possibly changing scope) and is judged against everyone
 * else. Leftovers (RBAC without an operator Deployment) never block; they are returned for reporting.
 */
import { MATRIX, type MatrixRule } from './rules.ts';
import type { ExistingOperator, PlannedOperator } from './types.ts';

export interface Blocker {
  operator: ExistingOperator;
  rule: MatrixRule;
  /** Commands that resolve this conflict, best first. */
  resolutions: string[];
}

export interface Verdict {
  verdict: 'allowed' | 'blocked';
  /** The deciding row: the first blocking one, else the row that allowed it. */
  rule: MatrixRule;
  /** The planned release is already installed here: this is an upgrade. */
  upgrade: boolean;
  blockers: Blocker[];
  leftovers: ExistingOperator[];
  /** One sentence for people. */
  summary: string;
}

export function isSelf(planned: PlannedOperator, existing: ExistingOperator): boolean {
  return existing.release === planned.release && existing.namespace === planned.namespace;
}

function ruleFor(planned: PlannedOperator, existing: ExistingOperator): MatrixRule {
  const sameTarget = existing.scope === 'namespace' && planned.scope === 'namespace' ? existing.targetNamespace === planned.targetNamespace : undefined;
  const rule = MATRIX.find((r) => r.existing === existing.scope && r.planned === planned.scope && (r.sameTarget === undefined || r.sameTarget === sameTarget));
  if (!rule) throw new Error(`no matrix row for ${existing.scope} → ${planned.scope}`);
  return rule;
}

const noneRule = (planned: PlannedOperator): MatrixRule => MATRIX.find((r) => r.existing === 'none' && r.planned === planned.scope)!;

export function describeOperator(o: ExistingOperator): string {
  const where = o.namespace ? ` in namespace ${o.namespace}` : '';
  const scope = o.scope === 'cluster' ? 'cluster-wide' : `restricted to namespace ${o.targetNamespace ?? '?'}`;
  const by = o.installedBy === 'dynamoctl' ? 'dynamoctl' : 'the dynamo-platform Helm chart';
  return `release "${o.release}"${where} (${scope}, installed by ${by})`;
}

/** The command that removes an existing operator. */
export function uninstallCommand(o: ExistingOperator): string {
  const ns = o.namespace ? ` -n ${o.namespace}` : ' -n <its namespace>';
  return o.installedBy === 'dynamoctl' ? `dynamoctl uninstall --release ${o.release}${ns}` : `helm uninstall ${o.release}${ns}`;
}

/** The kubectl command that deletes a leftover's objects, by kind. */
export function leftoverCleanupCommand(o: ExistingOperator): string {
  const byScope = new Map<string, string[]>();
  for (const ref of o.objects) {
    const key = `${ref.kind.toLowerCase()}${ref.namespace ? ` -n ${ref.namespace}` : ''}`;
    byScope.set(key, [...(byScope.get(key) ?? []), ref.name]);
  }
  return [...byScope].map(([key, names]) => {
    const [kind, ...ns] = key.split(' ');
    return `kubectl delete ${kind} ${names.join(' ')}${ns.length ? ` ${ns.join(' ')}` : ''}`;
  }).join(' && ');
}

function resolutions(planned: PlannedOperator, blocker: ExistingOperator, rule: MatrixRule): string[] {
  const remove = uninstallCommand(blocker);
  switch (rule.id) {
    case 'cluster-namespace':
      return [`use the existing cluster-wide operator: it already manages namespace ${planned.targetNamespace}`, remove];
    case 'namespace-cluster':
      return [`install restricted to a namespace instead: --scope namespace --target-namespace <ns>`, remove];
    case 'namespace-namespace-same':
      return [`pick another namespace: --target-namespace <ns>`, remove];
    default:
      return [`use the existing operator`, remove];
  }
}

export function detectConflicts(planned: PlannedOperator, existing: readonly ExistingOperator[]): Verdict {
  const upgrade = existing.some((o) => o.running && isSelf(planned, o));
  const others = existing.filter((o) => !isSelf(planned, o));
  const running = others.filter((o) => o.running);
  const leftovers = others.filter((o) => !o.running);
  const judged = running.map((operator) => ({ operator, rule: ruleFor(planned, operator) }));
  const blockers = judged.filter((j) => j.rule.result === 'blocked').map((j) => ({ ...j, resolutions: resolutions(planned, j.operator, j.rule) }));
  const first = blockers[0];
  if (first) {
    return {
      verdict: 'blocked',
      rule: first.rule,
      upgrade,
      blockers,
      leftovers,
      summary: `blocked: ${first.rule.reason}: ${describeOperator(first.operator)}${blockers.length > 1 ? ` (and ${blockers.length - 1} more)` : ''}`,
    };
  }
  const rule = judged[0]?.rule ?? noneRule(planned);
  return {
    verdict: 'allowed',
    rule,
    upgrade,
    blockers: [],
    leftovers,
    summary: upgrade
      ? `allowed: upgrade of release "${planned.release}" in ${planned.namespace}; ${judged.length ? rule.reason : 'no other Dynamo operator is installed'}`
      : `allowed: ${rule.reason}`,
  };
}
