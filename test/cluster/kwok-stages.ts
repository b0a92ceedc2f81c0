/**
 * kwok Stages that make pods fail as a real kubelet reports it, for the fail-fast tests. They act only on
 * pods that ask for it, and outweigh kwok's default pod-ready stage there (kwok picks among the stages that
 * match by weight; the default stages have none):
 *
 * - Image pulls that fail: a container whose image contains `does-not-exist` (a registry answering "not
 *   found"), or every container of a pod annotated IMAGE_PULL_ANNOTATION. ErrImagePull with the CRI's error,
 *   then ImagePullBackOff ("Back-off pulling image …: ErrImagePull: …", as kubelets ≥ 1.32 write it), and
 *   again ErrImagePull after the kubelet's first back-off (10 s). A pod annotated RECOVERS_ANNOTATION ("8s")
 *   pulls its images after that long in back-off and runs, Ready.
 * - A crash loop (pods annotated CRASH_ANNOTATION): the container exits with code 1 (reason Error) a second
 *   after it starts, then waits in CrashLoopBackOff ("back-off 10s restarting failed container=<c>
 *   pod=<name>_<namespace>(<uid>)") with lastState.terminated and restartCount counting, then runs again.
 *
 * Simplified: the back-off stays 10 s (a kubelet doubles it up to 5 min), events carry fixed messages, and
 * image names are not normalised (containerd writes docker.io/library/…).
 */
export const IMAGE_PULL_ANNOTATION = 'dynamoctl.test/image-pull-fails';
export const RECOVERS_ANNOTATION = 'dynamoctl.test/image-pull-recovers-after';
export const CRASH_ANNOTATION = 'dynamoctl.test/crash-loop';
export const MISSING_IMAGE_MARK = 'does-not-exist';

/** Outweighs every default stage (weight 0 there): among matching stages kwok then always picks ours. */
const WEIGHT = 10_000;

