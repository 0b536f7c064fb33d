/**
 * A URL as people are shown it, in every message: scheme, host, port and path. Never the user
 * name or password (a `LANGFUSE_HOST` may carry them), the query (it may carry a token) or the
 * fragment. A value that is not a URL is not repeated at all.
 */
export function displayUrl(value: string | undefined): string {
  if (value === undefined || value === "") return "(no URL)";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "(not a valid URL)";
  }
  const path = url.pathname === "/" ? "" : url.pathname;
  return `${url.protocol}//${url.host}${path}`;
}
