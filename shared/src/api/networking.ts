// networking.k8s.io/v1 (k8s.io/api/networking/v1/types.go): NetworkPolicies say which traffic may
// reach or leave the pods they select, Ingresses route HTTP(S) to Services, and IngressClasses name
// the controller that serves an Ingress.

import type { IntOrString, Protocol } from './core.js';
import type { KubeObject, LabelSelector } from './meta.js';
import type { TypedLocalObjectReference } from './persistentvolume.js';

export type PolicyType = 'Ingress' | 'Egress';

/** A range of addresses, minus some sub-ranges (`except`, each strictly inside `cidr`). */
export interface IPBlock {
  cidr: string;
  except?: string[];
}

/** Exactly one of ipBlock or the selectors (podSelector and namespaceSelector may go together). */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyPort {
  /** Defaulted to TCP. */
  protocol?: Protocol;
  /** A number or a named port; absent means every port. */
  port?: IntOrString;
  /** With a numeric port: the last port of the range. */
  endPort?: number;
}

export interface NetworkPolicyIngressRule {
  ports?: NetworkPolicyPort[];
  from?: NetworkPolicyPeer[];
}

export interface NetworkPolicyEgressRule {
  ports?: NetworkPolicyPort[];
  to?: NetworkPolicyPeer[];
}

export interface NetworkPolicySpec {
  /** Always serialized (a struct upstream): `{}` selects every pod of the namespace. */
  podSelector: LabelSelector;
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
  policyTypes?: PolicyType[];
}

export interface NetworkPolicy extends KubeObject {
  spec: NetworkPolicySpec;
}

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface ServiceBackendPort {
  name?: string;
  number?: number;
}

export interface IngressServiceBackend {
  name: string;
  port?: ServiceBackendPort;
}

/** Exactly one of service or resource. */
export interface IngressBackend {
  service?: IngressServiceBackend;
  resource?: TypedLocalObjectReference;
}

export interface HTTPIngressPath {
  path?: string;
  /** Required in v1 (v1beta1 defaulted it to ImplementationSpecific). */
  pathType?: PathType;
  backend: IngressBackend;
}

export interface HTTPIngressRuleValue {
  paths: HTTPIngressPath[];
}

export interface IngressRule {
  /** A DNS name, optionally with a leading `*.` wildcard; absent matches every host. */
  host?: string;
  http?: HTTPIngressRuleValue;
}

export interface IngressTLS {
  hosts?: string[];
  secretName?: string;
}

export interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  tls?: IngressTLS[];
  rules?: IngressRule[];
}

export interface IngressPortStatus {
  port: number;
  protocol: Protocol;
  error?: string;
}

export interface IngressLoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ports?: IngressPortStatus[];
}

export interface IngressLoadBalancerStatus {
  ingress?: IngressLoadBalancerIngress[];
}

/** Written by the ingress controller through /status only. */
export interface IngressStatus {
  loadBalancer?: IngressLoadBalancerStatus;
}

export interface Ingress extends KubeObject {
  spec?: IngressSpec;
  status?: IngressStatus;
}

export type IngressClassParametersScope = 'Cluster' | 'Namespace';

export interface IngressClassParametersReference {
  apiGroup?: string;
  kind: string;
  name: string;
  /** Defaulted to Cluster; `Namespace` needs `namespace`. */
  scope?: IngressClassParametersScope;
  namespace?: string;
}

export interface IngressClassSpec {
  /** `<domain>/<path>`, fixed at creation. */
  controller?: string;
  parameters?: IngressClassParametersReference;
}

export interface IngressClass extends KubeObject {
  spec: IngressClassSpec;
}

/** The annotation that makes an IngressClass the default (DefaultIngressClass admission). */
export const ANNOTATION_IS_DEFAULT_INGRESS_CLASS = 'ingressclass.kubernetes.io/is-default-class';
/** The deprecated per-Ingress class annotation (networking/v1beta1 AnnotationIngressClass). */
export const ANNOTATION_INGRESS_CLASS = 'kubernetes.io/ingress.class';
