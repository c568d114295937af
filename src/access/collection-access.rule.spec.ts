import { describe, expect, it } from 'vitest';
import type { PermissionLevel } from '../db/schema.js';
import { collectionAccessDenial, grantsMatter, type CollectionAccess } from './collection-access.rule.js';
import type { AccessPrincipal } from './principal.js';

// The decision for one loaded collection (the SQL forms are checked through HTTP in access-matrix.spec.ts).
const OWNER = 1;
const collection = (isPublic = false) => ({ id: 'c0ffee00-0000-4000-8000-000000000001', owner_id: OWNER, is_public: isPublic });
const user = (id: number, is_superuser = false): AccessPrincipal => ({ user: { id, is_superuser } });
const decide = (principal: AccessPrincipal, access: CollectionAccess, options: { isPublic?: boolean; grants?: PermissionLevel[] } = {}) =>
  collectionAccessDenial(principal, collection(options.isPublic), options.grants ?? [], access);

describe('collectionAccessDenial', () => {
  it('owners and superusers may do anything; they need no grant lookup', () => {
    for (const principal of [user(OWNER), user(99, true)]) {
      expect(grantsMatter(principal, collection())).toBe(false);
      for (const access of ['read', 'write', 'admin'] as const) expect(decide(principal, access)).toBeUndefined();
    }
  });

  it('a stranger gets not_found for a private collection, whatever they ask', () => {
    for (const access of ['read', 'write', 'admin'] as const) expect(decide(user(2), access)).toBe('not_found');
    expect(collectionAccessDenial(user(OWNER), undefined, [], 'read')).toBe('not_found');
  });

  it('public means readable by everyone, writable by no one but the owner', () => {
    expect(decide(user(2), 'read', { isPublic: true })).toBeUndefined();
    expect(decide(user(2), 'write', { isPublic: true })).toBe('read_only');
    expect(decide(user(2), 'admin', { isPublic: true })).toBe('admin_only');
  });

  it('a grant allows up to its level', () => {
    expect(decide(user(2), 'read', { grants: ['read'] })).toBeUndefined();
    expect(decide(user(2), 'write', { grants: ['read'] })).toBe('read_only');
    expect(decide(user(2), 'write', { grants: ['write'] })).toBeUndefined();
    expect(decide(user(2), 'admin', { grants: ['read', 'write'] })).toBe('admin_only');
    expect(decide(user(2), 'admin', { grants: ['read', 'admin'] })).toBeUndefined();
  });

  it('an API key narrows, never widens: outside its collections is not_found, read-only may only read', () => {
    const limited = (principal: AccessPrincipal): AccessPrincipal => ({ ...principal, apiKeyId: 'k', apiKeyScope: { access: 'full', collectionIds: ['c0ffee00-0000-4000-8000-000000000002'] } });
    expect(decide(limited(user(OWNER)), 'read')).toBe('not_found');
    expect(decide(limited(user(99, true)), 'read', { isPublic: true })).toBe('not_found');
    const readOnly: AccessPrincipal = { ...user(OWNER), apiKeyId: 'k', apiKeyScope: { access: 'read', collectionIds: null } };
    expect(decide(readOnly, 'read')).toBeUndefined();
    expect(decide(readOnly, 'write')).toBe('read_only_key');
    const upperCase: AccessPrincipal = { ...user(OWNER), apiKeyId: 'k', apiKeyScope: { access: 'full', collectionIds: [collection().id] } };
    expect(collectionAccessDenial(upperCase, { ...collection(), id: collection().id.toUpperCase() }, [], 'read')).toBeUndefined();
  });
});
