// A request header read from `rawHeaders`: Node builds `req.headers` on first use (a few
// microseconds), and some paths (the early answer of a repeat, the EC2 signature check) need
// nothing else from it.

/** The first value of header `name` (lower case), as `req.headers` keeps the first of a repeated one. */
export function firstRawHeader(req: { rawHeaders: string[] }, name: string): string | undefined {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const candidate = raw[i]!;
    if (candidate.length === name.length && candidate.toLowerCase() === name) return raw[i + 1];
  }
  return undefined;
}
