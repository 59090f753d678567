/**
 * The person's side of an OAuth 2.0 device login (RFC 8628 §3.3), played over HTTP the way a
 * browser would: cookies, forms, redirects. Works against the test provider in this process or in
 * another one (`oidc-provider-cli`), so an end-to-end test can approve the `cancuoc` CLI's login.
 */

/** The verification page of the test provider (oidc-provider's `code_verification` route). */
export const DEVICE_VERIFICATION_PATH = '/device';

/** The provider did not take the step a person would have taken: names the step and its answer. */
export class DeviceApprovalError extends Error {
  override readonly name = 'DeviceApprovalError';
}

interface Cookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
}

/** Just enough of a browser: a cookie jar (names and paths; one host) and manual redirects. */
class Browser {
  private cookies: Cookie[] = [];

  async request(
    url: string,
    form?: Record<string, string>,
  ): Promise<{ url: string; response: Response; body: string }> {
    const target = new URL(url);
    const cookie = this.cookies
      .filter(
        (c) =>
          target.pathname === c.path ||
          target.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
      )
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const headers: Record<string, string> = { accept: 'text/html' };
    if (cookie) headers['cookie'] = cookie;
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(target, {
      method: form ? 'POST' : 'GET',
      headers,
      body: form ? new URLSearchParams(form) : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    for (const header of response.headers.getSetCookie()) this.store(header);
    return { url: target.href, response, body: await response.text() };
  }

  private store(header: string): void {
    const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
    const split = pair.indexOf('=');
    if (split <= 0) return;
    const name = pair.slice(0, split);
    const value = pair.slice(split + 1);
    let path = '/';
    let expired = value === '';
    for (const attribute of attributes) {
      const [key = '', val = ''] = attribute.split('=');
      if (key.toLowerCase() === 'path' && val.startsWith('/')) path = val;
      if (key.toLowerCase() === 'expires' && Date.parse(val) <= Date.now()) expired = true;
      if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
    }
    this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path));
    if (!expired) this.cookies.push({ name, value, path });
  }
}

function hidden(body: string, form: string, field: string): string | undefined {
  const start = body.indexOf(`id="${form}"`);
  if (start < 0) return undefined;
  const end = body.indexOf('</form>', start);
  const match = new RegExp(`name="${field}" value="([^"]*)"`).exec(
    body.slice(start, end < 0 ? undefined : end),
  );
  return match?.[1];
}

/** What the provider's page said went wrong (`data-error`), else its status. */
function pageError(page: { response: Response; body: string }): string {
  const error = /data-error="([^"]*)"/.exec(page.body)?.[1];
  return error ? `${error} (HTTP ${page.response.status})` : `HTTP ${page.response.status}`;
}

function redirectTarget(page: { url: string; response: Response; body: string }, step: string): string {
  const location = page.response.headers.get('location');
  if (page.response.status < 300 || page.response.status >= 400 || !location)
    throw new DeviceApprovalError(`${step}: the provider answered ${pageError(page)} instead of a redirect`);
  return new URL(location, page.url).href;
}

/** Opens the verification page and submits the user code: the confirmation page's xsrf token. */
async function enterUserCode(
  browser: Browser,
  issuer: string,
  userCode: string,
): Promise<{ page: string; xsrf: string }> {
  const page = `${issuer.replace(/\/$/, '')}${DEVICE_VERIFICATION_PATH}`;
  const input = await browser.request(page);
  const inputXsrf = hidden(input.body, 'op.deviceInputForm', 'xsrf');
  if (input.response.status !== 200 || inputXsrf === undefined)
    throw new DeviceApprovalError(
      `the verification page ${page} answered ${pageError(input)} without its form`,
    );
  const confirm = await browser.request(page, { xsrf: inputXsrf, user_code: userCode });
  const xsrf = hidden(confirm.body, 'op.deviceConfirmForm', 'xsrf');
  if (confirm.response.status !== 200 || xsrf === undefined)
    throw new DeviceApprovalError(`user code ${userCode} was not accepted: ${pageError(confirm)}`);
  return { page, xsrf };
}

/**
 * Approves a device login as the person `accountId`: enters `userCode` on the issuer's
 * verification page, confirms, signs in on the provider's sign-in page and comes back to the
 * success page. Afterwards the device's next poll of the token endpoint gets its tokens.
 */
export async function approveDevice(issuer: string, userCode: string, accountId: string): Promise<void> {
  const browser = new Browser();
  const { page, xsrf } = await enterUserCode(browser, issuer, userCode);
  const confirmed = await browser.request(page, { xsrf, user_code: userCode, confirm: 'yes' });
  const interaction = await browser.request(redirectTarget(confirmed, 'confirming the user code'));
  const action = /<form id="login" method="post" action="([^"]+)"/.exec(interaction.body)?.[1];
  if (interaction.response.status !== 200 || action === undefined)
    throw new DeviceApprovalError(`the sign-in page answered ${pageError(interaction)} without its form`);
  const signedIn = await browser.request(new URL(action, interaction.url).href, { account: accountId });
  if (signedIn.response.status !== 303) {
    // Cancel, as the person would: the device learns at once (access_denied) instead of polling
    // until its code expires.
    const abort = /<form id="abort" method="post" action="([^"]+)"/.exec(interaction.body)?.[1];
    if (abort !== undefined) {
      const cancelled = await browser.request(new URL(abort, interaction.url).href, {});
      const location = cancelled.response.headers.get('location');
      if (location) await browser.request(new URL(location, cancelled.url).href);
    }
    throw new DeviceApprovalError(
      `signing in as ${accountId} failed: ${pageError(signedIn)}; the login was cancelled`,
    );
  }
  const resumed = await browser.request(redirectTarget(signedIn, `signing in as ${accountId}`));
  if (resumed.response.status !== 200 || !resumed.body.includes('class="success"'))
    throw new DeviceApprovalError(`the device login did not complete: ${pageError(resumed)}`);
}

/** Refuses a device login: enters `userCode` and aborts on the confirmation page. */
export async function denyDevice(issuer: string, userCode: string): Promise<void> {
  const browser = new Browser();
  const { page, xsrf } = await enterUserCode(browser, issuer, userCode);
  const aborted = await browser.request(page, { xsrf, user_code: userCode, abort: 'yes' });
  if (!/data-error="[^"]*aborted/.test(aborted.body))
    throw new DeviceApprovalError(`aborting the device login was not confirmed: ${pageError(aborted)}`);
}
