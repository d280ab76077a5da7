// The PersistentVolume helpers the apiserver, the PV controllers and the scheduler agree on
// (k8s.io/component-helpers/storage/volume): a claim's and a volume's class, the default class, their
// storage, when a claim binds, and which volume a claim may take.
export * from './bindingmode.js';
export * from './capacity.js';
export * from './class.js';
export * from './defaultclass.js';
export * from './matching.js';
export * from './nodeaffinity.js';
