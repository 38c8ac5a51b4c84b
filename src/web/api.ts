/** The view's server API: every call presents the run's token, which septcheck view printed in
 * the page's URL (the server refuses a call without it). */
export const token = new URLSearchParams(location.search).get('token') ?? '';

export function api(path: string): Promise<Response> {
  return fetch(path, { headers: { 'x-septcheck-token': token } });
}
