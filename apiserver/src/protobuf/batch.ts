// batch/v1 Job and CronJob, field for field from k8s.io/api batch/v1 generated.proto (kubectl 1.32+
// sends `kubectl create job` and `kubectl create cronjob` as protobuf). The pod template is pod.ts's.
//
// Only tables.ts imports this file (and hands the kinds out through KINDS): it reads tables.ts back.
import { podSpec } from './pod.js';
import { type FieldSpec, type MessageSchema, msg, ptr, str, strs } from './schema.js';
import { labelSelector, objectMeta, objectReference } from './tables.js';

const int = (name: string): FieldSpec => ({ name, type: 'int' });
const intPtr = (name: string): FieldSpec => ({ name, type: 'intPtr' });
const ints = (name: string): FieldSpec => ({ name, type: 'intPtr', repeated: true });
const boolPtr = (name: string): FieldSpec => ({ name, type: 'boolPtr' });
const strPtr = (name: string): FieldSpec => ({ name, type: 'stringPtr' });
const time = (name: string): FieldSpec => ({ name, type: 'time' });

// k8s.io/api/core/v1 PodTemplateSpec.
export const podTemplateSpec: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => podSpec),
};

const podFailurePolicyRule: MessageSchema = {
  1: str('action'),
  2: ptr('onExitCodes', () => ({ 1: strPtr('containerName'), 2: str('operator'), 3: ints('values') })),
  3: msg('onPodConditions', () => ({ 1: str('type'), 2: str('status') }), true),
};

const successPolicyRule: MessageSchema = { 1: strPtr('succeededIndexes'), 2: intPtr('succeededCount') };

export const jobSpec: MessageSchema = {
  1: intPtr('parallelism'),
  2: intPtr('completions'),
  3: intPtr('activeDeadlineSeconds'),
  4: ptr('selector', () => labelSelector),
  5: boolPtr('manualSelector'),
  6: msg('template', () => podTemplateSpec),
  7: intPtr('backoffLimit'),
  8: intPtr('ttlSecondsAfterFinished'),
  9: strPtr('completionMode'),
  10: boolPtr('suspend'),
  11: ptr('podFailurePolicy', () => ({ 1: msg('rules', () => podFailurePolicyRule, true) })),
  12: intPtr('backoffLimitPerIndex'),
  13: intPtr('maxFailedIndexes'),
  14: strPtr('podReplacementPolicy'),
  15: strPtr('managedBy'),
  16: ptr('successPolicy', () => ({ 1: msg('rules', () => successPolicyRule, true) })),
};

const jobCondition: MessageSchema = {
  1: str('type'),
  2: str('status'),
  3: time('lastProbeTime'),
  4: time('lastTransitionTime'),
  5: str('reason'),
  6: str('message'),
};

const jobStatus: MessageSchema = {
  1: msg('conditions', () => jobCondition, true),
  2: time('startTime'),
  3: time('completionTime'),
  4: int('active'),
  5: int('succeeded'),
  6: int('failed'),
  7: str('completedIndexes'),
  8: ptr('uncountedTerminatedPods', () => ({ 1: strs('succeeded'), 2: strs('failed') })),
  9: intPtr('ready'),
  10: strPtr('failedIndexes'),
  11: intPtr('terminating'),
};

export const job: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => jobSpec),
  3: msg('status', () => jobStatus),
};

const jobTemplateSpec: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => jobSpec),
};

const cronJobSpec: MessageSchema = {
  1: str('schedule'),
  2: intPtr('startingDeadlineSeconds'),
  3: str('concurrencyPolicy'),
  4: boolPtr('suspend'),
  5: msg('jobTemplate', () => jobTemplateSpec),
  6: intPtr('successfulJobsHistoryLimit'),
  7: intPtr('failedJobsHistoryLimit'),
  8: strPtr('timeZone'),
};

const cronJobStatus: MessageSchema = {
  1: msg('active', () => objectReference, true),
  4: time('lastScheduleTime'),
  5: time('lastSuccessfulTime'),
};

export const cronJob: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => cronJobSpec),
  3: msg('status', () => cronJobStatus),
};
