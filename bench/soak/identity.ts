/**
 * An identity with no proof of work for the soak: both sides demand difficulty 0, so dialling
 * 10,000 connections measures the connections, not a stamp search.
 */
import { randomBytes } from 'node:crypto';
import { generateKeyPair, identityFromKeys, type Identity } from '../../src/shared/identity.ts';

export function generateIdentityFast(): Identity {
  const { secretKey } = generateKeyPair();
  return identityFromKeys(secretKey, randomBytes(24));
}
