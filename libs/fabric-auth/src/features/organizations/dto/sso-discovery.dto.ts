import { domainToASCII } from 'node:url';
import { Transform } from '../../../core/class-transformer.js';
import { IsEmail, IsString } from '../../../core/class-validator.js';
import { INVISIBLE_CHARACTERS, MaxStoredLength, NoInvisibleCharacters } from '../../../core/field-rules.js';
import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';

/**
 * NFKC, trimmed, lower case, the domain without the root's trailing dot and in its ASCII
 * (IDNA) form. A value holding an invisible character stays as sent, for the rule to refuse:
 * IDNA would drop a soft hyphen and route `ex\u00ADample.com` as `example.com`.
 */
function discoveryEmail(value: unknown): unknown {
  if (typeof value !== 'string' || value.length > 400 || INVISIBLE_CHARACTERS.test(value)) return value;
  const email = value.normalize('NFKC').trim().toLowerCase();
  const at = email.lastIndexOf('@');
  if (at < 1) return value;
  const domain = email.slice(at + 1).replace(/\.$/, '');
  const ascii = domain ? domainToASCII(domain) : '';
  return ascii ? `${email.slice(0, at)}@${ascii}` : value;
}

export class SsoDiscoverDto {
  @ApiProperty({ example: 'alice@acme.example', description: 'The address someone is about to sign in with; only its domain is read' })
  @Transform(({ value }) => discoveryEmail(value))
  @IsString()
  @MaxStoredLength(320)
  @NoInvisibleCharacters()
  @IsEmail({ allow_ip_domain: false }, { message: 'email must be an email address' })
  email!: string;

  @ApiPropertyOptional({ example: '/app', description: 'Passed on to the login URL (which keeps it only when it is a path on this site)' })
  @OptionalField()
  @IsString()
  @MaxStoredLength(2048)
  return_to?: string;
}

export class SsoDiscoveryDto {
  @ApiProperty({
    example: true,
    description: 'true: an organization verified the email’s domain and has an enabled connection: send the browser to `login_url`. false: sign in another way (password)',
  })
  sso!: boolean;
  @ApiPropertyOptional({ example: 'https://app.example/api/v1/auth/saml/org/3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17/login?return_to=%2Fapp', description: 'With sso: true only' })
  login_url?: string;
  @ApiPropertyOptional({ enum: ['oidc', 'saml'], description: 'With sso: true only' })
  protocol?: 'oidc' | 'saml';
}
