// core/v1 TopologySelectorTerm: the topology a StorageClass's volumes may be provisioned in.
export interface TopologySelectorLabelRequirement {
  key: string;
  values: string[];
}

export interface TopologySelectorTerm {
  matchLabelExpressions?: TopologySelectorLabelRequirement[];
}
