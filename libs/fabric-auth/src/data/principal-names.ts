import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Not } from 'typeorm';
import { type FabricTransaction, FabricTransactions } from './transactions.js';
import { ServiceAccountEntity } from '../schema/entities/service-account.entity.js';
import { UserEntity } from '../schema/entities/user.entity.js';
import { fabricError } from '../core/fabric-error.js';

/** Family of the PostgreSQL advisory locks that serialise claims of one name across instances. */
const NAME_LOCK_KEY = 0x6661_6e6d; // "famn"

/**
 * Users and service accounts share one namespace of names (SEC-84): a service account may
 * not be called `admin` or like any user, nor a user like a service account, so that the
 * audit log and its filters never mix two principals. The two tables cannot share a unique
 * index, so every creation and rename claims its name inside the transaction that writes
 * it: on PostgreSQL under a transaction-scoped advisory lock of that name that every instance takes and
 * that is held until the write commits or rolls back (so a second claim sees the first
 * one's row); on SQLite `FabricTransactions` already runs one transaction at a time.
 */
@Injectable()
export class PrincipalNames {
  constructor(private readonly transactions: FabricTransactions) {}

  /** 409 when another principal holds `name`; `self` is the account being renamed. Call before the write, in its transaction. */
  async claim(tx: FabricTransaction, name: string, self?: { kind: 'user' | 'service_account'; id: string }): Promise<void> {
    // One lock per name (a 32-bit digest of it): claims of different names, such as a SCIM sync's
    // parallel creates, do not wait for each other; two of one name still do (a collision only waits).
    await this.transactions.exclusive(tx, NAME_LOCK_KEY, createHash('sha256').update(name).digest().readInt32BE(0));
    const userWhere = self?.kind === 'user' ? { username: name, id: Not(self.id) } : { username: name };
    const accountWhere = self?.kind === 'service_account' ? { name, id: Not(self.id) } : { name };
    if (await tx.manager.existsBy(UserEntity, userWhere)) throw fabricError('already_exists', 'A user already has this name');
    if (await tx.manager.existsBy(ServiceAccountEntity, accountWhere)) throw fabricError('already_exists', 'A service account already has this name');
  }
}
