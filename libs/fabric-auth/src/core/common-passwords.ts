/**
 * Passwords that top every breach corpus. Refused for the system admin at startup and by
 * the password policy. Compared case-insensitively.
 */
const COMMON_PASSWORDS = new Set([
  '123456', '123456789', '12345678', '1234567890', '1234567', '12345', '111111', '000000', '123123',
  '654321', '666666', '121212', '7777777', '88888888', '11111111', '987654321', '1q2w3e4r', '1qaz2wsx',
  'qwerty', 'qwerty123', 'qwertyuiop', 'qwerty1', 'asdfghjkl', 'asdf1234', 'zxcvbnm', 'q1w2e3r4t5',
  'password', 'password1', 'password12', 'password123', 'password1234', 'password!', 'password1!',
  'passw0rd', 'p@ssw0rd', 'p@ssword', 'pa$$word', 'passwort', 'motdepasse', 'contraseña',
  'admin', 'admin123', 'admin1234', 'administrator', 'adminadmin', 'root', 'toor', 'changeme',
  'changeme123', 'changeit', 'default', 'letmein', 'letmein123', 'welcome', 'welcome1', 'welcome123',
  'iloveyou', 'monkey', 'dragon', 'football', 'baseball', 'superman', 'batman', 'trustno1',
  'sunshine', 'princess', 'master', 'shadow', 'michael', 'jennifer', 'abc123', 'abcd1234',
  'abcdefgh', 'secret', 'secret123', 'test', 'test1234', 'testtest', 'guest', 'login', 'hello123',
  'starwars', 'whatever', 'freedom', 'computer', 'internet', 'killer', 'soccer', 'hockey',
  'summer2024', 'summer2025', 'summer2026', 'winter2024', 'winter2025', 'winter2026',
  'spring2025', 'spring2026', 'autumn2025', 'autumn2026', 'fabric2025', 'fabric2026',
  'fabricauth', 'nestjs123', 'correcthorsebatterystaple', 'aa123456', 'a1b2c3d4', 'zaq12wsx',
  'password2025', 'password2026', 'qazwsxedc', 'lovely', 'loveme', '1password', 'mypassword',
]);

export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(password.toLowerCase());
}
