// autoscaling/v2 and autoscaling/v1 HorizontalPodAutoscaler, field for field from k8s.io/api
// autoscaling/v2 and v1 generated.proto as of 1.33 (kubectl 1.33's `autoscale` sends v2 as protobuf,
// and v1 when the server has no v2).
//
// Only tables.ts imports this file (and hands the kinds out through KINDS): it reads tables.ts back.
import { type FieldSpec, type MessageSchema, msg, ptr, str } from './schema.js';
import { labelSelector, objectMeta } from './tables.js';

const int = (name: string): FieldSpec => ({ name, type: 'int' });
const intPtr = (name: string): FieldSpec => ({ name, type: 'intPtr' });
const strPtr = (name: string): FieldSpec => ({ name, type: 'stringPtr' });
const quantity = (name: string): FieldSpec => ({ name, type: 'quantity' });
const time = (name: string): FieldSpec => ({ name, type: 'time' });

const crossVersionObjectReference: MessageSchema = { 1: str('kind'), 2: str('name'), 3: str('apiVersion') };
const metricIdentifier: MessageSchema = { 1: str('name'), 2: ptr('selector', () => labelSelector) };
const metricTarget: MessageSchema = {
  1: str('type'),
  2: quantity('value'),
  3: quantity('averageValue'),
  4: intPtr('averageUtilization'),
};
const metricValueStatus: MessageSchema = {
  1: quantity('value'),
  2: quantity('averageValue'),
  3: intPtr('averageUtilization'),
};

const metricSpec: MessageSchema = {
  1: str('type'),
  2: ptr('object', () => ({
    1: msg('describedObject', () => crossVersionObjectReference),
    2: msg('target', () => metricTarget),
    3: msg('metric', () => metricIdentifier),
  })),
  3: ptr('pods', () => ({ 1: msg('metric', () => metricIdentifier), 2: msg('target', () => metricTarget) })),
  4: ptr('resource', () => ({ 1: str('name'), 2: msg('target', () => metricTarget) })),
  5: ptr('external', () => ({ 1: msg('metric', () => metricIdentifier), 2: msg('target', () => metricTarget) })),
  7: ptr('containerResource', () => ({ 1: str('name'), 2: msg('target', () => metricTarget), 3: str('container') })),
};

const metricStatus: MessageSchema = {
  1: str('type'),
  2: ptr('object', () => ({
    1: msg('metric', () => metricIdentifier),
    2: msg('current', () => metricValueStatus),
    3: msg('describedObject', () => crossVersionObjectReference),
  })),
  3: ptr('pods', () => ({ 1: msg('metric', () => metricIdentifier), 2: msg('current', () => metricValueStatus) })),
  4: ptr('resource', () => ({ 1: str('name'), 2: msg('current', () => metricValueStatus) })),
  5: ptr('external', () => ({ 1: msg('metric', () => metricIdentifier), 2: msg('current', () => metricValueStatus) })),
  7: ptr('containerResource', () => ({
    1: str('name'),
    2: msg('current', () => metricValueStatus),
    3: str('container'),
  })),
};

const scalingRules: MessageSchema = {
  3: intPtr('stabilizationWindowSeconds'),
  1: strPtr('selectPolicy'),
  2: msg('policies', () => ({ 1: str('type'), 2: int('value'), 3: int('periodSeconds') }), true),
  4: quantity('tolerance'),
};

const hpaCondition: MessageSchema = {
  1: str('type'),
  2: str('status'),
  3: time('lastTransitionTime'),
  4: str('reason'),
  5: str('message'),
};

export const horizontalPodAutoscalerV2: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => ({
    1: msg('scaleTargetRef', () => crossVersionObjectReference),
    2: intPtr('minReplicas'),
    3: int('maxReplicas'),
    4: msg('metrics', () => metricSpec, true),
    5: ptr('behavior', () => ({ 1: ptr('scaleUp', () => scalingRules), 2: ptr('scaleDown', () => scalingRules) })),
  })),
  3: msg('status', () => ({
    1: intPtr('observedGeneration'),
    2: time('lastScaleTime'),
    3: int('currentReplicas'),
    4: int('desiredReplicas'),
    5: msg('currentMetrics', () => metricStatus, true),
    6: msg('conditions', () => hpaCondition, true),
  })),
};

export const horizontalPodAutoscalerV1: MessageSchema = {
  1: msg('metadata', () => objectMeta),
  2: msg('spec', () => ({
    1: msg('scaleTargetRef', () => crossVersionObjectReference),
    2: intPtr('minReplicas'),
    3: int('maxReplicas'),
    4: intPtr('targetCPUUtilizationPercentage'),
  })),
  3: msg('status', () => ({
    1: intPtr('observedGeneration'),
    2: time('lastScaleTime'),
    3: int('currentReplicas'),
    4: int('desiredReplicas'),
    5: intPtr('currentCPUUtilizationPercentage'),
  })),
};
