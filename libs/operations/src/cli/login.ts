import { DeviceLoginError, deviceLogin } from '@cancuoc/auth';
import { parse } from './args.js';
import { CliError, EXIT, type CliCommand } from './command.js';
import { command } from './run.js';
import { CLI_CLIENT_ID, readSession, removeSession, saveSession, sessionFile } from './session.js';
import { SERVICES } from './services.js';

const USAGE = `Usage: cancuoc login [--status | --logout]

Signs you in to the platform's OpenID provider (CANCUOC_OIDC_ISSUER) from this terminal, with the
device authorization grant (RFC 8628): it prints an address and a code, you open the address in a
browser (on any device), sign in there and confirm the code. The session — the provider's refresh
token, no password — is kept in a file only you can read (mode 0600): CANCUOC_SESSION_FILE, else
~/.config/cancuoc/session.json. Every command after it gets a token per service from the session;
what you may do is what the provider's account says (your roles, your unit).

  --status    who the saved session is for (exit 1 when there is none)
  --logout    forget the session (the provider ends it when the refresh token expires or is revoked)

Only for server mode: the embedded platform needs no login (its development issuer makes the
tokens; cancuoc token prints one). CANCUOC_TOKEN, when set, is used instead of any session.

Exit 0 signed in, 1 refused, expired or the provider not reachable, 2 for a wrong command line,
130 stopped by Ctrl-C.
`;

const subjectOf = (token: string) => {
  try {
    const { sub } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      sub?: unknown;
    };
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
};

export const loginCommand: CliCommand = command(
  { name: 'login', summary: 'sign in to the OpenID provider from this terminal (server mode)', usage: USAGE },
  async (argv, io) => {
    const { values, positionals } = parse(argv, {
      status: { type: 'boolean' },
      logout: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]!}"`, EXIT.usage);
    if (values.status && values.logout) throw new CliError('give --status or --logout, not both', EXIT.usage);
    const file = sessionFile(io.env);
    if (values.logout) {
      const removed = await removeSession(file);
      io.stderr(removed ? `Signed out: ${file} removed.\n` : `No session in ${file}.\n`);
      return EXIT.ok;
    }
    if (values.status) {
      const session = await readSession(file);
      if (!session) throw new CliError(`not signed in (no session in ${file})`);
      io.stdout(
        `Signed in as ${session.subject ?? '(unknown)'} at ${session.issuer} since ${session.savedAt} (${file})\n`,
      );
      return EXIT.ok;
    }

    const issuer = io.env.CANCUOC_OIDC_ISSUER;
    if (!issuer)
      throw new CliError(
        'cancuoc login is for server mode: set CANCUOC_OIDC_ISSUER to the OpenID provider. ' +
          'The embedded platform needs no login: its development issuer makes the tokens',
      );
    if (!/^https?:\/\//.test(issuer))
      throw new CliError('CANCUOC_OIDC_ISSUER must be an http(s) URL', EXIT.usage);
    let login;
    try {
      login = await deviceLogin({
        issuer,
        clientId: CLI_CLIENT_ID,
        // Every service: refreshFor gives a token for any of them later.
        audience: SERVICES.map((s) => s.name),
        prompt: (uri, code, complete) =>
          io.stderr(
            `To sign in, open ${uri} in a browser and enter the code ${code}` +
              `${complete ? `\n(or open ${complete})` : ''}\nWaiting for you to confirm…\n`,
          ),
        signal: io.signal,
      });
    } catch (error) {
      if (io.signal?.aborted)
        throw new CliError('stopped before the sign-in was confirmed', EXIT.interrupted);
      if (error instanceof DeviceLoginError) throw new CliError(error.message);
      throw error;
    }
    if (!login.refreshToken)
      throw new CliError(
        `${issuer} gave no refresh token (the client ${CLI_CLIENT_ID} needs offline_access): nothing to keep`,
      );
    const subject = subjectOf(login.accessToken);
    await saveSession(file, {
      issuer,
      clientId: CLI_CLIENT_ID,
      refreshToken: login.refreshToken,
      ...(subject !== undefined && { subject }),
      savedAt: new Date().toISOString(),
    });
    io.stderr(
      `Signed in as ${subject ?? 'you'} at ${issuer}; the session is in ${file} (readable by you only).\n`,
    );
    return EXIT.ok;
  },
);
