import type { DataSource } from 'typeorm';
import { hashPassword, type PasswordHashSettings } from '../../core/password-hashes.js';
import { normalizeEmail, normalizeUsername } from '../../core/identity-normalization.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { FabricError } from '../../core/fabric-error.js';

export interface SystemAdminSeed {
  username: string;
  password: string;
  email?: string;
  /** How the password is hashed: `passwordHashSettings(options)` of the resolved options. */
  hashing: PasswordHashSettings;
  now?: Date;
}

export interface SystemAdminSeedResult {
  created: boolean;
  user: UserEntity;
}

/** @publicApi */
export class SystemAdminConflictError extends FabricError {
  constructor(message: string) {
    super('system_admin_conflict', message);
  }
}

/**
 * Creates the system admin when no account has its username. An existing admin is left
 * alone (a changed password is never overwritten); an existing ordinary account with that
 * name is refused rather than silently promoted.
 *
 * @publicApi
 */
export async function upsertSystemAdmin(dataSource: DataSource, seed: SystemAdminSeed): Promise<SystemAdminSeedResult> {
  const users = dataSource.getRepository(UserEntity);
  const username = normalizeUsername(seed.username);
  const existing = await users.findOne({ where: { username } });
  if (existing) {
    if (!existing.isSystemAdmin) {
      throw new SystemAdminConflictError(`auth.system_admin_username: "${username}" belongs to an ordinary account; refusing to promote it`);
    }
    return { created: false, user: existing };
  }
  const now = seed.now ?? new Date();
  const user = users.create({
    username,
    email: seed.email ? normalizeEmail(seed.email) : null,
    fullName: 'System administrator',
    passwordHash: await hashPassword(seed.password, seed.hashing),
    isActive: true,
    isSystemAdmin: true,
    emailVerified: false,
    createdAt: now,
    updatedAt: now,
    lastLoginAt: null,
    passwordChangedAt: now,
  });
  try {
    await users.insert(user);
  } catch (error) {
    // Another instance seeded it first.
    const raced = await users.findOne({ where: { username } });
    if (raced?.isSystemAdmin) return { created: false, user: raced };
    throw error;
  }
  return { created: true, user };
}