type Expression = { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] };
const ann = (name: string): string => `.metadata.annotations["${name}"]`;
const live: Expression = { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' };
const waitingIs = (reason: string): Expression => ({ key: '.status.containerStatuses.[] | .state.waiting.reason', operator: 'In', values: [reason] });
const pullFails: Expression = {
  key: `(.spec.containers | any(.image | contains("${MISSING_IMAGE_MARK}"))) or (${ann(IMAGE_PULL_ANNOTATION)} != null) or (${ann(RECOVERS_ANNOTATION)} != null)`,
  operator: 'In',
  values: ['true'],
};

type Next = { statusTemplate: string; event?: { type: string; reason: string; message: string } };

/** `delayFrom`: an expression giving the delay (a duration), `delayMs` when it gives none. */
function stage(name: string, expressions: Expression[], next: Next, delay?: { ms: number; from?: string }): object {
  return {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Stage',
    metadata: { name },
    spec: {
      resourceRef: { apiGroup: 'v1', kind: 'Pod' },
      selector: { matchExpressions: [live, ...expressions] },
      weight: WEIGHT,
      ...(delay ? { delay: { durationMilliseconds: delay.ms, ...(delay.from ? { durationFrom: { expressionFrom: delay.from } } : {}) } } : {}),
      next,
    },
  };
}

/**
 * The pod-level part of every status here: scheduled and initialised; Ready only when no container is
 * failing (`failing`: a template condition on a container); the pod and host IPs kwok assigns, once.
 */
function podStatus(phase: string, failing: string): string {
  const condition = (type: string): string =>
    `- { type: ${type}, lastTransitionTime: {{ $now | Quote }}, {{ if $unready }}status: "False", reason: ContainersNotReady, message: {{ printf "containers with unready status: [%s]" (join " " $unready) | Quote }}{{ else }}status: "True"{{ end }} }`;
  return `
{{ $now := Now }}
{{ $annotations := or .metadata.annotations dict }}
{{ $every := or (hasKey $annotations "${IMAGE_PULL_ANNOTATION}") (hasKey $annotations "${RECOVERS_ANNOTATION}") }}
{{ $unready := list }}{{ range .spec.containers }}{{ if ${failing} }}{{ $unready = append $unready .name }}{{ end }}{{ end }}
conditions:
- { type: PodReadyToStartContainers, status: "True", lastTransitionTime: {{ $now | Quote }} }
- { type: Initialized, status: "True", lastTransitionTime: {{ $now | Quote }} }
${condition('Ready')}
${condition('ContainersReady')}
{{ if not .status.podIP }}
{{ $ips := PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
hostIPs: [ { ip: {{ NodeIPWith .spec.nodeName | Quote }} } ]
podIP: {{ index $ips 0 | Quote }}
podIPs: [ { ip: {{ index $ips 0 | Quote }} } ]
{{ end }}
phase: ${phase}
startTime: {{ or .status.startTime $now | Quote }}
`;
}

/** A container that runs: what a kubelet reports for one without a readiness probe. */
const running = `ready: true
  started: true
  state: { running: { startedAt: {{ $now | Quote }} } }`;

/** The CRI's error for an image the registry does not have, as containerd words it. */
const PULL_ERROR = 'printf "rpc error: code = NotFound desc = failed to pull and unpack image %q: failed to resolve reference %q: %s: not found" .image .image .image';
const PULLS_FAIL = `(or $every (contains "${MISSING_IMAGE_MARK}" .image))`;

/** A failing pull; or, with `reason` undefined, every image pulled and every container running (recovered). */
function pullStatus(reason: 'ErrImagePull' | 'ImagePullBackOff' | undefined): string {
  const message = reason === 'ErrImagePull' ? `(${PULL_ERROR})` : `(printf "Back-off pulling image %q: ErrImagePull: %s" .image (${PULL_ERROR}))`;
  const failing = reason ? PULLS_FAIL : 'false';
  return `${podStatus(reason ? 'Pending' : 'Running', failing)}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  lastState: {}
  restartCount: 0
  {{ if ${failing} }}
  ready: false
  started: false
  state: { waiting: { reason: ${reason ?? ''}, message: {{ ${message} | Quote }} } }
  {{ else }}
  ${running}
  {{ end }}
{{ end }}`;
}

/** state and lastState per container for the crash loop; the previous status is read for the restart count. */
function crashStatus(step: 'exited' | 'back-off' | 'running'): string {
  // the exit just before a back-off becomes the last state; otherwise it stays what it was
  const lastState = step === 'back-off' ? '{{ dict "terminated" (index (or (index $was "state") dict) "terminated") | toJson }}' : '{{ or (index $was "lastState") dict | toJson }}';
  const state = {
    exited: `{ terminated: { exitCode: 1, reason: Error, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }} } }`,
    'back-off': `{ waiting: { reason: CrashLoopBackOff, message: {{ printf "back-off 10s restarting failed container=%s pod=%s_%s(%s)" .name $pod.name $pod.namespace $pod.uid | Quote }} } }`,
    running: `{ running: { startedAt: {{ $now | Quote }} } }`,
  }[step];
  return `${podStatus('Running', 'true')}
{{ $pod := .metadata }}
{{ $previous := or .status.containerStatuses list }}
containerStatuses:
{{ range $i, $c := .spec.containers }}
{{ $was := dict }}{{ if lt $i (len $previous) }}{{ $was = index $previous $i }}{{ end }}
{{ $restarts := int64 (or (index $was "restartCount") 0) }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: {{ printf "%s@sha256:%s" (regexReplaceAll ":[^:/@]+$" .image "") (sha256sum .image) | Quote }}
  ready: false
  started: ${step === 'running' ? 'true' : 'false'}
  restartCount: {{ ${step === 'back-off' ? 'add1 $restarts' : '$restarts'} }}
  state: ${state}
  lastState: ${lastState}
{{ end }}`;
}

/** The Stages, as objects to write into a kwok --config file. */
export function failureStages(): object[] {
  const crashing: Expression = { key: ann(CRASH_ANNOTATION), operator: 'Exists' };
  const pending: Expression = { key: '.status.phase', operator: 'In', values: ['Pending'] };
  const recovers: Expression = { key: ann(RECOVERS_ANNOTATION), operator: 'Exists' };
  const stateOf = '.status.containerStatuses.[] | .state | keys[]';
  const failed = { type: 'Warning', reason: 'Failed', message: 'Failed to pull image: not found (kwok stage)' };
  return [
    stage('image-pull-fails', [pending, pullFails, { key: '.status.containerStatuses.[] | .state.waiting.reason', operator: 'NotIn', values: ['ErrImagePull', 'ImagePullBackOff'] }], { statusTemplate: pullStatus('ErrImagePull'), event: failed }),
    stage('image-pull-backs-off', [pending, pullFails, waitingIs('ErrImagePull')], { statusTemplate: pullStatus('ImagePullBackOff'), event: { type: 'Normal', reason: 'BackOff', message: 'Back-off pulling image' } }, { ms: 1000 }),
    stage('image-pull-retries', [pending, pullFails, waitingIs('ImagePullBackOff'), { key: ann(RECOVERS_ANNOTATION), operator: 'DoesNotExist' }], { statusTemplate: pullStatus('ErrImagePull'), event: failed }, { ms: 10_000 }),
    // how long it stays in back-off: the annotation's duration
    stage('image-pull-recovers', [pending, recovers, waitingIs('ImagePullBackOff')], { statusTemplate: pullStatus(undefined), event: { type: 'Normal', reason: 'Pulled', message: 'Successfully pulled image' } }, { ms: 1000, from: ann(RECOVERS_ANNOTATION) }),
    stage(
      'crash-loop-exits',
      [crashing, { key: '.status.phase', operator: 'In', values: ['Pending', 'Running'] }, { key: stateOf, operator: 'NotIn', values: ['terminated', 'waiting'] }],
      { statusTemplate: crashStatus('exited') },
      { ms: 1000 },
    ),
    stage('crash-loop-backs-off', [crashing, { key: stateOf, operator: 'In', values: ['terminated'] }], { statusTemplate: crashStatus('back-off'), event: { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container' } }, { ms: 500 }),
    stage('crash-loop-restarts', [crashing, waitingIs('CrashLoopBackOff')], { statusTemplate: crashStatus('running') }, { ms: 10_000 }),
  ];
}
