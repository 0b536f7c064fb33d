/**
 * Kubernetes label selectors (meta/v1 LabelSelector), as the API server evaluates them: every
 * `matchLabels` pair and every `matchExpressions` requirement must hold; an empty selector
 * selects everything. Written from the API's documentation of LabelSelector and
 * LabelSelectorRequirement; shared by the policies that judge selectors (admission, network).
 */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export function labelSelectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const has = (key: string) => Object.prototype.hasOwnProperty.call(labels, key);
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!has(key) || labels[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case "In":
        if (!has(requirement.key) || !values.includes(labels[requirement.key])) return false;
        break;
      case "NotIn":
        // A pod without the key is not in the set: NotIn holds for it.
        if (has(requirement.key) && values.includes(labels[requirement.key])) return false;
        break;
      case "Exists":
        if (!has(requirement.key)) return false;
        break;
      case "DoesNotExist":
        if (has(requirement.key)) return false;
        break;
      default:
        // An operator the API does not know selects nothing (the API server refuses it).
        return false;
    }
  }
  return true;
}
