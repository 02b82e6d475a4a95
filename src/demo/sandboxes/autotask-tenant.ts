/**
 * The reference data of the Globex Autotask tenant: the API user and the technicians (resources) with their default
 * service-desk roles. The demo's sandbox serves them, and so does the test fake (test/helpers/fake-autotask), so the
 * demo and the tests tell one story: one list, here, because the demo ships and the tests do not.
 */
export const AT_API_USERNAME = 'api-escalator@globex.example';
/** Our API user's resource id (webhook owner, note creator, `lastActivityResourceID` of our writes). */
export const AT_API_RESOURCE = 29684099;

export interface AutotaskPerson {
  id: number;
  firstName: string;
  lastName: string;
  /** `first.last`, lower case. */
  userName: string;
  /** The resource's default service-desk role (ResourceServiceDeskRoles). */
  roleID: number;
}

const person = (id: number, firstName: string, lastName: string, roleID: number): AutotaskPerson => ({
  id,
  firstName,
  lastName,
  userName: `${firstName}.${lastName}`.toLowerCase(),
  roleID,
});

/** The technicians, by resource id. */
export const AT_RESOURCES: readonly AutotaskPerson[] = [
  person(29684001, 'Alice', 'Net', 29683001),
  person(29684002, 'Bob', 'Net', 29683001),
  person(29684003, 'Erin', 'Two', 29683002),
  person(29684004, 'Frank', 'Two', 29683002),
  person(29684005, 'Carol', 'Sec', 29683003),
  person(29684006, 'Dave', 'Sec', 29683003),
  person(29684007, 'Grace', 'Three', 29683003),
  person(29684008, 'Heidi', 'Three', 29683003),
  person(29684010, 'Tom', 'Tier-One', 29683001),
];
