import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { CreateUserDto } from './user.dto.js';

/** Every Default_Ignorable_Code_Point, as the running engine's Unicode tables list them. */
const DEFAULT_IGNORABLE: number[] = [];
for (let cp = 0; cp <= 0x10ffff; cp++) {
  if (/\p{Default_Ignorable_Code_Point}/u.test(String.fromCodePoint(cp))) DEFAULT_IGNORABLE.push(cp);
}

const failing = (body: Record<string, unknown>) => validateSync(plainToInstance(CreateUserDto, body)).map((e) => e.property);

describe('identity fields refuse every default-ignorable code point (SEC-108)', () => {
  it('the table is the full property, variation selectors and tags included', () => {
    expect(DEFAULT_IGNORABLE).toEqual(expect.arrayContaining([0x00ad, 0x034f, 0x115f, 0x3164, 0xfe00, 0xfe0f, 0xffa0, 0xe0000, 0xe0041, 0xe007f, 0xe0100, 0xe01ef, 0xe0fff]));
    expect(DEFAULT_IGNORABLE.length).toBeGreaterThan(4000);
  });

  it('in the local part, the domain and the full name, after the DTO has normalised them', () => {
    const accepted = DEFAULT_IGNORABLE.filter((cp) => {
      const c = String.fromCodePoint(cp);
      const email = failing({ username: 'victim', email: `vic${c}tim@exam${c}ple.com` });
      const name = failing({ username: 'victim', email: 'victim@example.com', full_name: `Ada${c}Lovelace` });
      return !email.includes('email') || !name.includes('full_name');
    });
    expect(accepted.map((cp) => cp.toString(16))).toEqual([]);
  });

  it('the plain address and name pass', () => {
    expect(failing({ username: 'victim', email: 'victim@example.com', full_name: 'Ada Lovelace ❤' })).toEqual([]);
  });
});
