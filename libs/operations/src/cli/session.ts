import { chmod, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CANCUOC_CLI_CLIENT_ID,
  DeviceLoginError,
  refreshDeviceTokens,
  type TokenSource,
} from '@cancuoc/auth';
import { CliError } from './command.js';

/** What `cancuoc login` keeps: the provider, the CLI's client and the refresh token, nothing else. */
export interface StoredSession {
  readonly issuer: string;
  readonly clientId: string;
  readonly refreshToken: string;
  /** Who signed in (the ID token's or first access token's `sub`), for `cancuoc login --status`. */
  readonly subject?: string;
  readonly savedAt: string;
}

/** The OpenID client of the `cancuoc` CLI at the provider: public, device authorization grant. */
export const CLI_CLIENT_ID = CANCUOC_CLI_CLIENT_ID;

/** `CANCUOC_SESSION_FILE`, else `$XDG_CONFIG_HOME/cancuoc/session.json` (`~/.config/…`). */
export function sessionFile(env: NodeJS.ProcessEnv): string {
  if (env.CANCUOC_SESSION_FILE) return env.CANCUOC_SESSION_FILE;
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(config, 'cancuoc', 'session.json');
}

/** Writes the session readable by this user only (0600, in a 0700 folder), replacing any other. */
export async function saveSession(file: string, session: StoredSession): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode applies only to a new file; a leftover temporary keeps its own.
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}

export async function readSession(file: string): Promise<StoredSession | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read the session ${file}`);
  }
  const session = JSON.parse(text) as Partial<StoredSession>;
  if (
    typeof session.issuer !== 'string' ||
    typeof session.refreshToken !== 'string' ||
    typeof session.clientId !== 'string'
  )
    throw new CliError(`${file} is not a cancuoc session; run cancuoc login again`);
  return session as StoredSession;
}

export async function removeSession(file: string): Promise<boolean> {
  try {
    await rm(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Runs `work` holding `<file>.lock`, so that two commands of one user do not both spend the same
 * refresh token (a provider that rotates them takes a second use for theft and ends the sign-in).
 * A lock older than 30 s is a crashed command's: taken over.
 */
async function withLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 30_000 || attempt > 300) await rm(lock, { force: true });
      else await sleep(50);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

/**
 * Tokens from the session `cancuoc login` saved: the refresh token is exchanged for a token per
 * service (RFC 8707 resource indicator `urn:cancuoc:<service>`), each kept until shortly before it
 * expires; a refresh token the provider rotates is saved at once, under a lock file, and read again
 * before each refresh, so commands run side by side share one sign-in.
 */
export function sessionTokens(file: string, issuer: string): TokenSource {
  const cache = new Map<string, { readonly token: string; readonly refreshAt: number }>();
  let queue: Promise<unknown> = Promise.resolve();
  const fresh = (audience: string) => {
    const cached = cache.get(audience);
    return cached && cached.refreshAt > Date.now() ? cached.token : undefined;
  };
  const refresh = (audience: string) =>
    withLock(file, async () => {
      const session = await readSession(file);
      if (!session)
        throw new CliError(`not signed in to ${issuer}: run cancuoc login (no session in ${file})`);
      if (session.issuer !== issuer)
        throw new CliError(
          `the session in ${file} is for ${session.issuer}, not ${issuer}: run cancuoc login`,
        );
      let tokens;
      try {
        tokens = await refreshDeviceTokens({
          issuer,
          clientId: session.clientId,
          refreshToken: session.refreshToken,
          audience,
        });
      } catch (error) {
        if (error instanceof DeviceLoginError)
          throw new CliError(
            error.code === 'invalid_grant' ? `${error.message} (cancuoc login)` : error.message,
          );
        throw error;
      }
      if (tokens.refreshToken && tokens.refreshToken !== session.refreshToken)
        await saveSession(file, {
          ...session,
          refreshToken: tokens.refreshToken,
          savedAt: new Date().toISOString(),
        });
      const expiresAt = tokens.expiresAt.getTime();
      // Used until a fifth of its lifetime (at most a minute) is left.
      const margin = Math.min(60_000, (expiresAt - Date.now()) / 5);
      cache.set(audience, { token: tokens.accessToken, refreshAt: expiresAt - margin });
      return tokens.accessToken;
    });
  return {
    token(audience) {
      const known = fresh(audience);
      if (known) return Promise.resolve(known);
      // One refresh at a time: a rotated refresh token must be saved before the next is spent.
      const next = queue.then(() => fresh(audience) ?? refresh(audience));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
