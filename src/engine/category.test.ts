import { describe, expect, it } from 'vitest';

import { categoryMatches, categoryPath, compileCategoryPattern } from './category.js';

const m = (pattern: string, path: string[]): boolean =>
  categoryMatches(compileCategoryPattern(pattern), categoryPath(path));

describe('category globs', () => {
  it.each([
    ['Network/*', ['Network', 'Firewall']],
    ['Network/*', ['Network', 'Firewall', 'Cisco']],
    ['network/firewall', ['NETWORK', 'Firewall']],
    ['Firewall', ['Firewall']],
    ['Firewall', ['firewall', 'Rules']],
    ['VPN', ['VPN', 'Client', 'AnyConnect']],
    ['**/Firewall', ['Network', 'Firewall']],
    ['**/Firewall', ['Firewall']],
    ['Network/**/Cisco', ['Network', 'Firewall', 'Cisco']],
    ['Network/**/Cisco', ['Network', 'Cisco']],
    ['*/Firewall', ['Network', 'Firewall', 'ASA']],
    ['**', ['Anything']],
  ])('%s matches %j', (pattern, path) => {
    expect(m(pattern, path)).toBe(true);
  });

  it.each([
    ['Network/*', ['Network']],
    ['Firewall', ['Network', 'Firewall']],
    ['Net', ['Network']],
    ['Network/Fire*', ['Network', 'Firewall']],
    ['*/Firewall', ['Firewall']],
    ['Network/**/Cisco', ['Network', 'Firewall', 'Juniper']],
    ['Network', []],
    ['**', []],
  ])('%s does not match %j', (pattern, path) => {
    expect(m(pattern, path)).toBe(false);
  });

  it('ignores surrounding spaces and empty segments', () => {
    expect(m(' Network / Firewall ', [' network ', 'firewall'])).toBe(true);
    expect(m('/Network//Firewall/', ['Network', '', 'Firewall'])).toBe(true);
  });
});
