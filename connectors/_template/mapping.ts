import type { IdOrName, Mapping, StatusCategory } from '../../src/contract/index.js';

/**
 * Role: pure translations between the PSA's values and the instance mapping — ids, status → category, priority →
 * level, the PSA's datetimes → ISO instants. Never throws on odd input. See docs/adding-a-connector.md#mapping.
 */

/** TODO: map a PSA status (id and name) to a category through `mapping.statuses`. */
export function statusCategory(_statuses: Mapping['statuses'], _id: string, _name: string | undefined): StatusCategory {
  return 'open';
}

/** TODO: map a PSA priority to a level 1–4 through `mapping.priorities`; unmapped → null. */
export function priorityLevel(_priorities: Mapping['priorities'], _value: IdOrName): 1 | 2 | 3 | 4 | null {
  return null;
}
